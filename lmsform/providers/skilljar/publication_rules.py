"""Catalogue rules (skilljar.md D70 to D74, D85 to D87): a publication's prerequisites, group
prerequisites, visibility overrides, catalogue tags and re-enrollment rule, and a learning path's tags
and visibility overrides, the same lists under the published path.

Each rule is a field of its parent (the publication or the path). The lists are sets: they are read
only for the parents that declare them (everything, for export), and apply writes only the difference,
one POST or DELETE per item. Every added item is unique at Skilljar, so after a lost answer it is
looked for before it is sent again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lmsform.kinds import COURSES, GROUPS, PATHS, PUBLICATIONS, Key
from lmsform.plan import Change
from lmsform.providers.base import ApplyContext
from lmsform.providers.safe_writes import create_once
from lmsform.providers.skilljar.client import (
    GROUP_PREREQUISITES,
    PREREQUISITES,
    PUBLISHED_COURSES,
    PUBLISHED_PATHS,
    REENROLLMENT_RULE,
    TAGS,
    VISIBILITY_OVERRIDES,
    SkilljarClient,
)
from lmsform.specs import canonical_instant
from lmsform.state import Resource, State

# The publication's rule fields, and the list (or rule) each is read from.
RULE_SOURCES: Mapping[str, str] = {
    "prerequisites": PREREQUISITES,
    "prerequisite_groups": GROUP_PREREQUISITES,
    "visible_to": VISIBILITY_OVERRIDES,
    "hidden_from": VISIBILITY_OVERRIDES,
    "tags": TAGS,
    "reenrollment": REENROLLMENT_RULE,
}
# The ids of the live items (by name), which a removal needs: kept in the live publication's ids.
RULE_IDS = "rule_ids"
# A visibility override's `is_visible`, by the field that lists its group.
_VISIBLE = {"visible_to": True, "hidden_from": False}
_REENROLLMENT_FIELDS = ("starts_at", "cycle_duration", "cycle_duration_unit")

Reads = dict[Key, dict[str, Future[Any]]]


@dataclass(frozen=True)
class RuleParent:
    """What carries catalogue rules: its kind, its collection under the domain and its rule fields."""

    kind: str
    collection: str
    sources: Mapping[str, str]

    @property
    def every_source(self) -> frozenset[str]:
        return frozenset(self.sources.values())


PUBLICATION_RULES = RuleParent(PUBLICATIONS.name, PUBLISHED_COURSES, RULE_SOURCES)
# A published path has only tags and visibility overrides (skilljar.md D85).
PATH_RULES = RuleParent(
    PATHS.name, PUBLISHED_PATHS, {name: RULE_SOURCES[name] for name in ("visible_to", "hidden_from", "tags")}
)


# --- reading -----------------------------------------------------------------------------------------


def sources_to_read(desired: State, live: State, *, everything: bool) -> dict[Key, frozenset[str]]:
    """Which rule lists to read of which live publication: those whose `published:` declares the rule
    (also under a former title or a pinned id); every one for export. No requests otherwise."""
    publications = live.of(PUBLICATIONS.name)
    if everything:
        return dict.fromkeys(publications, PUBLICATION_RULES.every_source)
    course_by_id = {course.ids.get("id"): key for key, course in live.of(COURSES.name).items()}
    wanted: dict[Key, frozenset[str]] = {}
    for key, publication in desired.of(PUBLICATIONS.name).items():
        sources = declared_sources(PUBLICATION_RULES, publication.fields)
        if not sources:
            continue
        course = desired.get(COURSES.name, key)
        candidates = {key, *(course.previously if course else ())}
        pinned = course_by_id.get(course.ids.get("id")) if course is not None else None
        if pinned is not None:
            candidates.add(pinned)
        for candidate in candidates & set(publications):
            wanted[candidate] = wanted.get(candidate, frozenset()) | sources
    return wanted


def declared_sources(parent: RuleParent, fields: Mapping[str, Any]) -> frozenset[str]:
    """The rule lists that the declared `fields` of a parent need read."""
    return frozenset(parent.sources[name] for name in fields if name in parent.sources)


def start_reading(
    pool: ThreadPoolExecutor,
    client: SkilljarClient,
    live: State,
    wanted: Mapping[Key, frozenset[str]],
    parent: RuleParent = PUBLICATION_RULES,
) -> Reads:
    """One paginated list per rule list, one GET per re-enrollment rule, all in the pool."""
    reads: Reads = {}
    for key, sources in wanted.items():
        holder = live.of(parent.kind)[key]
        holder_id = holder.ids["id"]
        for source in sorted(sources):
            future: Future[Any] = (
                pool.submit(client.get_reenrollment_rule, holder_id, key=holder.address)
                if source == REENROLLMENT_RULE
                else pool.submit(_whole_list, client, parent.collection, holder_id, source)
            )
            reads.setdefault(key, {})[source] = future
    return reads


def _whole_list(client: SkilljarClient, collection: str, parent_id: str, source: str) -> list[dict[str, Any]]:
    return list(client.list_catalogue_rule(collection, parent_id, source))


def finish_reading(
    live: State, reads: Reads, titles: Mapping[str, str], parent: RuleParent = PUBLICATION_RULES
) -> None:
    """The rules read, as fields of their parents (and the items' ids, for removals); `titles` names
    each publication (by id) by its course's title after the plan."""
    for key, futures in reads.items():
        holder = live.of(parent.kind)[key]
        answers = {source: future.result() for source, future in futures.items()}
        fields, ids = _rules(answers, titles)
        known = {**json.loads(holder.ids.get(RULE_IDS, "{}")), **ids}
        live.add(
            Resource(
                holder.kind,
                holder.key,
                {**holder.fields, **{name: fields[name] for name in parent.sources if name in fields}},
                ids={**holder.ids, RULE_IDS: json.dumps(known, sort_keys=True)},
                protected=holder.protected,
            )
        )


def _rules(
    answers: Mapping[str, Any], titles: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    fields: dict[str, Any] = {}
    ids: dict[str, dict[str, str]] = {"publications": {}, "groups": {}, "tags": {}}
    if PREREQUISITES in answers:
        for item in answers[PREREQUISITES]:
            other = str(item["published_course"]["id"])
            ids["publications"][titles.get(other, other)] = other
        fields["prerequisites"] = sorted(ids["publications"])
    if GROUP_PREREQUISITES in answers:
        named = _groups(answers[GROUP_PREREQUISITES], ids["groups"])
        fields["prerequisite_groups"] = sorted(named)
    if VISIBILITY_OVERRIDES in answers:
        overrides = answers[VISIBILITY_OVERRIDES]
        for field, visible in _VISIBLE.items():
            chosen = [item for item in overrides if bool(item.get("is_visible")) is visible]
            fields[field] = sorted(_groups(chosen, ids["groups"]))
    if TAGS in answers:
        for item in answers[TAGS]:
            tag = item["tag"]
            ids["tags"][str(tag.get("name") or tag["id"])] = str(tag["id"])
        fields["tags"] = sorted(ids["tags"])
    if REENROLLMENT_RULE in answers:
        fields["reenrollment"] = _reenrollment(answers[REENROLLMENT_RULE])
    return fields, ids


def _groups(items: Iterable[Mapping[str, Any]], ids: dict[str, str]) -> list[str]:
    names = []
    for item in items:
        group = item["student_group"]
        name = str(group.get("name") or group["id"])
        ids[name] = str(group["id"])
        names.append(name)
    return names


def _reenrollment(rule: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {
        "starts_at": canonical_instant(str(rule["starts_at"])),
        "cycle_duration": int(rule["cycle_duration"]),
        "cycle_duration_unit": str(rule.get("cycle_duration_unit") or "MONTHS").lower(),
    }


# --- writing -----------------------------------------------------------------------------------------


class TagIds:
    """The organisation's tag ids by name, listed when a change first adds a tag and shared by the
    phase's changes; a tag it lacks is made (skilljar.md D73)."""

    def __init__(self, client: SkilljarClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._ids: dict[str, str] | None = None

    def id_of(self, name: str, *, key: str) -> str:
        with self._lock:
            if self._ids is None:
                self._ids = self._listed()
            if name not in self._ids:
                self._ids[name] = create_once(
                    lambda: str(self._client.create_tag(name, key=key)["id"]),
                    lambda: self._listed().get(name),
                    what=f"tag {name!r}",
                    vendor_unique=True,  # tag names are unique in the organisation
                    attempts=self._client.http.attempts,
                )
            return self._ids[name]

    def _listed(self) -> dict[str, str]:
        return {str(item["name"]): str(item["id"]) for item in self._client.list_tags()}


def prerequisite_waves(changes: Iterable[Change]) -> dict[Key, int]:
    """Per new publication, how many of the phase's other new publications must be made before it (a
    prerequisite needs the id of its publication): one wave per level."""
    needs = {
        change.key: [(title,) for title in (change.after or {}).get("prerequisites") or ()]
        for change in changes
    }
    depths: dict[Key, int] = {}

    def depth(key: Key, seen: frozenset[Key]) -> int:
        if key not in depths:
            inner = [
                depth(other, seen | {key}) for other in needs[key] if other in needs and other not in seen
            ]
            depths[key] = 1 + max(inner) if inner else 0
        return depths[key]

    for key in needs:
        depth(key, frozenset())
    return depths


def write_rules(
    client: SkilljarClient,
    change: Change,
    context: ApplyContext,
    parent_id: str,
    tags: TagIds,
    parent: RuleParent = PUBLICATION_RULES,
) -> None:
    """Make the live rules what the change declares: for a new parent every declared rule, for an
    update the changed ones; only the difference is written, removals first."""
    after = change.after or {}
    before = change.before or {}
    declared = [name for name in parent.sources if name in after]
    if change.before is not None:
        declared = [name for name in declared if name in change.changed]
    known = json.loads(change.ids.get(RULE_IDS, "{}"))
    writer = _RuleWriter(client, change, context, _Holder(parent.collection, parent_id), known, tags)
    sets = [name for name in declared if name != "reenrollment"]
    differences = {
        name: (
            set(after[name] or ()) - set(before.get(name) or ()),
            set(before.get(name) or ()) - set(after[name] or ()),
        )
        for name in sets
    }
    for name, (_, removed) in differences.items():
        for item in sorted(removed):
            writer.remove(name, item)
    for name, (added, _) in differences.items():
        for item in sorted(added):
            writer.add(name, item, before, differences)
    if "reenrollment" in declared:
        writer.reenrollment(before.get("reenrollment"), after["reenrollment"])


@dataclass(frozen=True)
class _Holder:
    """The parent whose rules a writer changes: its collection under the domain and its id."""

    collection: str
    id: str


class _RuleWriter:
    def __init__(
        self,
        client: SkilljarClient,
        change: Change,
        context: ApplyContext,
        holder: _Holder,
        known: Mapping[str, Mapping[str, str]],
        tags: TagIds,
    ) -> None:
        self.client = client
        self.change = change
        self.context = context
        self.holder = holder
        self.known = known
        self.tags = tags

    @property
    def key(self) -> str:
        return self.change.address

    def _group_id(self, name: str) -> str:
        live = self.known.get("groups", {}).get(name)
        return live if live is not None else self.context.id_of(GROUPS.name, (name,))

    def _live_id(self, name: str, item: str) -> str:
        """The id of an item the live publication holds (read with it), else of the object named."""
        if name == "prerequisites":
            found = self.known.get("publications", {}).get(item)
            return found if found is not None else self.context.id_of(PUBLICATIONS.name, (item,))
        if name == "tags":
            found = self.known.get("tags", {}).get(item)
            return found if found is not None else self.tags.id_of(item, key=self.key)
        return self._group_id(item)

    def remove(self, name: str, item: str) -> None:
        self._remove(RULE_SOURCES[name], self._live_id(name, item))

    def _remove(self, source: str, item_id: str) -> None:
        self.client.remove_catalogue_rule(
            self.holder.collection, self.holder.id, source, item_id, key=self.key
        )

    def add(
        self,
        name: str,
        item: str,
        before: Mapping[str, Any],
        differences: Mapping[str, tuple[set[str], set[str]]],
    ) -> None:
        source = RULE_SOURCES[name]
        if name == "prerequisites":
            item_id = self.context.id_of(PUBLICATIONS.name, (item,))
            body: dict[str, Any] = {"published_course": {"id": item_id}}
        elif name == "tags":
            item_id = self.tags.id_of(item, key=self.key)
            body = {"tag": {"id": item_id}}
        else:
            item_id = self._group_id(item)
            body = {"student_group": {"id": item_id}}
        if name in _VISIBLE:
            body["is_visible"] = _VISIBLE[name]
            self._clear_opposite(name, item, item_id, before, differences)
        self._add_once(source, item_id, body)

    def _clear_opposite(
        self,
        name: str,
        item: str,
        item_id: str,
        before: Mapping[str, Any],
        differences: Mapping[str, tuple[set[str], set[str]]],
    ) -> None:
        """A group has one visibility override: one the other way round, not removed already (its
        field is not declared), goes first."""
        (other,) = (field for field in _VISIBLE if field != name)
        if item in (before.get(other) or ()) and other not in differences:
            self._remove(VISIBILITY_OVERRIDES, item_id)

    def _add_once(self, source: str, item_id: str, body: Mapping[str, Any]) -> None:
        collection, holder_id = self.holder.collection, self.holder.id

        def find() -> dict[str, Any] | None:
            if source == PREREQUISITES:  # no single read: the list, one request per page
                listed = self.client.list_catalogue_rule(collection, holder_id, source)
                held = any(str(item["published_course"]["id"]) == item_id for item in listed)
            else:
                held = self.client.holds_catalogue_rule(collection, holder_id, source, item_id, key=self.key)
            return dict(body) if held else None

        create_once(
            lambda: self.client.add_catalogue_rule(collection, holder_id, source, body, key=self.key),
            find,
            what=f"{self.key} {source} {item_id}",
            vendor_unique=True,  # one of each per parent
            attempts=self.client.http.attempts,
        )

    def reenrollment(self, live: Mapping[str, Any] | None, wanted: Mapping[str, Any] | None) -> None:
        if wanted is None:
            if live is not None:
                self.client.delete_reenrollment_rule(self.holder.id, key=self.key)
            return
        if live is None:
            body = _reenrollment_body(wanted, _REENROLLMENT_FIELDS)
            create_once(
                lambda: self.client.write_reenrollment_rule(self.holder.id, "POST", body, key=self.key),
                lambda: self.client.get_reenrollment_rule(self.holder.id, key=self.key),
                what=f"{self.key} re-enrollment rule",
                vendor_unique=True,  # one rule per publication
                attempts=self.client.http.attempts,
            )
            return
        changed = [name for name in _REENROLLMENT_FIELDS if live.get(name) != wanted.get(name)]
        if changed:
            body = _reenrollment_body(wanted, changed)
            self.client.write_reenrollment_rule(self.holder.id, "PATCH", body, key=self.key)


def _reenrollment_body(rule: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    body = {name: rule[name] for name in names}
    if "cycle_duration_unit" in body:
        body["cycle_duration_unit"] = str(body["cycle_duration_unit"]).upper()
    return body
