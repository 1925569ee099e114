"""The planner on in-memory states: tables of desired and live objects → the expected changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lmsform.errors import Location, ManifestError
from lmsform.kinds import address, parse_address
from lmsform.plan import Action, Plan
from lmsform.planner import changed_fields, make_plan
from lmsform.project_config import ManageConfig, Mode
from lmsform.references import Reference
from lmsform.state import GroupExpansion, Resource, State
from tests.core.fake_provider import FakeProvider


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
    """A State; as the manifest loader does, declared groups put their memberships in scope."""
    result = State()
    for resource in resources:
        result.add(resource)
        if resource.kind == "groups":
            result.scopes.setdefault("memberships", set()).add(resource.key)
    return result


def plan_of(
    desired: State, live: State, **manage: Mode
) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    plan = make_plan(
        desired, live, provider=FakeProvider, manage=ManageConfig(**manage), target="acme.example.com"
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
    manage: dict[str, Mode],
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

    plan = make_plan(desired, live, provider=FakeProvider, manage=ManageConfig(), target="d")

    assert [change.action for change in plan.changes] == [Action.CREATE]
    assert plan.refs == {("users", ("jane@acme.com",)): {"id": "u1"}, ("groups", ("eng",)): {"id": "g1"}}


def test_a_reference_to_an_object_that_is_not_live_is_an_error_at_its_place() -> None:
    where = Location(Path("groups.yaml"), 3, 14)
    missing = Reference("users", ("ghost@acme.com",), where, 'memberships["eng", "ghost@acme.com"]')

    with pytest.raises(ManifestError) as failure:
        make_plan(
            state(group("eng")),
            state(),
            provider=FakeProvider,
            manage=ManageConfig(),
            target="d",
            unresolved=[missing],
        )

    assert str(failure.value) == (
        "groups.yaml:3:14: user 'ghost@acme.com' is neither declared in the manifests nor present in Fake LMS"
    )


def test_the_plan_json_is_stable_and_carries_a_checksum_of_the_changes() -> None:
    desired = state(user("jane@acme.com", first_name="Janet", active=True))
    first = make_plan(desired, state(JANE_LIVE), provider=FakeProvider, manage=ManageConfig(), target="d")
    second = make_plan(desired, state(JANE_LIVE), provider=FakeProvider, manage=ManageConfig(), target="d")
    other = make_plan(
        state(user("jane@acme.com", first_name="Jo", active=True)),
        state(JANE_LIVE),
        provider=FakeProvider,
        manage=ManageConfig(),
        target="d",
    )

    assert first.to_json()["changes"] == second.to_json()["changes"]
    assert first.to_json()["checksum"] == second.to_json()["checksum"]
    assert first.to_json()["checksum"] != other.to_json()["checksum"]
    assert first.to_json()["changes"][0]["ids"] == {"id": "u1"}
    assert first.to_json()["summary"] == {"add": 0, "change": 1, "remove": 0, "reassert": 0}


# --- courses: identity, renames, ownership, cascades ---------------------------------------------------


def course(title: str, *, cid: str | None = None, owned: bool = True, **fields: Any) -> Resource:
    return Resource(
        "courses",
        (title,),
        {"title": title, **fields},
        ids={"id": cid} if cid else {},
        protected=None if owned else "it has no 'lmsform' label",
    )


def publication(title: str, *, pid: str | None = None, **fields: Any) -> Resource:
    return Resource("publications", (title,), {"course": title, **fields}, ids={"id": pid} if pid else {})


def enrollment(title: str, email: str, *, eid: str | None = None, active: bool = True) -> Resource:
    fields = {"type": "course", "target": title, "user": email, "active": active}
    ids = {"id": eid, "target": "p1", "active_ids": eid if active else ""} if eid else {}
    return Resource("enrollments", ("course", title, email), fields, ids=ids)


LIVE_CATALOGUE = state(
    JANE_LIVE,
    course("Safety 101", cid="c1", short_description="Old"),
    publication("Safety 101", pid="p1", hidden=False),
    enrollment("Safety 101", "jane@acme.com", eid="e1"),
)


def _actions(plan: Plan) -> list[tuple[str, str]]:
    return [(change.action.value, change.address) for change in plan.changes]


def test_a_previously_title_makes_a_rename_an_update_and_dependants_follow() -> None:
    renamed = Resource(
        "courses",
        ("Safety Basics",),
        {"title": "Safety Basics", "short_description": "Old"},
        previously=(("Safety 101",),),
    )
    desired = state(
        renamed,
        publication("Safety Basics", hidden=False),
        enrollment("Safety Basics", "jane@acme.com"),
    )
    desired.scopes["enrollments"] = {("course", "Safety Basics")}

    manage = ManageConfig.model_validate({"enrollments": "authoritative"})

    plan = make_plan(desired, LIVE_CATALOGUE, provider=FakeProvider, manage=manage, target="d")

    assert _actions(plan) == [("update", 'courses["Safety Basics"]')]
    assert plan.changes[0].changed == ("title",)
    assert plan.changes[0].ids == {"id": "c1"}
    assert "renames it from 'Safety 101'" in plan.changes[0].notes


def test_a_pinned_id_adopts_a_course_whatever_its_title_and_marks_it_managed() -> None:
    live = state(course("Legacy name", cid="c9", owned=False, short_description="x"))
    pinned = Resource("courses", ("New name",), {"title": "New name"}, ids={"id": "c9"})

    plan = make_plan(state(pinned), live, provider=FakeProvider, manage=ManageConfig(), target="d")

    assert _actions(plan) == [("update", 'courses["New name"]')]
    assert plan.changes[0].adopt is True
    assert plan.changes[0].changed == ("title",)


def test_a_title_several_courses_share_must_be_pinned() -> None:
    live = state(course("Intro", cid="c1"), course("Intro #2", cid="c2"))
    live.ambiguous[("courses", ("Intro",))] = ["c1", "c2"]
    wanted = Resource("courses", ("Intro",), {"title": "Intro"}, source=Location(Path("c.yaml"), 2, 5))

    with pytest.raises(ManifestError) as failure:
        make_plan(state(wanted), live, provider=FakeProvider, manage=ManageConfig(), target="d")

    assert str(failure.value) == (
        "c.yaml:2:5: 2 courses in Fake LMS share the key 'Intro' (ids c1, c2); "
        "add `id:` to say which one this is"
    )


def test_authoritative_courses_never_touch_courses_lmsform_does_not_own() -> None:
    live = state(course("Theirs", cid="c1", owned=False), course("Ours", cid="c2"))

    plan = make_plan(
        state(),
        live,
        provider=FakeProvider,
        manage=ManageConfig.model_validate({"courses": "authoritative"}),
        target="d",
    )

    assert _actions(plan) == [("delete", 'courses["Ours"]')]
    assert plan.warnings == ("1 live courses left alone: it has no 'lmsform' label",)


def test_deleting_a_course_takes_its_publication_and_enrollments_with_it() -> None:
    manage = ManageConfig.model_validate({"courses": "authoritative", "enrollments": "authoritative"})

    plan = make_plan(state(), LIVE_CATALOGUE, provider=FakeProvider, manage=manage, target="d")

    assert _actions(plan) == [("delete", 'courses["Safety 101"]')]
    assert plan.changes[0].cascade == (
        'publications["Safety 101"]',
        'enrollments["course", "Safety 101", "jane@acme.com"]',
    )


def test_published_false_unpublishes_even_when_additive() -> None:
    desired = state(course("Safety 101", short_description="Old"))
    desired.absent[("publications", ("Safety 101",))] = None

    plan = make_plan(desired, LIVE_CATALOGUE, provider=FakeProvider, manage=ManageConfig(), target="d")

    assert _actions(plan) == [("delete", 'publications["Safety 101"]')]
    assert "cannot be undone" in plan.changes[0].notes[0]
    assert plan.changes[0].cascade == ('enrollments["course", "Safety 101", "jane@acme.com"]',)


# --- enrollments through groups ---------------------------------------------------------------------


def _group_enrollment(desired: State, group_name: str) -> None:
    desired.expansions.append(
        GroupExpansion(
            "enrollments", {"type": "course", "target": "Safety 101", "active": True}, group_name, None
        )
    )
    desired.scopes["enrollments"] = {("course", "Safety 101")}


@pytest.mark.parametrize(
    ("memberships", "expected_users"),
    [("additive", ["bob@acme.com", "jane@acme.com"]), ("authoritative", ["bob@acme.com"])],
)
def test_a_group_enrollment_expands_to_members_declared_and_kept_live(
    memberships: str, expected_users: list[str]
) -> None:
    live = state(
        JANE_LIVE,
        user("bob@acme.com", uid="u2", active=True),
        user("stranger@else.com", uid="u3", active=True),
        group("eng", gid="g1"),
        member("eng", "jane@acme.com", ids={"group": "g1", "user": "u1"}),
        course("Safety 101", cid="c1"),
        publication("Safety 101", pid="p1"),
    )
    desired = state(group("eng"), member("eng", "bob@acme.com"), publication("Safety 101"))
    _group_enrollment(desired, "eng")

    plan = make_plan(
        desired,
        live,
        provider=FakeProvider,
        manage=ManageConfig.model_validate({"memberships": memberships}),
        target="d",
    )

    enrolled = [change for change in plan.changes if change.kind == "enrollments"]
    assert [change.key[2] for change in enrolled] == expected_users
    assert all(change.notes == ("via group eng",) for change in enrolled)


def test_group_members_who_are_not_users_of_the_domain_are_left_out_with_a_warning() -> None:
    live = state(
        group("eng", gid="g1"), member("eng", "outsider@else.com"), publication("Safety 101", pid="p1")
    )
    desired = state()
    _group_enrollment(desired, "eng")

    plan = make_plan(desired, live, provider=FakeProvider, manage=ManageConfig(), target="d")

    assert plan.changes == ()
    assert plan.warnings == (
        "1 member(s) of group 'eng' are not users of this account and were left out of its enrollments",
    )


# --- write-only supervisors -----------------------------------------------------------------------------


def test_supervisors_are_sent_again_on_every_plan_without_counting_as_changes() -> None:
    grant = Resource("supervisors", ("ann@acme.com",), {"user": "ann@acme.com", "group": "eng"})
    desired = state(grant)
    desired.absent[("supervisors", ("old@acme.com",))] = None

    plan = make_plan(desired, state(), provider=FakeProvider, manage=ManageConfig(), target="d")

    assert _actions(plan) == [
        ("reassert", 'supervisors["ann@acme.com"]'),
        ("reassert", 'supervisors["old@acme.com"]'),
    ]
    assert plan.changes[1].after == {"revoke": True}
    assert plan.is_empty
    assert plan.counts.reassert == 2


def test_a_reference_to_a_name_several_live_objects_share_is_an_error() -> None:
    live = state(Resource("lessons", ("Induction",), {"name": "Induction"}, ids={"id": "1"}))
    live.ambiguous[("lessons", ("Induction",))] = ["1", "2"]
    reference = Reference("lessons", ("Induction",), Location(Path("e.yaml"), 2, 13), "enrollments")

    with pytest.raises(ManifestError) as failure:
        make_plan(
            state(),
            live,
            provider=FakeProvider,
            manage=ManageConfig(),
            target="d",
            unresolved=[reference],
        )

    assert str(failure.value) == (
        "e.yaml:2:13: 2 lessons in Fake LMS are named 'Induction' (ids 1, 2): "
        "rename all but one there to refer to it"
    )


@pytest.mark.parametrize(
    ("live", "wanted", "changed"),
    [
        ({"a": "x", "n": 1}, {"a": "x", "n": 1}, ()),
        ({"a": "x"}, {"a": "y"}, ("a",)),
        ({"n": 1}, {"n": True}, ("n",)),  # equal by ==, yet a different value to the vendor
        ({"n": 1}, {"n": 1.0}, ()),  # numbers by value
        ({"n": 1}, {"n": "1"}, ("n",)),
        ({"roles": ["a", "b"]}, {"roles": ["a", "b"]}, ()),
        ({"roles": ["a", "b"]}, {"roles": ["b", "a"]}, ("roles",)),  # lists keep their order
        ({"roles": ["a"]}, {"roles": ["a", "b"]}, ("roles",)),
        ({"roles": []}, {"roles": []}, ()),
        ({"roles": None}, {"roles": []}, ("roles",)),
        ({"ids": [1]}, {"ids": [1.0]}, ()),  # numbers by value in lists too, whatever deepdiff's release
        ({"ids": [1]}, {"ids": [True]}, ("ids",)),
        ({"rules": [{"n": 2}]}, {"rules": [{"n": 2.0}]}, ()),
        ({"rules": [{"n": 2}]}, {"rules": [{"n": 2.5}]}, ("rules",)),
        ({"ids": ["1"]}, {"ids": [1]}, ("ids",)),
        ({"rules": [{"a": "x"}]}, {"rules": [{"a": "x"}]}, ()),
        ({"rules": [{"a": "x"}]}, {"rules": [{"a": "y"}]}, ("rules",)),
        ({}, {"a": None}, ()),
        ({}, {"a": "x"}, ("a",)),
        ({"email": "A@x.com"}, {"email": "a@x.com"}, ()),  # key fields are never compared
    ],
)
def test_changed_fields_compare_values_and_their_types(
    live: dict[str, object], wanted: dict[str, object], changed: tuple[str, ...]
) -> None:
    assert changed_fields(wanted, live, ("email",)) == changed


@pytest.mark.parametrize(
    "part",
    [
        "jane@acme.com",
        'Team "A"',
        "back\\slash",
        "two\nlines",
        "tab\there",
        "\x00\x1f",
        "\x7f",
        "Zoë 日本",
        "",
    ],
)
def test_an_address_quotes_each_key_part_as_json_and_reads_back(part: str) -> None:
    shown = address("memberships", (part, "jane@acme.com"))

    # JSON, with DEL (a control character JSON leaves as it is) escaped too.
    quoted = json.dumps(part, ensure_ascii=False).replace("\x7f", "\\u007f")
    assert shown == f'memberships[{quoted}, "jane@acme.com"]'
    assert parse_address(shown) == ("memberships", (part, "jane@acme.com"))
