"""Find a project's manifest files, and read one defensively, before any YAML parser sees it.

A manifest is a regular file inside the project folder, at most `MAX_FILE_BYTES` long, in UTF-8.
Symbolic links (to files or folders) may lead anywhere inside the project folder or the git
repository holding it (`LinkBoundary`), never out of them and never into a hidden folder: a pull
request that adds `users.yaml -> ~/.ssh/id_rsa` would otherwise have lmsform quote a secret file in
its error messages, and a named pipe or a device would make it wait or read forever.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lmsform.errors import Issue, Location, ManifestError, relative
from lmsform.yamllimits import (
    MAX_FOLDER_DEPTH,
    MAX_FOLDER_ENTRIES,
    MAX_PROJECT_BYTES,
    MAX_PROJECT_FILES,
    ProjectLimitError,
)

# About 75,000 users in one file; larger projects split their manifests over several files. Loading
# costs roughly 65 bytes of memory per byte of YAML, so this also bounds what one file can cost.
MAX_FILE_BYTES = 8 * 1024 * 1024
RESOURCE_SUFFIXES = (".yaml", ".yml")
_BOMS = {b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16", b"\x00\x00\xfe\xff": "UTF-32"}


@dataclass(frozen=True)
class LinkBoundary:
    """Where a symbolic link in a project may lead: into the project folder, or into the git
    repository that holds it (the nearest folder at or above the project with a `.git`), so that
    projects in one repository can share folders of manifests. Both paths are resolved."""

    project: Path
    repository: Path | None

    @classmethod
    def of(cls, root: Path) -> LinkBoundary:
        project = root.resolve()
        repository = next(
            (folder for folder in (project, *project.parents) if (folder / ".git").exists()), None
        )
        return cls(project, repository)

    def refusal(self, target: Path, *, folder: bool) -> str | None:
        """Why a link to `target` (resolved: a folder, or else a file) is refused, or None."""
        what = "a folder" if folder else "a file"
        base = next(
            (base for base in (self.project, self.repository) if base and target.is_relative_to(base)), None
        )
        if base is None:
            if self.repository is None:
                where, inside = "the project folder", "the project"
            else:
                where, inside = "the project folder and its git repository", "them"
            return (
                f"is a symbolic link to {what} outside {where}: lmsform reads manifests only from "
                f"inside {inside}"
            )
        hidden = self._hidden_part(target if folder else target.parent, base)
        if hidden is not None:
            return (
                f"is a symbolic link into the hidden folder {hidden}: lmsform reads no folder whose name "
                "starts with a dot (such as .git and .lmsform)"
            )
        return None

    def _hidden_part(self, target: Path, base: Path) -> str | None:
        """The first hidden folder on the way from `base` to `target`, not counting the folders the
        project itself is in (a project may live below a hidden folder of its repository)."""
        parts = target.relative_to(base).parts
        own = self.project.relative_to(base).parts
        shared = 0
        while shared < min(len(parts), len(own)) and parts[shared] == own[shared]:
            shared += 1
        return next((part for part in parts[shared:] if part.startswith(".")), None)


def find_manifests(
    root: Path, config_name: str, included: Sequence[Path] = ()
) -> tuple[list[Path], list[Issue]]:
    """Every YAML file below the project but its `config_name` (lmsform.yaml), skipping hidden files
    and folders (.lmsform, .git), and the problems with the links on the way.

    Links to folders are followed within the `LinkBoundary`. A file reached twice (through two links,
    or a link and its target) is an error, not read twice: it would declare everything in it twice, and
    which of its names errors and saved plans should show is a guess. A link to a file is left to the
    reader, which checks where it leads like that of lmsform.yaml.

    The search holds the project's bounds (`yamllimits`): the names it looks at, how deep folders nest,
    and how many manifest files there are and their bytes together, lmsform.yaml's included. It stops
    with a ProjectLimitError at the file or folder that crosses one, before any file is read.

    `included` are the folders and files lmsform.yaml's `include:` names, as `includes` checked them
    (real ones, inside the repository): searched the same way, within the same bounds.
    """
    search = _FileSearch(root, config_name)
    search.run(root)
    for path in included:
        if path.is_dir():
            search.run(path)
        else:
            search.file(path, path.resolve(), linked=False)
    return sorted(search.found), search.issues


@dataclass(frozen=True)
class _OpenFolder:
    path: Path
    real: Path  # resolved
    # The folders from the project folder down to this one, resolved: as shown.
    ancestors: Mapping[Path, Path]
    entries: Iterator[os.DirEntry[str]]  # those not visited yet, by name


class _FileSearch:
    """A depth-first search that keeps its open folders in a list, not on the call stack, so that a
    deep tree of folders meets `MAX_FOLDER_DEPTH` instead of Python's recursion limit."""

    def __init__(self, root: Path, config_name: str) -> None:
        self.config = root / config_name
        self.boundary = LinkBoundary.of(root)
        self.found: list[Path] = []
        self.issues: list[Issue] = []
        self.open: list[_OpenFolder] = []
        self.names = 0  # names looked at in the folders searched
        self.bytes = 0  # of the manifest files found, lmsform.yaml's included
        # Each file and folder read, by its resolved path: where it was first found.
        self.seen: dict[Path, Path] = {}
        with contextlib.suppress(OSError, RuntimeError):
            config = self.config.resolve(strict=True)
            self.seen[config] = self.config
            self._count_bytes(self.config, config, linked=self.config.is_symlink())

    def run(self, root: Path) -> None:
        self.enter(root, root.resolve(), {})
        while self.open:
            folder = self.open[-1]
            entry = next(folder.entries, None)
            if entry is None:
                self.open.pop()
            else:
                self.visit(folder, entry)

    def visit(self, folder: _OpenFolder, entry: os.DirEntry[str]) -> None:
        path = folder.path / entry.name
        if entry.name.startswith(".") or path == self.config:
            return
        if entry.is_symlink():
            self.link(path, folder.ancestors)
        elif entry.is_dir(follow_symlinks=False):
            self.enter(path, folder.real / entry.name, folder.ancestors)
        elif Path(entry.name).suffix in RESOURCE_SUFFIXES:
            self.file(path, folder.real / entry.name, linked=False)

    def link(self, path: Path, ancestors: Mapping[Path, Path]) -> None:
        manifest = path.suffix in RESOURCE_SUFFIXES
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # RuntimeError: a loop of links, before Python 3.13
            if manifest:
                self.file(path, None, linked=True)  # the reader says it leads nowhere, as for lmsform.yaml
            else:  # it may have been a folder of manifests
                self._problem(
                    path, "is a symbolic link that leads nowhere (missing target or a loop of links)"
                )
            return
        if not target.is_dir():
            if manifest:
                self.file(path, target, linked=True)
            return
        refusal = self.boundary.refusal(target, folder=True)
        if refusal is not None:
            self._problem(path, refusal)
        elif any(folder.is_relative_to(target) for folder in ancestors):
            self._problem(
                path,
                f"is a symbolic link to a folder that holds it ({relative(target)}): following it would loop",
            )
        else:
            self.enter(path, target, ancestors)

    def enter(self, path: Path, real: Path, ancestors: Mapping[Path, Path]) -> None:
        if self._found_before(path, real, "folder"):
            return
        if len(ancestors) > MAX_FOLDER_DEPTH:
            raise _project_limit(
                path,
                f"is a folder {len(ancestors)} levels below the project folder: lmsform searches at most "
                f"{MAX_FOLDER_DEPTH} levels deep",
            )
        entries = self._entries(path)
        if entries is not None:
            self.open.append(_OpenFolder(path, real, {**ancestors, real: path}, iter(entries)))

    def _entries(self, folder: Path) -> list[os.DirEntry[str]] | None:
        """The entries of `folder` by name, or None (with an issue) when it cannot be read."""
        entries = []
        try:
            with os.scandir(folder) as scan:
                for entry in scan:
                    self.names += 1
                    if self.names > MAX_FOLDER_ENTRIES:
                        raise _project_limit(
                            folder,
                            f"takes the project's folders over {MAX_FOLDER_ENTRIES:,} files and folders "
                            "(hidden ones included): lmsform searches no more",
                        )
                    entries.append(entry)
        except OSError as error:
            self.issues.append(Issue(None, f"{relative(folder)}: cannot be read: {error.strerror}"))
            return None
        return sorted(entries, key=lambda entry: entry.name)

    def file(self, path: Path, real: Path | None, *, linked: bool) -> None:
        """A manifest file at `path` (`linked`: a symbolic link); `real` is where it leads (resolved),
        None for a broken link."""
        if real is not None and self._found_before(path, real, "file"):
            return
        self.found.append(path)
        if len(self.found) > MAX_PROJECT_FILES:
            raise _project_limit(
                path,
                f"is manifest file number {len(self.found):,} of the project: a project may have at most "
                f"{MAX_PROJECT_FILES:,} besides lmsform.yaml",
            )
        if real is not None:
            self._count_bytes(path, real, linked=linked)

    def _count_bytes(self, path: Path, real: Path, *, linked: bool) -> None:
        """Add the size of the file `real` (found at `path`) to the project's. The reader refuses, by
        its kind and size alone, what is not a regular file, a file over `MAX_FILE_BYTES` and a link out
        of bounds: such a file counts nothing, so its own error is the one shown (and a link's target
        outside the project has no size to tell)."""
        if linked and self.boundary.refusal(real, folder=False) is not None:
            return
        try:
            status = os.stat(real)
        except OSError:
            return
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
            return
        self.bytes += status.st_size
        if self.bytes > MAX_PROJECT_BYTES:
            raise _project_limit(
                path,
                f"takes the project's manifest files over {MAX_PROJECT_BYTES // 2**20} MiB together "
                f"({self.bytes / 2**20:.1f} MiB with it): lmsform refuses larger projects",
            )

    def _found_before(self, path: Path, real: Path, what: str) -> bool:
        first = self.seen.setdefault(real, path)
        if first == path:
            return False
        self._problem(
            path,
            f"is the same {what} as {relative(first)} (one of them through a symbolic link): lmsform reads "
            "every manifest once, so remove the link",
        )
        return True

    def _problem(self, path: Path, problem: str) -> None:
        self.issues.append(_issue_at(path, problem))


def _issue_at(path: Path, problem: str) -> Issue:
    """An issue at the file `path`, or about the folder or other link `path` (which has no lines)."""
    shown = relative(path)
    if path.suffix in RESOURCE_SUFFIXES:
        return Issue(Location(shown, 1, 1), f"{shown.name} {problem}")
    return Issue(None, f"{shown} {problem}")


def _project_limit(path: Path, problem: str) -> ProjectLimitError:
    return ProjectLimitError([_issue_at(path, problem)])


def read_text(path: Path, shown_as: Path, root: Path | None = None) -> str:
    """The text of the manifest at `path` (shown as `shown_as`); ManifestError when it cannot be one.

    With `root` (the project folder), a symbolic link must stay within its `LinkBoundary`.
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
    refusal = (
        LinkBoundary.of(root).refusal(target, folder=False)
        if root is not None and path.is_symlink()
        else None
    )
    if refusal is not None:
        raise _file_error(shown_as, refusal)
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
