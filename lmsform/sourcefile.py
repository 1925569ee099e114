"""Read one manifest file defensively, before any YAML parser sees it.

A manifest is a regular file inside the project folder, at most `MAX_FILE_BYTES` long, in UTF-8.
Symbolic links may point to another file of the project, never out of it: a pull request that adds
`users.yaml -> ~/.ssh/id_rsa` would otherwise have lmsform quote a secret file in its error messages,
and a named pipe or a device would make it wait or read forever.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lmsform.errors import Issue, Location, ManifestError

# About 75,000 users in one file; larger projects split their manifests over several files. Loading
# costs roughly 65 bytes of memory per byte of YAML, so this also bounds what one file can cost.
MAX_FILE_BYTES = 8 * 1024 * 1024
_BOMS = {b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16", b"\x00\x00\xfe\xff": "UTF-32"}


def read_text(path: Path, shown_as: Path, root: Path | None = None) -> str:
    """The text of the manifest at `path` (shown as `shown_as`); ManifestError when it cannot be one.

    With `root`, a symbolic link must lead to a file inside `root`.
    """
    target = _target(path, shown_as, root)
    try:
        with open(target, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _file_error(shown_as, f"cannot be read: {error.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(shown_as, len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError([_not_utf8(data, error, shown_as)]) from None


def _target(path: Path, shown_as: Path, root: Path | None) -> Path:
    """The file `path` names, after checking it is a regular file of acceptable size."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link, or a loop of links (RuntimeError before 3.13)
        why = "is a symbolic link that leads nowhere (missing target or a loop of links)"
        raise _file_error(shown_as, why) from None
    if root is not None and path.is_symlink() and not target.is_relative_to(root.resolve()):
        raise _file_error(
            shown_as,
            "is a symbolic link to a file outside the project folder: lmsform reads manifests only "
            "from inside the project",
        )
    try:
        status = os.stat(target)
    except OSError as error:
        raise _file_error(shown_as, f"cannot be read: {error.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise _file_error(shown_as, f"is {_file_type(status.st_mode)}, not a file")
    if status.st_size > MAX_FILE_BYTES:
        raise _too_large(shown_as, status.st_size)
    return target


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _file_error(shown_as: Path, problem: str) -> ManifestError:
    return ManifestError([Issue(Location(shown_as, 1, 1), f"{shown_as.name} {problem}")])


def _too_large(shown_as: Path, size: int) -> ManifestError:
    return _file_error(
        shown_as,
        f"is {size / 2**20:.1f} MiB; a manifest file may be at most {MAX_FILE_BYTES // 2**20} MiB: "
        "split it into several files",
    )


def _not_utf8(data: bytes, error: UnicodeDecodeError, shown_as: Path) -> Issue:
    for bom, encoding in _BOMS.items():
        if data.startswith(bom):
            return Issue(
                Location(shown_as, 1, 1), f"the file is {encoding}; lmsform reads UTF-8: save it as UTF-8"
            )
    before = data[: error.start].decode("utf-8")
    line, column = line_and_column(before, len(before))
    byte = data[error.start]
    return Issue(
        Location(shown_as, line, column),
        f"not UTF-8: byte 0x{byte:02X} cannot appear here (was the file saved as Latin-1 or Windows-1252?); "
        "save it as UTF-8",
    )


def line_and_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of `text[index]`, counting line breaks as YAML does (CR, LF, CRLF)."""
    breaks = text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index)
    line_start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return breaks + 1, index - line_start + 1
