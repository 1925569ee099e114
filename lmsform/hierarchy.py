"""Groups that sit under other groups (`parent:`, on hierarchical vendors) must form a tree.

A group that is its own ancestor cannot be created: each group needs its parent's id first.
"""

from __future__ import annotations

from collections.abc import Mapping

from lmsform.errors import Issue
from lmsform.kinds import GROUPS
from lmsform.state import Resource, State


def parent_cycles(desired: State) -> list[Issue]:
    """One issue per cycle of declared groups' parents, at the group of the cycle declared first."""
    groups = {key[0]: group for key, group in desired.of(GROUPS.name).items()}
    parents = {name: _parent(group) for name, group in groups.items()}
    return [_cycle_issue([groups[member] for member in cycle]) for cycle in cycles(parents)]


def cycles(parents: Mapping[str, str | None]) -> list[list[str]]:
    """Each cycle among `parents` (group → its parent, None at the top), in the order of its chain."""
    found: list[list[str]] = []
    settled: set[str] = set()  # groups whose chain of parents is known to end
    for start in parents:
        chain: list[str] = []
        name: str | None = start
        while name is not None and name in parents and name not in settled and name not in chain:
            chain.append(name)
            name = parents[name]
        if name is not None and name in chain:
            found.append(chain[chain.index(name) :])
        settled.update(chain)
    return found


def _parent(group: Resource) -> str | None:
    parent = group.fields.get("parent")
    return str(parent) if parent is not None else None


def _cycle_issue(cycle: list[Resource]) -> Issue:
    first = min(cycle, key=lambda group: (group.source is None, group.source))
    at = cycle.index(first)
    ordered = cycle[at:] + cycle[:at]
    name = ordered[0].key[0]
    if len(ordered) == 1:
        return Issue(first.source, f"group {name!r} names itself as its parent")
    path = " -> ".join(repr(group.key[0]) for group in [*ordered, ordered[0]])
    places = ", ".join(f"{group.key[0]!r} at {group.source}" for group in ordered[1:])
    return Issue(
        first.source,
        f"group {name!r} is its own ancestor: {path} (declared {places}); groups must form a tree",
    )
