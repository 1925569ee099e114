"""Bounds on manifests: on one YAML document's shape, and on a whole project.

One document's shape is checked on the parser's events before any tree is built:

* **Nesting** at most `MAX_DEPTH` levels: manifests need about five. Deeper documents are a way to
  exhaust the stack (libyaml's composer crashes the process on a few hundred kilobytes of `[`).
* **Values** at most `MAX_VALUES` per file (every scalar, list and mapping counts one).
* **Aliases** (`*name`) may repeat at most `MAX_ALIAS_VALUES` values per file in all, counting what
  the aliases inside an anchored value repeat too. Nine lines of nested aliases can otherwise stand
  for a billion values ("billion laughs"). An alias inside the value it names (a recursive
  structure) is refused outright.

Each check stops at the event that crosses its bound, so an oversized document costs no more than
the part of it read up to there.

Per-file bounds alone let a project cost as much as its number of files allows, so a project as a
whole is bounded too, before any file's tree is built: the folders searched (`sourcefile` counts the
names it looks at, the manifest files and their bytes, and how deep folders nest) and the values of
all its files together, aliases' repeats included (`ProjectValues`). Crossing one stops the load with
a `ProjectLimitError`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from lmsform.errors import Issue, Location, ManifestError

MAX_DEPTH = 50
MAX_VALUES = 1_000_000
MAX_ALIAS_VALUES = 100_000

# A whole project. Measured on Skilljar projects made by `benchmarks/orgs.py` and validated on a
# 2-core machine: the L size (20,000 users, 300 groups, 150 courses, 60,000 enrollments: about 100,000
# entries) is 4.1 MiB in 6 files and 263,000 values, and takes 4.8 s and 275 MB; issue 20's XL size
# (100,000 users, 1,000 groups, 500 courses, 300,000 enrollments) is 20.6 MiB and 1.31 million values,
# and takes 23.5 s and 1.07 GB. The bounds leave XL half as much again: a project of XL's shape at
# them (150,000 users, 450,000 enrollments: 31 MiB, 1.96 million values) takes 36 s of CPU and 1.4 GB,
# and one whose 2 million values are each an error 83 s and 1.4 GB (most of it making the messages).
# Without these bounds, four files of 6 MiB of values took 129 s and 2.5 GB to refuse; now 3.6 s.
MAX_PROJECT_BYTES = 32 * 2**20
MAX_PROJECT_VALUES = 2_000_000
# One file per group of XL ten times over: 10,000 small files take about 13 s to load.
MAX_PROJECT_FILES = 10_000
# Folders below the project folder: projects use one or two levels.
MAX_FOLDER_DEPTH = 32
# Names looked at in the project's folders (other files and hidden ones too), so that a folder of
# millions of files costs no more to refuse than to search this many.
MAX_FOLDER_ENTRIES = 100_000


class ProjectLimitError(ManifestError):
    """A project as a whole is larger than lmsform loads: the load stops here, with this one issue."""


class ProjectValues:
    """The values the files of one project read so far hold, with those their aliases repeat, against
    `MAX_PROJECT_VALUES`."""

    def __init__(self) -> None:
        self.counted = 0

    def left(self) -> int:
        return MAX_PROJECT_VALUES - self.counted


def check_shape(events: Iterable[Any], shown_as: Path, project: ProjectValues | None = None) -> None:
    """Raise ManifestError at the first event that makes the document too deep, too large, or an
    alias repeat too much; ProjectLimitError at the first that takes `project` over its values."""
    # What the project has left, for the values this file writes and those its aliases repeat: else
    # files that each keep within their own alias bound could together repeat millions.
    left = project.left() if project is not None else sys.maxsize
    values = 0
    repeated = 0
    sizes: dict[str, int] = {}  # anchor -> the values it stands for, its aliases' included
    open_anchors: dict[str, Any] = {}  # anchors of the collections still open -> their event
    stack: list[list[Any]] = []  # per open collection: [values so far, anchor]
    for event in events:
        kind = type(event)
        if kind is ScalarEvent:
            count = 1
            values += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            values += 1
            if len(stack) >= MAX_DEPTH:
                raise _error(
                    event,
                    shown_as,
                    f"nested more than {MAX_DEPTH} levels deep: manifests need about 5, and lmsform "
                    "refuses deeper ones",
                )
            stack.append([1, event.anchor])
            if event.anchor is not None:
                open_anchors[event.anchor] = event
            if values > MAX_VALUES or values + repeated > left:
                raise _too_many_values(event, shown_as, values, project)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            count, anchor = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
                open_anchors.pop(anchor, None)
        elif kind is AliasEvent:
            count = _alias_size(event, sizes, open_anchors, shown_as)
            repeated += count
            if repeated > MAX_ALIAS_VALUES:
                raise _error(
                    event,
                    shown_as,
                    f"alias *{event.anchor} repeats {count:,} values, which takes this file's aliases over "
                    f"{MAX_ALIAS_VALUES:,} repeated values: lmsform refuses to expand aliases that far "
                    "(an alias bomb); write the values out",
                )
        else:
            continue
        if values > MAX_VALUES or values + repeated > left:
            raise _too_many_values(event, shown_as, values, project)
        if stack:
            stack[-1][0] += count
    if project is not None:
        project.counted += values + repeated


def _alias_size(event: Any, sizes: dict[str, int], open_anchors: dict[str, Any], shown_as: Path) -> int:
    anchor = event.anchor
    if anchor in open_anchors:
        started = open_anchors[anchor].start_mark
        raise _error(
            event,
            shown_as,
            f"alias *{anchor} is inside the value it names (&{anchor} at line {started.line + 1}, column "
            f"{started.column + 1}): a structure that contains itself cannot be a manifest",
        )
    if anchor not in sizes:
        raise _error(event, shown_as, f"alias *{anchor} names no anchor &{anchor} above it")
    return sizes[anchor]


def _too_many_values(event: Any, shown_as: Path, values: int, project: ProjectValues | None) -> ManifestError:
    if project is not None and values <= MAX_VALUES:
        mark = event.start_mark
        return ProjectLimitError(
            [
                Issue(
                    Location(shown_as, mark.line + 1, mark.column + 1),
                    f"more than {MAX_PROJECT_VALUES:,} values in the project's manifest files together, "
                    f"counting what aliases repeat ({project.counted:,} in the files before this one): "
                    "lmsform refuses larger projects",
                )
            ]
        )
    return _error(
        event,
        shown_as,
        f"more than {MAX_VALUES:,} values in one file: split the manifests into several files",
    )


def _error(event: Any, shown_as: Path, message: str) -> ManifestError:
    mark = event.start_mark
    return ManifestError([Issue(Location(shown_as, mark.line + 1, mark.column + 1), message)])
