"""Bounds on a YAML document's shape, checked on the parser's events before any tree is built.

* **Nesting** at most `MAX_DEPTH` levels: manifests need about five. Deeper documents are a way to
  exhaust the stack (libyaml's composer crashes the process on a few hundred kilobytes of `[`).
* **Values** at most `MAX_VALUES` per file (every scalar, list and mapping counts one).
* **Aliases** (`*name`) may repeat at most `MAX_ALIAS_VALUES` values per file in all, counting what
  the aliases inside an anchored value repeat too. Nine lines of nested aliases can otherwise stand
  for a billion values ("billion laughs"). An alias inside the value it names (a recursive
  structure) is refused outright.

Each check stops at the event that crosses its bound, so an oversized document costs no more than
the part of it read up to there.
"""

from __future__ import annotations

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


def check_shape(events: Iterable[Any], shown_as: Path) -> None:
    """Raise ManifestError at the first event that makes the document too deep, too large, or an
    alias repeat too much."""
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
            if values > MAX_VALUES:
                raise _too_many_values(event, shown_as)
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
        if values > MAX_VALUES:
            raise _too_many_values(event, shown_as)
        if stack:
            stack[-1][0] += count


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


def _too_many_values(event: Any, shown_as: Path) -> ManifestError:
    return _error(
        event,
        shown_as,
        f"more than {MAX_VALUES:,} values in one file: split the manifests into several files",
    )


def _error(event: Any, shown_as: Path, message: str) -> ManifestError:
    mark = event.start_mark
    return ManifestError([Issue(Location(shown_as, mark.line + 1, mark.column + 1), message)])
