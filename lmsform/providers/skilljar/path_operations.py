"""Planned changes of learning paths → Skilljar API calls (skilljar.md D60 to D64).

A path is one published path (slug and settings), its Path (title and descriptions, changed through
`/v1/paths/{path_id}`), its ordered items (one per published course), its labels, and its catalogue
tags and group visibility overrides (written as a publication's: skilljar.md D85). Items carry an
integer `order` that only sorts them (D61), so a reorder moves only the items that are out of place:
those outside a longest run already in the wanted order, each to a free order between its neighbours.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lmsform.kinds import PATHS, PUBLICATIONS
from lmsform.plan import Change
from lmsform.providers.base import ApplyContext
from lmsform.providers.safe_writes import create_once
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.providers.skilljar.publication_rules import PATH_RULES, TagIds, write_rules

# lmsform's path fields → where Skilljar keeps them: the Path's own fields, and the published path's.
DEFINITION_FIELDS = {
    "title": "title",
    "short_description": "short_description",
    "long_description": "long_description_html",
}
SETTINGS = ("hidden", "strict_enforce_group_visibility", "unique_progress_per_enrollment")
PATH_FIELDS = (*DEFINITION_FIELDS, *SETTINGS, "courses", "labels", *PATH_RULES.sources)
# The order of the n-th item of a path lmsform makes: gaps, so a later move rarely renumbers others.
ORDER_STEP = 1024


@dataclass(frozen=True)
class LiveItem:
    id: str
    course: str
    order: int


def items_id(items: Sequence[LiveItem]) -> str:
    """A live path's items as one of its ids (the plan keeps ids as text)."""
    return json.dumps([[item.id, item.course, item.order] for item in items])


def items_of(change: Change) -> list[LiveItem]:
    return [
        LiveItem(str(id_), str(course), int(order)) for id_, course, order in json.loads(change.ids["items"])
    ]


@dataclass
class ItemWrites:
    """The fewest item calls that turn the live items into the wanted list."""

    deletes: list[str] = field(default_factory=list)
    moves: list[tuple[str, int]] = field(default_factory=list)
    adds: list[tuple[str, int]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.deletes) + len(self.moves) + len(self.adds)


def item_writes(live: Sequence[LiveItem], wanted: Sequence[str]) -> ItemWrites:
    """Delete what is not wanted, keep a longest run of items already in the wanted order where they
    are, and give every other wanted course a free order between its neighbours: the minimum number
    of calls (every item not written keeps its order, so the kept ones must already be in order).
    When two neighbours leave no room, every item is renumbered instead."""
    writes = ItemWrites()
    position = {course: index for index, course in enumerate(wanted)}
    kept: list[LiveItem] = []
    for item in live:
        if item.course in position and all(other.course != item.course for other in kept):
            kept.append(item)
        else:
            writes.deletes.append(item.id)
    anchors = {position[item.course]: item for item in _longest_run(kept, position)}
    orders = _orders_between(len(wanted), {index: item.order for index, item in anchors.items()})
    if orders is None:  # no room: renumber
        anchors = {}
        orders = [ORDER_STEP * (index + 1) for index in range(len(wanted))]
    live_by_course = {item.course: item for item in kept}
    for index, course in enumerate(wanted):
        if index in anchors:
            continue
        found = live_by_course.get(course)
        if found is None:
            writes.adds.append((course, orders[index]))
        elif found.order != orders[index]:
            writes.moves.append((found.id, orders[index]))
    return writes


def _longest_run(items: Sequence[LiveItem], position: Mapping[str, int]) -> list[LiveItem]:
    """A longest subsequence of `items` (in their live order) whose wanted positions increase."""
    tails: list[int] = []  # the wanted position ending the best run of each length
    ends: list[int] = []  # the index in `items` of that end
    before: list[int] = [-1] * len(items)
    for index, item in enumerate(items):
        at = bisect_left(tails, position[item.course])
        if at == len(tails):
            tails.append(position[item.course])
            ends.append(index)
        else:
            tails[at] = position[item.course]
            ends[at] = index
        before[index] = ends[at - 1] if at > 0 else -1
    run = []
    index = ends[-1] if ends else -1
    while index >= 0:
        run.append(items[index])
        index = before[index]
    return run[::-1]


def _orders_between(count: int, fixed: Mapping[int, int]) -> list[int] | None:
    """An order for each of `count` positions, keeping `fixed` ones, strictly between neighbours; None
    when some gap between two fixed orders is too small for what must go in it."""
    orders = [0] * count
    for index, order in fixed.items():
        orders[index] = order
    start = 0
    bounds = [*sorted(fixed), count]
    low: int | None = None
    for end in bounds:
        high = fixed.get(end)
        gap = list(range(start, end))
        if gap:
            placed = _spread(len(gap), low, high)
            if placed is None:
                return None
            for index, order in zip(gap, placed, strict=True):
                orders[index] = order
        low, start = high, end + 1
    return orders


