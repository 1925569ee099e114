"""The last line: the safety check on a whole plan refuses one made some other way than by today's
planner (saved before `protect:` named an object, or edited by hand) when it would take or demote a
guarded object."""

from __future__ import annotations

import pytest

from lmsform.errors import UnsafePlanError
from lmsform.kinds import Key
from lmsform.plan import Action, Change, Plan
from lmsform.planner import make_plan
from lmsform.project_config import ManageConfig, ProjectConfig
from lmsform.safety import check_plan, make_guard
from lmsform.state import Resource, State
from tests.core.fake_provider import FakeProvider

CEO = "ceo@acme.com"
TARGET = "acme.example.com"
OWNER_GUARD = "it is the Fake LMS account owner, kept by the lock-out guard"


def test_attack_a_saved_plan_made_before_protection_still_cannot_take_a_protected_member() -> None:
    """The last line: safety refuses any removal whose cascade holds a protected object, whichever
    way the change reached the plan (made before `protect:` named it, or written by hand)."""
    live = State()
    live.add(Resource("groups", ("ops",), {"name": "ops"}, ids={"id": "g1"}))
    live.add(Resource("users", (CEO,), {"email": CEO}, ids={"id": "u1"}))
    live.add(Resource("memberships", ("ops", CEO), {"group": "ops", "user": CEO}, ids={"group": "g1"}))
    manage = ManageConfig.model_validate({"groups": "authoritative"})
    planned = make_plan(State(), live, provider=FakeProvider, manage=manage, target=TARGET)
    assert [change.cascade for change in planned.changes] == [(f'memberships["ops", "{CEO}"]',)]
    config = ProjectConfig.model_validate(
        {"provider": {"type": "fake"}, "protect": {"memberships": ["ops/*"]}}
    )

    with pytest.raises(UnsafePlanError, match="protected"):
        check_plan(planned, config, make_guard(config, {}), force=True)


def _owner_live() -> State:
    live = State()
    fields = {
        "username": "owner",
        "email": "owner@example.com",
        "roles": ["admin"],
        "active": True,
        "owner": True,
    }
    live.add(Resource("users", ("owner",), fields, ids={"id": "100001"}))
    return live


def test_attack_a_plan_that_demotes_the_owner_under_another_key_is_refused_by_the_safety_check() -> None:
    """A plan not made by the planner (an edited file): its change names `u00`, its id is the owner's,
    and it inactivates it. The check finds the owner by the vendor's id."""
    live = _owner_live()
    config = ProjectConfig.model_validate({"provider": {"type": "fake"}})
    vendor_guarded: dict[tuple[str, Key], str] = {("users", ("owner",)): OWNER_GUARD}
    guard = make_guard(config, vendor_guarded, live=live, supports=FakeProvider.supports)
    before = {"username": "u00", "email": "u00@acme.com", "roles": ["admin"], "active": True}
    change = Change(
        Action.UPDATE,
        "users",
        ("u00",),
        before,
        {**before, "active": False},
        changed=("active",),
        ids={"id": "100001"},
    )
    plan = Plan.build("fake", TARGET, [change], {}, [], existing={"users": 1})

    with pytest.raises(UnsafePlanError) as refused:
        check_plan(plan, config, guard, force=True)

    assert refused.value.reasons == [f'users["u00"] would deactivate it, which is protected: {OWNER_GUARD}']
    assert not refused.value.forceable
