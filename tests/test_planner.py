"""The planner on in-memory states: tables of desired and live objects → the expected changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lmsform.errors import Location, ManifestError
from lmsform.manifest import Reference
from lmsform.model import ManageConfig
from lmsform.plan import Action
from lmsform.planner import make_plan
from lmsform.providers.skilljar.provider import SkilljarProvider
from lmsform.state import Resource, State


def user(email: str, *, uid: str | None = None, **fields: Any) -> Resource:
    values = {"email": email, **fields}
    return Resource("users", (email.lower(),), values, ids={"id": uid} if uid else {})


def group(name: str, *, gid: str | None = None, **fields: Any) -> Resource:
    return Resource("groups", (name,), {"name": name, **fields}, ids={"id": gid} if gid else {})


def member(group_name: str, email: str, *, ids: dict[str, str] | None = None) -> Resource:
    return Resource(
        "memberships", (group_name, email.lower()), {"group": group_name, "user": email}, ids=ids or {}
    )


def state(*resources: Resource) -> State:
    result = State()
    for resource in resources:
        result.add(resource)
    return result


def plan_of(
    desired: State, live: State, **manage: str
) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    plan = make_plan(
        desired, live, provider=SkilljarProvider, manage=ManageConfig(**manage), target="acme.skilljar.com"
    )
    return [(change.action.value, change.address, change.changed, change.cascade) for change in plan.changes]


JANE_LIVE = user("Jane@acme.com", uid="u1", first_name="Jane", last_name="Doe", active=True)


@pytest.mark.parametrize(
    ("desired", "live", "manage", "expected"),
    [
        pytest.param(state(), state(), {}, [], id="nothing"),
        pytest.param(
            state(user("jane@acme.com", first_name="Jane", active=True)),
            state(JANE_LIVE),
            {},
            [],
            id="key-matches-case-insensitively",
        ),
        pytest.param(
            state(user("jane@acme.com", active=True)),
            state(JANE_LIVE),
            {},
            [],
            id="omitted-fields-are-not-managed",
        ),
        pytest.param(
            state(user("jane@acme.com", first_name="Janet", last_name="Doe", active=True)),
            state(JANE_LIVE),
            {},
            [("update", 'users["jane@acme.com"]', ("first_name",), ())],
            id="changed-field",
        ),
        pytest.param(
            state(user("jane@acme.com", active=True)),
            state(user("jane@acme.com", uid="u1", first_name="", last_name="", active=False)),
            {},
            [("update", 'users["jane@acme.com"]', ("active",), ())],
            id="reactivation",
        ),
        pytest.param(
            state(),
            state(JANE_LIVE, user("gone@acme.com", uid="u2", active=False)),
            {"users": "authoritative"},
            [("deactivate", 'users["jane@acme.com"]', ("active",), ())],
            id="authoritative-deactivates-only-active-users",
        ),
        pytest.param(
            state(),
            state(JANE_LIVE, group("eng", gid="g1"), member("eng", "jane@acme.com")),
            {},
            [],
            id="additive-removes-nothing",
        ),
        pytest.param(
            state(user("bob@acme.com", active=True), group("eng"), member("eng", "bob@acme.com")),
            state(
                JANE_LIVE,
                group("eng", gid="g1"),
                group("ops", gid="g2"),
                member("eng", "jane@acme.com"),
                member("ops", "jane@acme.com"),
            ),
            {"memberships": "authoritative"},
            [
                ("create", 'users["bob@acme.com"]', (), ()),
                ("create", 'memberships["eng", "bob@acme.com"]', (), ()),
                ("delete", 'memberships["eng", "jane@acme.com"]', (), ()),
            ],
            id="authoritative-memberships-only-in-declared-groups",
        ),
        pytest.param(
            state(),
            state(
                JANE_LIVE,
                group("eng", gid="g1", user_count=1),
                member("eng", "jane@acme.com"),
            ),
            {"groups": "authoritative", "memberships": "authoritative"},
            [("delete", 'groups["eng"]', (), ('memberships["eng", "jane@acme.com"]',))],
            id="group-delete-cascades-to-its-memberships",
        ),
    ],
)
def test_plan_table(
    desired: State,
    live: State,
    manage: dict[str, str],
    expected: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]],
) -> None:
    assert plan_of(desired, live, **manage) == expected


def test_changes_are_ordered_creates_by_dependency_then_removals_in_reverse() -> None:
    desired = state(
        user("zed@acme.com", active=True),
        group("a-team"),
        member("a-team", "zed@acme.com"),
        user("amy@acme.com", first_name="Amy", active=True),
    )
    live = state(
        user("amy@acme.com", uid="u1", first_name="Ann", active=True),
        user("old@acme.com", uid="u2", active=True),
        group("b-team", gid="g2"),
        group("a-team", gid="g1"),
        member("a-team", "old@acme.com", ids={"group": "g1", "user": "u2"}),
    )

    plan = plan_of(desired, live, users="authoritative", groups="authoritative", memberships="authoritative")

    assert [(action, where) for action, where, _, _ in plan] == [
        ("create", 'users["zed@acme.com"]'),
        ("update", 'users["amy@acme.com"]'),
        ("create", 'memberships["a-team", "zed@acme.com"]'),
        ("delete", 'memberships["a-team", "old@acme.com"]'),
        ("delete", 'groups["b-team"]'),
        ("deactivate", 'users["old@acme.com"]'),
    ]


def test_creates_carry_the_ids_of_the_live_objects_they_refer_to() -> None:
    desired = state(group("eng"), member("eng", "jane@acme.com"))
    live = state(JANE_LIVE, group("eng", gid="g1"))

    plan = make_plan(desired, live, provider=SkilljarProvider, manage=ManageConfig(), target="d")

    assert [change.action for change in plan.changes] == [Action.CREATE]
    assert plan.refs == {("users", ("jane@acme.com",)): "u1", ("groups", ("eng",)): "g1"}


def test_a_reference_to_an_object_that_is_not_live_is_an_error_at_its_place() -> None:
    where = Location(Path("groups.yaml"), 3, 14)
    missing = Reference("users", ("ghost@acme.com",), where, 'memberships["eng", "ghost@acme.com"]')

    with pytest.raises(ManifestError) as failure:
        make_plan(
            state(group("eng")),
            state(),
            provider=SkilljarProvider,
            manage=ManageConfig(),
            target="d",
            unresolved=[missing],
        )

    assert str(failure.value) == (
        "groups.yaml:3:14: user 'ghost@acme.com' is neither declared in the manifests nor present in Skilljar"
    )


def test_the_plan_json_is_stable_and_carries_a_checksum_of_the_changes() -> None:
    desired = state(user("jane@acme.com", first_name="Janet", active=True))
    first = make_plan(desired, state(JANE_LIVE), provider=SkilljarProvider, manage=ManageConfig(), target="d")
    second = make_plan(
        desired, state(JANE_LIVE), provider=SkilljarProvider, manage=ManageConfig(), target="d"
    )
    other = make_plan(
        state(user("jane@acme.com", first_name="Jo", active=True)),
        state(JANE_LIVE),
        provider=SkilljarProvider,
        manage=ManageConfig(),
        target="d",
    )

    assert first.to_json() == second.to_json()
    assert first.to_json()["checksum"] != other.to_json()["checksum"]
    assert first.to_json()["changes"][0]["ids"] == {"id": "u1"}
    assert first.to_json()["summary"] == {"add": 0, "change": 1, "remove": 0}
