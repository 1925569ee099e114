"""`include:` in lmsform.yaml: folders and files of manifests that the projects of one repository share
(staging and production), loaded with the project's own.

lmsform.yaml is untrusted like any manifest: a pull request may point an include anywhere (at a key
file of the runner, say). So an include is a path relative to the project folder that

* stays inside the git repository holding the project (the nearest folder at or above it with a
  `.git`, as for links: `sourcefile.LinkBoundary`), or inside the project folder when no repository
  holds it. The boundary comes from where the project is, never from a manifest;
* reaches what it names through real folders only: each one on the way is looked at without
  following links, so no link is ever taken (`include:` is what replaces links);
* enters no hidden folder (`.git`, `.lmsform`), and neither holds the project folder, nor lies inside
  it, nor overlaps another include: every manifest is read once.

What it names is then searched like the project folder, within the same bounds (files, bytes,
values), counted together with the project's own (`sourcefile.find_manifests`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from lmsform.errors import Issue, Location, relative
from lmsform.sourcefile import RESOURCE_SUFFIXES, LinkBoundary
from lmsform.yamlsource import Document

INCLUDE = "include"


def included_paths(document: Document, root: Path, config_name: str) -> tuple[list[Path], list[Issue]]:
    """The folders and files lmsform.yaml (`document`) includes, resolved, and the issues with those it
    cannot; each issue is at its entry. Entries that are not text are left to the model's check."""
    boundary = LinkBoundary.of(root)
    paths: list[Path] = []
    issues: list[Issue] = []
    for entry, where in _entries(document):
        problem, target = _check(entry, boundary, config_name, paths)
        if problem is not None:
            issues.append(Issue(where, f"include {entry!r} {problem}"))
        elif target is not None:
            paths.append(target)
    return paths, issues


def _entries(document: Document) -> Iterator[tuple[str, Location]]:
    data = document.root
    listed = data.get(INCLUDE) if isinstance(data, CommentedMap) else None
    if not isinstance(listed, CommentedSeq):
        return
    for index, entry in enumerate(listed):
        if isinstance(entry, str):
            yield entry, document.location(data, (INCLUDE, index))


def _check(
    entry: str, boundary: LinkBoundary, config_name: str, accepted: list[Path]
) -> tuple[str | None, Path | None]:
    """(why the entry is refused, None) or (None, what it names, resolved)."""
    if not entry or Path(entry).is_absolute() or Path(entry).drive:
        return "is not a path relative to the project folder (e.g. ../shared/people)", None
    project = boundary.project
    base = boundary.repository or project
    # Lexical: every folder on the way is checked below to be a real one, so `..` means what it says.
    target = Path(os.path.normpath(project / entry))
    if not target.is_relative_to(base):
        where = (
            "the git repository that holds the project"
            if boundary.repository is not None
            else "the project folder (no git repository holds it, so an include stays inside it)"
        )
        return f"leads outside {where}: lmsform reads manifests only from inside it", None
    problem = _way_problem(target, base, project)
    if problem is not None:
        return problem, None
    if target == project or project.is_relative_to(target):
        return "holds the project folder itself: include the folders it shares instead", None
    if target.is_relative_to(project):
        return "is inside the project folder, whose manifests lmsform loads already", None
    for other in accepted:
        if target.is_relative_to(other) or other.is_relative_to(target):
            return f"overlaps the include of {relative(other)}: lmsform reads every manifest once", None
    return _kind_problem(target, config_name), target


def _way_problem(target: Path, base: Path, project: Path) -> str | None:
    """Why the way from `base` to `target` is refused: a link, a hidden folder, a missing name."""
    own = project.relative_to(base).parts
    current = base
    for index, part in enumerate(target.relative_to(base).parts):
        current = current / part
        # The folders the project itself is in may be hidden (a project below `.config/`); no other.
        if part.startswith(".") and own[: index + 1] != target.relative_to(base).parts[: index + 1]:
            return (
                f"reaches into the hidden folder {part}: lmsform reads no folder whose name starts with a "
                "dot (such as .git and .lmsform)"
            )
        try:
            mode = current.lstat().st_mode  # lstat: a link is refused, never followed
        except OSError:
            return f"names {relative(current)}, which does not exist"
        if stat.S_ISLNK(mode):
            return (
                f"passes through the symbolic link {relative(current)}: an include names real folders and "
                "files, never a link"
            )
    return None


def _kind_problem(target: Path, config_name: str) -> str | None:
    mode = target.lstat().st_mode
    if stat.S_ISDIR(mode):
        if (target / config_name).exists() or (target / config_name).is_symlink():
            return (
                f"holds {config_name}: it is another project; include the folders it shares, not the project"
            )
        return None
    if not stat.S_ISREG(mode):
        return "is neither a folder nor a file"
    if target.name == config_name:
        return f"is another project's {config_name}: include the folders of manifests it shares instead"
    if target.suffix not in RESOURCE_SUFFIXES:
        return f"is not a manifest file: lmsform reads files ending in {' or '.join(RESOURCE_SUFFIXES)}"
    return None
