"""Reading learning paths: each published path from the path list, and for the paths the manifests
declare (or every path, for export) their items and labels, two lists per path (skilljar.md D60), and
the tags and visibility overrides of those that declare them (skilljar.md D87)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lmsform.kinds import PATHS, Key
from lmsform.plan import Change
from lmsform.providers.skilljar import publication_rules
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.providers.skilljar.path_operations import SETTINGS, LiveItem, items_id
from lmsform.providers.skilljar.publication_rules import PATH_RULES
from lmsform.state import Resource, State


@dataclass(frozen=True)
class Contents:
    """The reads begun: each path's items and labels, and the catalogue rules of those declaring them."""

    lists: list[tuple[Resource, Future[list[dict[str, Any]]], Future[list[dict[str, Any]]]]]
    rules: publication_rules.Reads


def path_resource(item: Mapping[str, Any]) -> Resource:
    """A published path as the path list shows it, without its items and labels."""
    path = item.get("path") or {}
    fields: dict[str, Any] = {
        "slug": item["slug"],
        "title": path.get("title"),
        "short_description": path.get("short_description") or "",
        "long_description": path.get("long_description_html") or "",
        **{name: bool(item.get(name)) for name in SETTINGS},
    }
    # The published path's id addresses its enrollments and items; the Path's own id goes in manager
    # grants and in changes of its title and descriptions.
    ids = {"id": str(item["id"]), "path": str(path.get("id", ""))}
    return Resource(PATHS.name, PATHS.key_of(fields), fields, ids=ids)


def start_reading(
    pool: ThreadPoolExecutor, client: SkilljarClient, live: State, desired: State, *, everything: bool
) -> Contents:
    """Begin reading the items and labels of the live paths the manifests declare (all with
    `everything`), and the rule lists a declared path names (every one with `everything`)."""
    wanted = [path for key, path in live.of(PATHS.name).items() if everything or desired.get(PATHS.name, key)]
    lists = [
        (
            path,
            pool.submit(_whole, client.list_path_items, path.ids["id"]),
            pool.submit(_whole, client.list_path_labels, path.ids["id"]),
        )
        for path in wanted
    ]
    rules = {path.key: _rule_sources(path.key, desired, everything=everything) for path in wanted}
    to_read = {key: sources for key, sources in rules.items() if sources}
    return Contents(lists, publication_rules.start_reading(pool, client, live, to_read, PATH_RULES))


def _rule_sources(key: Key, desired: State, *, everything: bool) -> frozenset[str]:
    if everything:
        return PATH_RULES.every_source
    declared = desired.get(PATHS.name, key)
    return publication_rules.declared_sources(PATH_RULES, declared.fields) if declared else frozenset()


def _whole(
    listing: Callable[[str], Iterator[dict[str, Any]]], published_path_id: str
) -> list[dict[str, Any]]:
    return list(listing(published_path_id))


def finish_reading(live: State, contents: Contents, titles: Mapping[str, str]) -> None:
    """Give the paths read their courses (in order), labels and catalogue rules; the State keeps the
    paths' order. `titles` names each publication (by id) by its course's title after the plan."""
    if not contents.lists:
        return
    full = {
        path.key: _with_contents(path, items.result(), labels.result(), titles)
        for path, items, labels in contents.lists
    }
    paths = list(live.of(PATHS.name).values())
    for path in paths:
        live.discard(PATHS.name, path.key)
    for path in paths:
        live.add(full.get(path.key, path))
    publication_rules.finish_reading(live, contents.rules, titles, PATH_RULES)


def _with_contents(
    path: Resource,
    items: Iterable[Mapping[str, Any]],
    labels: Iterable[Mapping[str, Any]],
    titles: Mapping[str, str],
) -> Resource:
    ordered = sorted(items, key=lambda item: int(item["order"]))  # the list's own order, kept for ties
    live_items = [
        LiveItem(
            str(item["id"]),
            # A course this organisation's course list does not show keeps its publication's id.
            titles.get(str(item["published_course"]["id"]), f"#{item['published_course']['id']}"),
            int(item["order"]),
        )
        for item in ordered
    ]
    by_name = {str(label["label"]["name"]): str(label["label"]["id"]) for label in labels}
    fields = {**path.fields, "courses": [item.course for item in live_items], "labels": sorted(by_name)}
    ids = {**path.ids, "items": items_id(live_items), "labels": json.dumps(by_name, sort_keys=True)}
    return Resource(PATHS.name, path.key, fields, ids=ids)


def paths_taken(live: State, removals: Iterable[Change], listed: set[tuple[str, str]]) -> list[Resource]:
    """The live paths the removals delete whose enrollments were not read (they go with the path)."""
    removed = {change.ids.get("id", "") for change in removals if change.kind == PATHS.name}
    return [
        path
        for path in live.of(PATHS.name).values()
        if path.ids["id"] in removed and ("path", path.ids["id"]) not in listed
    ]
