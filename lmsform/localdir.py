"""`.lmsform/` next to `lmsform.yaml`: lmsform's local state (apply journals, the apply lock, sandbox data).

The journals name learners, so the folder is never committed and only its owner can read it. Every
writer goes through `local_dir`, which creates the folder owner-only with a `.gitignore` that ignores
everything in it, whatever the vendor (the sandbox or a real account).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

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


def local_dir(root: Path, *parts: str) -> Path:
    """`.lmsform/` (or a folder below it), created if missing, with the `.gitignore` in place.

    An existing folder keeps its permissions and an existing `.gitignore` its text: the user may have
    chosen them (lmsform only ever creates them).
    """
    top = local_path(root)
    top.mkdir(mode=FOLDER_MODE, exist_ok=True)
    _write_ignore(top / IGNORE_FILE)
    folder = local_path(root, *parts)
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    return folder


def _write_ignore(path: Path) -> None:
    # "x": two lmsform processes starting at once both try; the second finds the file and leaves it.
    with contextlib.suppress(FileExistsError), path.open("x", encoding="utf-8") as file:
        file.write(IGNORE_TEXT)
