"""One apply at a time per project: `.lmsform/apply.lock`, held with a kernel lock while an apply runs.

The file names its holder (process id, host, since when), and the holder keeps an exclusive `flock`
on it for as long as it runs. The operating system drops that lock when the process ends, however
it ends (SIGKILL, a CI job cancelled, the machine out of memory), so on this host "is the holder
still running?" has a sure answer that a process id alone cannot give (ids get reused):

* the kernel lock is held: another apply runs; this one refuses, naming it;
* nobody holds it, and the file names a process of this host that is gone: the apply that wrote it
  was killed. The new apply takes the lock over and says so loudly (`taken_over`); it re-reads the
  account before it writes, so it starts from what the killed one did;
* nobody holds it, but the process it names runs (a reused id, or a file system where `flock` does
  nothing): the apply refuses rather than risk two at once; `lmsform unlock --force` clears it;
* it names another host: this machine cannot tell whether that apply still runs (the file may be on
  a shared disk), so the apply refuses, and `lmsform unlock --force` clears it once you know.

`lmsform unlock` never removes a lock whose kernel lock is held.

The lock file is in the checkout, so a pull request may commit one: it is opened without following a
link, and one that is a link or not a regular file is refused (writing the holder would overwrite
whatever it points to). The journal name it holds is used only if it is a plain file name.

What this lock cannot see: it lives in one project directory, so it keeps apart the applies of one
checkout (on one host, or on a disk hosts share), and nothing else. Two clones of a project, two CI
runners, or two projects managing one account each take their own lock and may apply at once.
Serialise those outside lmsform (a CI concurrency group per account). lmsform then checks what the
vendor lets it check (`safe_writes.NewObjects`): before a phase of creates of a kind the vendor keeps
no unique key for, it lists that kind once and refuses a key made since the plan; after each such
create it looks for a twin another apply made at the same moment and takes its own copy back. Kinds
with a vendor-side unique key (user names, e-mail addresses) cannot be duplicated: the vendor refuses
the second create. Updates and removals from two applies at once are not detected: the last write wins.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import stat
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from lmsform.errors import LmsformError
from lmsform.localdir import check_local_dir, local_dir, local_path


class LockedError(LmsformError):
    pass


def lock_path(root: Path) -> Path:
    return local_path(root, "apply.lock")


class ApplyLock:
    """Held from `__enter__` to `__exit__`; `taken_over` is the holder of a killed apply's lock, if any."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = lock_path(root)
        self.taken_over: dict[str, Any] | None = None
        self._descriptor: int | None = None
        self._holder: dict[str, Any] = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }

    def __enter__(self) -> ApplyLock:
        local_dir(self.root)
        descriptor = _acquire(self.path)
        if descriptor is None:
            raise LockedError(_running_message(self.path))
        try:
            previous = _read_holder(descriptor)
            if previous is not None and not _from_this_host(previous):
                raise LockedError(_other_host_message(self.path, self.root, previous))
            if previous is not None and _runs_here(previous):
                raise LockedError(_pid_runs_message(self.path, self.root, previous))
            _write_holder(descriptor, self._holder)
        except BaseException:
            os.close(descriptor)  # releases the kernel lock; the file stays as it was found
            raise
        self.taken_over = previous
        self._descriptor = descriptor
        return self

    @property
    def killed_journal(self) -> str | None:
        """The journal file name of the killed apply whose lock this one took over (None: it made none)."""
        name = (self.taken_over or {}).get("journal")
        return name if _plain_file_name(name) else None

    def record_journal(self, journal: Path) -> None:
        """Name the apply's journal in the lock, so that an apply taking the lock over after a kill
        knows where to look."""
        assert self._descriptor is not None, "the lock is not held"
        self._holder["journal"] = journal.name
        _write_holder(self._descriptor, self._holder)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._descriptor is not None:
            # Unlink before closing: whoever opens the path from now on gets a new file.
            self.path.unlink(missing_ok=True)
            os.close(self._descriptor)
            self._descriptor = None


def describe(holder: dict[str, Any]) -> str:
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('since', '?')}"