def _spread(count: int, low: int | None, high: int | None) -> list[int] | None:
    if low is None and high is None:
        return [ORDER_STEP * (index + 1) for index in range(count)]
    if low is None:
        assert high is not None
        return [high - ORDER_STEP * (count - index) for index in range(count)]
    if high is None:
        return [low + ORDER_STEP * (index + 1) for index in range(count)]
    if high - low <= count:
        return None
    return [low + (high - low) * (index + 1) // (count + 1) for index in range(count)]


# --- labels ----------------------------------------------------------------------------------------


class LabelIds:
    """The organisation's label ids by name, read once when a change first needs one; a missing label
    is made (label names are unique in an organisation)."""

    def __init__(self, client: SkilljarClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._known: dict[str, str] | None = None

    def _read(self) -> dict[str, str]:
        return {str(item["name"]): str(item["id"]) for item in self._client.list_labels()}

    def id_of(self, name: str, *, key: str) -> str:
        with self._lock:
            if self._known is None:
                self._known = self._read()
            if name not in self._known:
                self._known[name] = create_once(
                    lambda: str(self._client.create_label(name, key=key)["id"]),
                    lambda: self._read().get(name),
                    what=f"label {name!r} of {key}",
                    vendor_unique=True,
                    attempts=self._client.http.attempts,
                )
            return self._known[name]


def live_label_ids(change: Change) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(change.ids.get("labels") or "{}")
    return loaded


# --- operations ---------------------------------------------------------------------------------------


def _after(change: Change) -> Mapping[str, Any]:
    assert change.after is not None, f"{change.action} of {change.address} has no target state"
    return change.after


def create_path(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    definition = {
        DEFINITION_FIELDS[name]: after[name] for name in DEFINITION_FIELDS if after.get(name) is not None
    }
    body = {
        "slug": after["slug"],
        "path": definition,
        **{name: after[name] for name in SETTINGS if after.get(name) is not None},
    }

    def find() -> str | None:  # slugs are unique per domain: one read of the path list finds it
        return next(
            (str(item["id"]) for item in client.list_paths() if item.get("slug") == after["slug"]), None
        )

    published_path_id = create_once(
        lambda: str(client.create_path(body, key=change.address)["id"]),
        find,
        what=change.address,
        vendor_unique=True,
        attempts=client.http.attempts,
    )
    context.record(PATHS.name, change.key, published_path_id)
    _write_items(client, change, context, published_path_id, [], after.get("courses") or [])
    _write_labels(client, change, published_path_id, {}, after.get("labels") or [])
    write_rules(client, change, context, published_path_id, TagIds(client), PATH_RULES)


def update_path(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    published_path_id = change.ids["id"]
    changed = set(change.changed)
    settings = {name: after[name] for name in SETTINGS if name in changed}
    if settings:
        client.update_published_path(published_path_id, settings, key=change.address)
    definition = {DEFINITION_FIELDS[name]: after[name] for name in DEFINITION_FIELDS if name in changed}
    if definition:
        client.update_path_definition(change.ids["path"], definition, key=change.address)
    if "courses" in changed:
        _write_items(client, change, context, published_path_id, items_of(change), after["courses"] or [])
    if "labels" in changed:
        _write_labels(client, change, published_path_id, live_label_ids(change), after["labels"] or [])
    if changed & set(PATH_RULES.sources):
        write_rules(client, change, context, published_path_id, TagIds(client), PATH_RULES)


def delete_path(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.delete_path(change.ids["id"], key=change.address)


def _write_items(
    client: SkilljarClient,
    change: Change,
    context: ApplyContext,
    published_path_id: str,
    live: Sequence[LiveItem],
    wanted: Sequence[str],
) -> None:
    writes = item_writes(live, wanted)
    for item_id in writes.deletes:
        client.delete_path_item(published_path_id, item_id, key=change.address)
    for item_id, order in writes.moves:
        client.move_path_item(published_path_id, item_id, order, key=change.address)
    for course, order in writes.adds:
        publication_id = context.id_of(PUBLICATIONS.name, (course,))
        client.add_path_item(published_path_id, publication_id, order, key=change.address)


def _write_labels(
    client: SkilljarClient,
    change: Change,
    published_path_id: str,
    live: Mapping[str, str],
    wanted: Sequence[str],
) -> None:
    for name, label_id in live.items():
        if name not in wanted:
            client.remove_path_label(published_path_id, label_id, key=change.address)
    missing = [name for name in dict.fromkeys(wanted) if name not in live]
    if missing:
        ids = LabelIds(client)
        for name in missing:
            client.add_path_label(published_path_id, ids.id_of(name, key=change.address), key=change.address)
