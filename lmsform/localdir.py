"""`.lmsform/` next to `lmsform.yaml`: lmsform's local state (apply journals, the apply lock, sandbox data).

The journals name learners, so the folder is never committed and only its owner can read it. Every
writer goes through `local_dir`, which creates the folder owner-only with a `.gitignore` that ignores
everything in it, whatever the vendor (the sandbox or a real account).

A pull request can commit `.lmsform/` despite its .gitignore: a `.lmsform` (or a folder below it) that
is a symbolic link would send lmsform's writes wherever it points, so every folder on the way must be
a real folder (checked without following links), or nothing is written.
"""

from __future__ import annotations

import contextlib
import stat
from pathlib import Path

from lmsform.errors import LmsformError

LOCAL_DIR = ".lmsform"
IGNORE_FILE = ".gitignore"
IGNORE_TEXT = (
    "# lmsform's local state (journals naming learners, the apply lock, sandbox data): never commit it\n*\n"
)
# Owner-only: other users of the machine must not read the journals (they name learners).
FOLDER_MODE = 0o700


def local_path(root: Path, *parts: str) -> Path:
    """Where something under `.lmsform/` is; creates nothing (for reading, or for naming it in a message)."""
    return root.joinpath(LOCAL_DIR, *parts)


class LocalDirError(LmsformError):
    """`.lmsform/`, or a folder in it, is not a real folder (a link, a file): lmsform writes nothing there."""


def local_dir(root: Path, *parts: str) -> Path:
    """`.lmsform/` (or a folder below it), created if missing, with the `.gitignore` in place.

    An existing folder keeps its permissions and an existing `.gitignore` its text: the user may have
    chosen them (lmsform only ever creates them). Raises LocalDirError, before writing anything, when
    a folder on the way is a symbolic link or not a folder.
    """
    folder = local_path(root)
    _make_folder(folder)
    _write_ignore(folder / IGNORE_FILE)
    for part in Path(*parts).parts:
        folder = folder / part
        _make_folder(folder)
    return folder


def check_local_dir(root: Path, *parts: str) -> None:
    """Raises LocalDirError when `.lmsform/` (or a folder below it), where it exists, is not a real folder."""
    folders = [local_path(root)]
    for part in Path(*parts).parts:
        folders.append(folders[-1] / part)
    for folder in folders:
        with contextlib.suppress(FileNotFoundError):
            _refuse_unless_folder(folder)


def _make_folder(path: Path) -> None:
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=FOLDER_MODE)
    _refuse_unless_folder(path)


def _refuse_unless_folder(path: Path) -> None:
    mode = path.lstat().st_mode  # lstat: a link is refused, not followed
    if stat.S_ISDIR(mode):
        return
    what = "a symbolic link" if stat.S_ISLNK(mode) else "not a folder"
    raise LocalDirError(
        f"{path} is {what}: lmsform keeps its local state (journals, the apply lock) in a folder it makes, "
        "and writes nothing through a link (a pull request may have committed it); remove it and run again"
    )


def _write_ignore(path: Path) -> None:
    # "x": two lmsform processes starting at once both try; the second finds the file and leaves it.
    # It also never follows a link (a link in its place counts as the file, and is left alone).
    with contextlib.suppress(FileExistsError), path.open("x", encoding="utf-8") as file:
        file.write(IGNORE_TEXT)