def unlock(root: Path, *, force: bool) -> str:
    """Remove a lock no apply holds; says what it did. Never removes one whose kernel lock is held; one
    from another host, or naming a process that runs here, takes `force`."""
    check_local_dir(root)
    path = lock_path(root)
    if not path.exists() and not path.is_symlink():
        return f"No lock: {path} does not exist."
    descriptor = _acquire(path)
    if descriptor is None:
        raise LockedError(
            f"the apply holding {path} is still running ({describe(_peek(path))}); "
            "wait for it, or stop it first"
        )
    try:
        holder = _read_holder(descriptor) or {}
        if holder and not _from_this_host(holder) and not force:
            raise LockedError(
                f"{path} is held by {describe(holder)}, which this machine cannot check; "
                "if that apply is over, run again with --force"
            )
        if _runs_here(holder) and not force:
            raise LockedError(
                f"{path} names {describe(holder)}, a process that still runs; "
                "if it is not an lmsform apply, run again with --force"
            )
        path.unlink(missing_ok=True)
    finally:
        os.close(descriptor)
    return f"Removed the lock of {describe(holder)}." if holder else f"Removed the empty lock {path}."


def _acquire(path: Path) -> int | None:
    """An open descriptor of the lock file with its kernel lock taken, or None if another process has it."""
    while True:
        descriptor = _open(path)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        except BaseException:
            os.close(descriptor)
            raise
        # The holder may have finished (and removed the file) between our open and our flock: then the
        # lock we took is on a file nobody else will see. Start again on whatever the path names now.
        try:
            same = os.path.samestat(os.fstat(descriptor), os.lstat(path))
        except FileNotFoundError:
            same = False
        if same:
            return descriptor
        os.close(descriptor)


def _open(path: Path) -> int:
    """The lock file, created if missing; never through a link, and only a regular file (LockedError).
    O_NONBLOCK: opening a pipe put in its place must not wait for a writer."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LockedError(_not_a_lock_message(path, "a symbolic link")) from None
        if error.errno in (errno.EISDIR, errno.ENXIO):
            raise LockedError(_not_a_lock_message(path, "not a regular file")) from None
        raise
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise LockedError(_not_a_lock_message(path, "not a regular file"))
    return descriptor


def _plain_file_name(name: object) -> bool:
    """A file name with no folder part: the journal name a lock file holds (a pull request may have
    written it) must not lead out of the journal folder."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(separator in name for separator in ("/", "\\", "\0"))
    )


def _read_holder(descriptor: int) -> dict[str, Any] | None:
    """Who wrote the lock file: None when it is new (empty), {} when it cannot be read (cut short)."""
    os.lseek(descriptor, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(descriptor, 65536):
        chunks.append(chunk)
    text = b"".join(chunks)
    if not text.strip():
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


def _peek(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            holder = _read_holder(descriptor) if stat.S_ISREG(os.fstat(descriptor).st_mode) else None
        finally:
            os.close(descriptor)
        if isinstance(holder, dict):
            return holder
    return {}


def _write_holder(descriptor: int, holder: dict[str, Any]) -> None:
    data = json.dumps(holder).encode()
    # Over what is there, then cut to size: never an empty file in between (it would name nobody).
    os.pwrite(descriptor, data, 0)
    os.ftruncate(descriptor, len(data))


def _from_this_host(holder: dict[str, Any]) -> bool:
    # An unreadable file was cut short by a kill between its creation and its first write; nobody holds
    # its kernel lock, so its writer is gone.
    return not holder or holder.get("host") == socket.gethostname()


def _runs_here(holder: dict[str, Any]) -> bool:
    """Whether the process a lock file of this host names still runs (not this one, which cannot hold it)."""
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid == os.getpid() or not _from_this_host(holder):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _not_a_lock_message(path: Path, what: str) -> str:
    return (
        f"{path} is {what}, not a lock file lmsform made: refusing to use it as the apply lock (a pull "
        "request may have committed it, to make lmsform write where it points); remove it and run again"
    )


def _running_message(path: Path) -> str:
    holder = describe(_peek(path))
    return f"another apply is running on this project ({holder}; {path}); wait for it to finish"


def _pid_runs_message(path: Path, root: Path, holder: dict[str, Any]) -> str:
    return (
        f"{path} names {describe(holder)}, a process that still runs on this host although it does not "
        "hold the lock (its id may have been reused, or this file system may not support locks); "
        f"if no apply is running on this project, run `lmsform unlock --force {root}`"
    )


def _other_host_message(path: Path, root: Path, holder: dict[str, Any]) -> str:
    return (
        f"{path} is held by an apply on another host ({describe(holder)}), which this machine cannot "
        f"check; if that apply is over, run `lmsform unlock --force {root}`"
    )
