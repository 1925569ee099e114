"""One apply at a time per project: a lock file under `.lmsform/`, made atomically.

The lock names who holds it (process id, host, since when). A lock whose process is gone (a killed CI
job) is stale: `lmsform unlock` removes it after checking that its process is not running on this
host; a lock held from another host cannot be checked, so removing it takes `--force`.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from lmsform.errors import LmsformError
from lmsform.sandbox import LOCAL_DIR


class LockedError(LmsformError):
    pass


def lock_path(root: Path) -> Path:
    return root / LOCAL_DIR / "apply.lock"


class ApplyLock:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = lock_path(root)
        self._held = False

    def __enter__(self) -> ApplyLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        try:
            descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise LockedError(_held_message(self.path, self.root)) from None
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(holder, file)
        self._held = True
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._held:
            self.path.unlink(missing_ok=True)
            self._held = False


def unlock(root: Path, *, force: bool) -> str:
    """Remove a stale lock; says what it did. Refuses a lock whose process still runs here."""
    path = lock_path(root)
    holder = _holder(path)
    if holder is None:
        return f"No lock: {path} does not exist."
    running = _running_here(holder)
    if running is True and not force:
        raise LockedError(
            f"the apply holding {path} is still running (pid {holder.get('pid')}); "
            "wait for it, or stop it first"
        )
    if running is None and not force:
        raise LockedError(
            f"{path} is held by pid {holder.get('pid')} on host {holder.get('host')!r}, which this machine "
            "cannot check; if that apply is over, run again with --force"
        )
    path.unlink(missing_ok=True)
    return (
        f"Removed the lock of pid {holder.get('pid')} on {holder.get('host')} (since {holder.get('since')})."
    )


def _held_message(path: Path, root: Path) -> str:
    holder = _holder(path) or {}
    who = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('since', '?')}"
    running = _running_here(holder) if holder else None
    if running is False:
        return (
            f"a stale lock: {path} was left by an apply that is no longer running ({who}); "
            f"check its journal in {root / LOCAL_DIR / 'journal'}, then run `lmsform unlock {root}`"
        )
    return f"another apply is running on this project ({who}; {path}); wait for it to finish"


def _holder(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return {}  # cut short by a kill between create and write: nobody can hold it
    return data if isinstance(data, dict) else {}


def _running_here(holder: dict[str, Any]) -> bool | None:
    """Whether the holder's process runs (None: it is on another host, or unknown)."""
    pid = holder.get("pid")
    if not isinstance(pid, int) or holder.get("host") != socket.gethostname():
        return False if not holder else None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
