"""A provider that keeps its account in memory: the core's tests run against it, not against a vendor.

It is declared like any vendor, with `KindSupport` data only, and covers what the core must handle:
users that are deactivated rather than deleted, groups whose delete takes their memberships,
courses whose delete takes their publication and enrollments, a kind the API cannot list
(supervisors), grants and identity for demotions, a field set only on create, fields read back in part
or not at all, and a field that can be set but never cleared. Its account is a `State`; `execute`
changes it as a vendor would, so a plan applied to it and planned again comes out empty.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from lmsform.kinds import (
    COURSES,
    ENROLLMENTS,
    GROUPS,
    KINDS,
    KINDS_BY_NAME,
    MEMBERSHIPS,
    PUBLICATIONS,
    SUPERVISORS,
    USERS,
    Key,
    parse_address,
)
from lmsform.plan import Action, Change
from lmsform.project_config import ManageConfig
from lmsform.providers.base import ApplyContext, KindSupport, Provider, ProviderSettings, Removal, write_only
from lmsform.state import Resource, State

TITLE = "Fake LMS"


def same_labels(declared: Any, live: Any) -> bool:
    """Labels are a set: the account does not keep their order."""
    return set(declared or ()) == set(live or ())


class FakeProvider(Provider):
    """An LMS account held in memory. `calls` lists the changes carried out, `sent` the values of
    kinds it cannot list, as the account holds them."""

    name: ClassVar[str] = "fake"
    title: ClassVar[str] = TITLE
    settings_model: ClassVar[type[ProviderSettings]] = ProviderSettings
    supports: ClassVar[Mapping[str, KindSupport]] = {
        USERS.name: KindSupport(
            fields=frozenset(
                {"first_name", "last_name", "short_description", "employee_number", "active", "roles"}
            ),
            relations=frozenset({"groups"}),
            removal=Removal.DEACTIVATE,
            removal_note=f"{TITLE} cannot delete users; the user's access is deactivated",
            readback={"short_description": write_only},
            privileges={"roles": ()},
            identity=frozenset({"employee_number"}),
        ),
        GROUPS.name: KindSupport(
            fields=frozenset({"description", "parent"}),
            relations=frozenset({"members"}),
            removal=Removal.DELETE,
            removal_note="deletes the group and its {user_count} membership(s); cannot be undone",
            cascades=(MEMBERSHIPS.name,),
            uncleared={"parent": f"{TITLE} can move a group under another, never back to the top"},
        ),
        MEMBERSHIPS.name: KindSupport(fields=frozenset(), removal=Removal.DELETE),
        COURSES.name: KindSupport(
            fields=frozenset({"short_description", "long_description", "sequential_navigation", "labels"}),
            relations=frozenset({"published"}),
            removal=Removal.DELETE,
            removal_note="deletes the course, its publication and its enrollments; cannot be undone",
            cascades=(PUBLICATIONS.name, ENROLLMENTS.name),
            create_only=frozenset({"sequential_navigation"}),
            readback={"labels": same_labels},
        ),
        PUBLICATIONS.name: KindSupport(
            fields=frozenset({"hidden"}),
            removal=Removal.DELETE,
            removal_note="cannot be undone: publishing again makes a new publication; "
            "the enrollments go with this one",
            cascades=(ENROLLMENTS.name,),
        ),
        ENROLLMENTS.name: KindSupport(
            fields=frozenset({"active", "expires_at"}),
            relations=frozenset({"course", "users", "groups"}),
            removal=Removal.DEACTIVATE,
            removal_note=f"{TITLE} cannot delete enrollments; the enrollment is deactivated",
        ),
        SUPERVISORS.name: KindSupport(
            fields=frozenset({"group", "course_access", "revoke"}),
            readable=False,
        ),
    }
    roles: ClassVar[frozenset[str]] = frozenset({"learner", "instructor", "admin"})

    def __init__(
        self,
        settings: ProviderSettings | None = None,
        *,
        api_root: str = "memory:",
        credential: str = "",
        live: State | None = None,
    ) -> None:
        self.account = live.copy() if live is not None else State()
        self.sent: dict[tuple[str, Key], dict[str, Any]] = {}
        self.calls: list[str] = []
        self._ids = itertools.count(1)

    def read(self, desired: State, manage: ManageConfig) -> State:
        return self.account.copy()

    def read_all(self) -> State:
        return self.account.copy()

    def execute(self, change: Change, context: ApplyContext) -> None:
        self.calls.append(f"{change.action.value} {change.address}")
        if not self.supports[change.kind].readable:
            self.sent[(change.kind, change.key)] = dict(change.after or {})
        elif change.action is Action.CREATE:
            self._create(change, context)
        elif change.action in (Action.UPDATE, Action.REASSERT, Action.DEACTIVATE):
            self._update(change)
        if change.action.is_removal:
            self._take(change)

    def _create(self, change: Change, context: ApplyContext) -> None:
        kind = KINDS_BY_NAME[change.kind]
        vendor_id = str(next(self._ids))
        made = change.after or {}
        fields = {**dict(zip(kind.key_fields_of(made), change.key, strict=True)), **made}
        self.account.add(Resource(change.kind, change.key, fields, ids={"id": vendor_id}))
        context.record(change.kind, change.key, vendor_id)

    def _update(self, change: Change) -> None:
        live = self._live(change)
        if live.key != change.key:
            self.account.discard(change.kind, live.key)
            self._follow_rename(change.kind, live.key, change.key)
        self.account.add(replace(live, key=change.key, fields=dict(change.after or {})))

    def _take(self, change: Change) -> None:
        """What the account removes along with the object (its `cascades`)."""
        if change.action is Action.DELETE:
            self.account.discard(change.kind, change.key)
        for taken in change.cascade:
            self.account.discard(*parse_address(taken))

    def _live(self, change: Change) -> Resource:
        """The live object a change names: by its id (a rename carries the new key), else by its key."""
        vendor_id = change.ids.get("id")
        by_id = (item for item in self.account.of(change.kind).values() if item.ids.get("id") == vendor_id)
        found = next(by_id, None) if vendor_id is not None else None
        found = found or self.account.get(change.kind, change.key)
        if found is None:
            raise LookupError(f"{TITLE} has no {change.address}")
        return found

    def _follow_rename(self, kind_name: str, old: Key, new: Key) -> None:
        """Objects whose key names a renamed object (a course's publication, and its enrollments in
        turn) are known by the new name."""
        for kind in KINDS:
            for key, resource in list(self.account.of(kind.name).items()):
                moved = tuple(
                    new[0] if (position, kind_name) in kind.key_refs(key) and (part,) == old else part
                    for position, part in enumerate(key)
                )
                if moved != key:
                    self.account.discard(kind.name, key)
                    fields = {
                        **resource.fields,
                        **dict(zip(kind.key_fields_of(resource.fields), moved, strict=True)),
                    }
                    self.account.add(replace(resource, key=moved, fields=fields))
                    self._follow_rename(kind.name, key, moved)
