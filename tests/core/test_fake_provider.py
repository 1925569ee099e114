"""The core with a provider that is no vendor: plan, apply and plan again on the in-memory fake.

These keep the fake honest (a plan applied to it plans again empty, as on any vendor) and show that
planning and applying need nothing but what `Provider` declares.
"""

from __future__ import annotations

from typing import Any

from lmsform.apply import apply_plan
from lmsform.plan import Plan
from lmsform.planner import make_plan
from lmsform.project_config import ManageConfig
from lmsform.state import Resource, State
from tests.core.fake_provider import FakeProvider

MANAGE = ManageConfig.model_validate(
    {"users": "authoritative", "groups": "authoritative", "memberships": "authoritative"}
)


def _account() -> State:
    """Jane and Old in group eng, Old also in ops; a published course Jane is enrolled in."""
    live = State()
    for resource in (
        Resource(
            "users", ("jane@acme.com",), {"email": "jane@acme.com", "first_name": "Jane", "active": True}
        ),
        Resource("users", ("old@acme.com",), {"email": "old@acme.com", "active": True}),
        Resource("groups", ("eng",), {"name": "eng"}),
        Resource("groups", ("ops",), {"name": "ops", "user_count": 1}),
        Resource("memberships", ("eng", "jane@acme.com"), {"group": "eng", "user": "jane@acme.com"}),
        Resource("memberships", ("eng", "old@acme.com"), {"group": "eng", "user": "old@acme.com"}),
        Resource("memberships", ("ops", "old@acme.com"), {"group": "ops", "user": "old@acme.com"}),
        Resource("courses", ("Safety 101",), {"title": "Safety 101", "labels": ["a", "b"]}),
        Resource("publications", ("Safety 101",), {"course": "Safety 101"}),
        Resource(
            "enrollments",
            ("course", "Safety 101", "jane@acme.com"),
            {"type": "course", "target": "Safety 101", "user": "jane@acme.com", "active": True},
        ),
    ):
        live.add(Resource(resource.kind, resource.key, resource.fields, ids={"id": f"v{len(live)}"}))
    return live


def _desired() -> State:
    """Jane renamed and Bob new in eng; Old and ops gone; the course renamed, its labels reordered."""
    desired = State()
    desired.add(_user("jane@acme.com", first_name="Janet", active=True))
    desired.add(_user("bob@acme.com", first_name="Bob", active=True))
    desired.add(Resource("groups", ("eng",), {"name": "eng"}))
    desired.scopes["memberships"] = {("eng",)}
    for email in ("jane@acme.com", "bob@acme.com"):
        desired.add(Resource("memberships", ("eng", email), {"group": "eng", "user": email}))
    desired.add(
        Resource(
            "courses",
            ("Safety Basics",),
            {"title": "Safety Basics", "labels": ["b", "a"]},
            previously=(("Safety 101",),),
        )
    )
    desired.add(Resource("publications", ("Safety Basics",), {"course": "Safety Basics"}))
    return desired


def _user(email: str, **fields: Any) -> Resource:
    return Resource("users", (email,), {"email": email, **fields})


def _plan(provider: FakeProvider, desired: State) -> Plan:
    live = provider.read(desired, MANAGE)
    return make_plan(desired, live, provider=FakeProvider, manage=MANAGE, target="acme.example.com")


def test_a_plan_applied_to_the_fake_plans_again_empty() -> None:
    provider = FakeProvider(live=_account())
    desired = _desired()

    result = apply_plan(_plan(provider, desired), provider, parallelism=2)

    assert result.ok, [item.error for item in result.results]
    assert provider.calls == [
        'create users["bob@acme.com"]',
        'update users["jane@acme.com"]',
        'create memberships["eng", "bob@acme.com"]',
        'update courses["Safety Basics"]',
        'delete memberships["eng", "old@acme.com"]',
        'delete groups["ops"]',
        'deactivate users["old@acme.com"]',
    ]
    assert _plan(provider, desired).changes == ()


def test_a_rename_carries_the_objects_named_after_it_and_a_delete_takes_its_cascade() -> None:
    provider = FakeProvider(live=_account())

    apply_plan(_plan(provider, _desired()), provider, parallelism=1)

    account = provider.read_all()
    assert list(account.of("publications")) == [("Safety Basics",)]
    assert list(account.of("enrollments")) == [("course", "Safety Basics", "jane@acme.com")]
    assert ("ops", "old@acme.com") not in account.of("memberships")
    assert account.of("users")[("old@acme.com",)].fields["active"] is False


def test_a_kind_the_fake_cannot_list_is_sent_on_every_apply_and_never_read() -> None:
    provider = FakeProvider()
    desired = State()
    desired.add(Resource("supervisors", ("ann@acme.com",), {"user": "ann@acme.com", "group": "eng"}))

    apply_plan(_plan(provider, desired), provider, parallelism=1)

    assert provider.sent == {("supervisors", ("ann@acme.com",)): {"user": "ann@acme.com", "group": "eng"}}
    assert [change.action.value for change in _plan(provider, desired).changes] == ["reassert"]
    assert len(provider.read_all()) == 0
