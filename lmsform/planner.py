"""Diff desired against live: objects are matched by key (set algebra), matched objects compared by field."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from deepdiff import DeepDiff

from lmsform.errors import ManifestError
from lmsform.manifest import Reference, unresolved_message
from lmsform.model import KINDS, Key, Kind, ManageConfig
from lmsform.plan import Action, Change, Plan
from lmsform.providers.base import KindSupport, Provider, Removal
from lmsform.state import Resource, State


def make_plan(
    desired: State,
    live: State,
    *,
    provider: type[Provider],
    manage: ManageConfig,
    target: str,
    unresolved: Sequence[Reference] = (),
) -> Plan:
    _check_references(unresolved, live, provider)
    changes: list[Change] = []
    refs: dict[tuple[str, Key], str] = {}
    cascaded: set[tuple[str, Key]] = set()
    children = _children_by_parent(live)
    for kind in KINDS:
        support = provider.supports.get(kind.name)
        if support is None:
            continue
        wanted, present = desired.of(kind.name), live.of(kind.name)
        for key in sorted(wanted.keys() - present.keys()):
            changes.append(Change(Action.CREATE, kind.name, key, before=None, after=dict(wanted[key].fields)))
            refs.update(_referenced_ids(kind, key, live))
        for key in sorted(wanted.keys() & present.keys()):
            change = _update(kind, wanted[key], present[key])
            if change is not None:
                changes.append(change)
        if manage.mode(kind.name) == "authoritative":
            for key in sorted(present.keys() - wanted.keys()):
                if (kind.name, key) in cascaded or not _in_removal_scope(kind, key, desired):
                    continue
                dependents = _dependents(kind, key, support, children)
                change = _removal(kind, present[key], support, dependents)
                if change is not None:
                    changes.append(change)
                    cascaded.update((resource.kind, resource.key) for resource in dependents)
    return Plan.build(provider.name, target, changes, refs, warnings=[])


def changed_fields(
    wanted: Mapping[str, Any], present: Mapping[str, Any], key_fields: Sequence[str]
) -> tuple[str, ...]:
    """Fields the manifests set to a value other than the live one; fields they omit are not managed."""
    managed = {name: value for name, value in wanted.items() if name not in key_fields}
    current = {name: present.get(name) for name in managed}
    return tuple(sorted(DeepDiff(current, managed).affected_root_keys))


def _check_references(unresolved: Sequence[Reference], live: State, provider: type[Provider]) -> None:
    missing = [ref for ref in unresolved if live.get(ref.kind, ref.key) is None]
    if missing:
        raise ManifestError([unresolved_message(ref, provider.title) for ref in missing])


def _referenced_ids(kind: Kind, key: Key, live: State) -> dict[tuple[str, Key], str]:
    found = {}
    for ref_field, target in kind.refs.items():
        target_key = kind.ref_key(ref_field, key)
        resource = live.get(target, target_key)
        if resource is not None and "id" in resource.ids:
            found[(target, target_key)] = resource.ids["id"]
    return found


def _update(kind: Kind, wanted: Resource, present: Resource) -> Change | None:
    changed = changed_fields(wanted.fields, present.fields, kind.key_fields)
    if not changed:
        return None
    reactivates = "active" in changed and wanted.fields.get("active") is True
    notes = (f"reactivates the {kind.singular}",) if reactivates else ()
    return Change(
        Action.UPDATE,
        kind.name,
        present.key,
        before=dict(present.fields),
        after={**present.fields, **wanted.fields},
        changed=changed,
        ids=dict(present.ids),
        notes=notes,
    )


def _in_removal_scope(kind: Kind, key: Key, desired: State) -> bool:
    """Authoritative removal of a child kind only applies below parents the manifests declare."""
    if kind.removal_scope is None:
        return True
    parent_kind = kind.refs[kind.removal_scope]
    return desired.get(parent_kind, kind.ref_key(kind.removal_scope, key)) is not None


def _removal(
    kind: Kind, present: Resource, support: KindSupport, dependents: list[Resource]
) -> Change | None:
    note = _format_note(support.removal_note, present.fields)
    if support.removal is Removal.DELETE:
        return Change(
            Action.DELETE,
            kind.name,
            present.key,
            before=dict(present.fields),
            after=None,
            ids=dict(present.ids),
            cascade=tuple(resource.address for resource in dependents),
            notes=(note,) if note else (),
        )
    if support.removal is Removal.DEACTIVATE:
        if present.fields.get("active") is False:
            return None
        return Change(
            Action.DEACTIVATE,
            kind.name,
            present.key,
            before=dict(present.fields),
            after={**present.fields, "active": False},
            changed=("active",),
            ids=dict(present.ids),
            notes=(note,) if note else (),
        )
    return None


def _children_by_parent(live: State) -> dict[tuple[str, Key], list[Resource]]:
    """Live objects by the objects they refer to: a group's memberships, a user's memberships."""
    index: dict[tuple[str, Key], list[Resource]] = defaultdict(list)
    for kind in KINDS:
        for ref_field, target in kind.refs.items():
            for resource in live.of(kind.name).values():
                index[(target, kind.ref_key(ref_field, resource.key))].append(resource)
    return index


def _dependents(
    kind: Kind, key: Key, support: KindSupport, children: Mapping[tuple[str, Key], list[Resource]]
) -> list[Resource]:
    """Live objects the vendor removes along with this one, when its removal is a delete."""
    if support.removal is not Removal.DELETE:
        return []
    return [child for child in children.get((kind.name, key), []) if child.kind in support.cascades]


def _format_note(template: str, fields: Mapping[str, Any]) -> str:
    class _Blank(dict[str, Any]):
        def __missing__(self, name: str) -> str:
            return "?"

    return template.format_map(_Blank(fields))
