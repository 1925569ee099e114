"""Catalogue rules as the loader declares them, on a publication or a learning path: sets of names,
where each is named, and prerequisite cycles (no learner could ever start a course that needs itself)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from lmsform.errors import Issue, Location
from lmsform.kinds import PUBLICATION_GROUP_RULES, Key

# Rules that are sets of names: their order is not kept, so they are declared and compared sorted.
SET_RULES = ("prerequisites", *PUBLICATION_GROUP_RULES, "tags")
_TARGETS = {"prerequisites": "publications", **dict.fromkeys(PUBLICATION_GROUP_RULES, "groups")}


def as_sets(values: Mapping[str, Any]) -> dict[str, Any]:
    """The declared values, each set rule sorted and without repeats."""
    return {
        name: sorted(set(value)) if name in SET_RULES and value is not None else value
        for name, value in values.items()
    }


def places(settings: BaseModel, at: Callable[..., Location], *under: str) -> dict[tuple[str, Key], Location]:
    """Where the rules first name each publication and group they refer to (`at` finds a place under
    the entry; `under`: the steps from the entry to the rules, e.g. `published`)."""
    found: dict[tuple[str, Key], Location] = {}
    for rule, target in _TARGETS.items():
        for index, name in enumerate(getattr(settings, rule, None) or ()):
            found.setdefault((target, (name,)), at(*under, rule, index))
    return found


def prerequisite_cycles(named_at: Mapping[tuple[str, str], Location]) -> list[Issue]:
    """One error per cycle among the declared prerequisites (course → prerequisite course), at the
    place that closes it."""
    needs: dict[str, list[str]] = {}
    for course, prerequisite in named_at:
        needs.setdefault(course, []).append(prerequisite)
    issues: list[Issue] = []
    done: set[str] = set()
    for start in sorted(needs):
        _walk(start, [], needs, done, named_at, issues)
    return issues


def _walk(
    course: str,
    trail: list[str],
    needs: Mapping[str, list[str]],
    done: set[str],
    named_at: Mapping[tuple[str, str], Location],
    issues: list[Issue],
) -> None:
    if course in done:
        return
    trail.append(course)
    for prerequisite in sorted(needs.get(course, ())):
        if prerequisite in trail:
            loop = [*trail[trail.index(prerequisite) :], prerequisite]
            shown = " → ".join(repr(title) for title in loop)
            issues.append(
                Issue(
                    named_at[(course, prerequisite)],
                    f"prerequisites make a cycle ({shown}): no learner could ever start these courses",
                )
            )
        else:
            _walk(prerequisite, trail, needs, done, named_at, issues)
    trail.pop()
    done.add(course)
