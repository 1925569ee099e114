"""Partial plans (`--target ADDRESS`, `--kind KIND`): what they select, what comes along, what never does.

The unit tests run `targeted` on plans built by hand; the end-to-end tests run the CLI against the
Skilljar emulator: a saved partial plan applies exactly what it lists, stays partial, and is refused
once edited; arguments that name nothing plannable stop before any request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lmsform.kinds import Key
from lmsform.plan import ABSENT, Action, Change, Plan, Targets
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.state import Resource, State
from lmsform.targeting import TargetError, parse_target, selection, targeted
from tests.conftest import CliRunnerCall, ProjectDir, api_calls, writes
from tests.skilljar_api import SkilljarApi

# --- unit: what a partial plan keeps --------------------------------------------------------------------


def _create(kind: str, key: Key, **after: Any) -> Change:
    return Change(Action.CREATE, kind, key, None, after)


def _update(kind: str, key: Key, before: Mapping[str, Any], after: Mapping[str, Any]) -> Change:
    changed = tuple(sorted(name for name in after if before.get(name) != after[name]))
    return Change(Action.UPDATE, kind, key, before, {**before, **after}, changed=changed, ids={"id": "7"})


def _delete(kind: str, key: Key) -> Change:
    return Change(Action.DELETE, kind, key, {}, None, ids={"id": "9"})


def _plan(*changes: Change, **extra: Any) -> Plan:
    return Plan.build("skilljar", "acme", list(changes), {}, [], **extra)


def _partial(
    plan: Plan,
    addresses: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
    *,
    known: tuple[State, ...] = (),
    ignored: State | None = None,
) -> Plan:
    return targeted(
        plan,
        selection(Targets(addresses, kinds)),
        supports={},
        known=known,
        ignored=ignored or State(),
        title="Skilljar",
    )


def _addresses(plan: Plan) -> list[str]:
    return [f"{change.action.value} {change.address}" for change in plan.changes]


JANE = _create("users", ("jane@acme.com",), email="jane@acme.com")
BOB = _create("users", ("bob@acme.com",), email="bob@acme.com")
ENG = _create("groups", ("eng",), name="eng")
SALES = _create("groups", ("sales",), name="sales")
JANE_IN_ENG = _create("memberships", ("eng", "jane@acme.com"), group="eng", user="jane@acme.com")
BOB_IN_SALES = _create("memberships", ("sales", "bob@acme.com"), group="sales", user="bob@acme.com")


def test_a_membership_brings_its_group_and_user_and_nothing_else() -> None:
    plan = _plan(JANE, BOB, ENG, SALES, JANE_IN_ENG, BOB_IN_SALES)

    partial = _partial(plan, ('memberships["eng", "*"]',))

    assert _addresses(partial) == [
        'create users["jane@acme.com"]',
        'create groups["eng"]',
        'create memberships["eng", "jane@acme.com"]',
    ]
    assert partial.targets == Targets(('memberships["eng", "*"]',))


def test_what_is_needed_comes_along_transitively_and_through_fields() -> None:
    """An enrollment needs its user and publication, the publication its course; a path its courses'
    publications (a field); a group its parent group (a field)."""
    course = _create("courses", ("Safety",), title="Safety")
    publication = _create("publications", ("Safety",), course="Safety")
    path = _create("paths", ("onboarding",), slug="onboarding", courses=["Safety"])
    enrollment = _create("enrollments", ("path", "onboarding", "jane@acme.com"))
    child = _create("groups", ("eng-emea",), name="eng-emea", parent="eng")
    plan = _plan(JANE, BOB, ENG, child, course, publication, path, enrollment)

    assert _addresses(_partial(plan, ('enrollments["path", "onboarding", "jane@acme.com"]',))) == [
        'create users["jane@acme.com"]',
        'create courses["Safety"]',
        'create publications["Safety"]',
        'create paths["onboarding"]',
        'create enrollments["path", "onboarding", "jane@acme.com"]',
    ]
    assert _addresses(_partial(plan, ('groups["eng-emea"]',))) == [
        'create groups["eng"]',
        'create groups["eng-emea"]',
    ]


def test_a_dependency_comes_with_its_update_but_never_with_a_removal_or_deactivation() -> None:
    """Jane is reactivated (an update her membership needs); Bob is deactivated by `active: false`, and
    Sales deleted: neither comes along with what names them, since targeting never removes by the way."""
    jane_back = _update(
        "users", ("jane@acme.com",), {"email": "jane@acme.com", "active": False}, {"active": True}
    )
    bob_off = _update(
        "users", ("bob@acme.com",), {"email": "bob@acme.com", "active": True}, {"active": False}
    )
    bob_in_eng = _create("memberships", ("eng", "bob@acme.com"), group="eng", user="bob@acme.com")
    plan = _plan(jane_back, bob_off, ENG, JANE_IN_ENG, bob_in_eng, _delete("groups", ("sales",)))

    partial = _partial(plan, ('memberships["eng", "*"]',))

    assert _addresses(partial) == [
        'update users["jane@acme.com"]',
        'create groups["eng"]',
        'create memberships["eng", "bob@acme.com"]',
        'create memberships["eng", "jane@acme.com"]',
    ]


def test_a_removal_is_planned_only_when_the_targets_select_it() -> None:
    gone = _delete("users", ("old@acme.com",))
    other = _delete("users", ("left@other.com",))
    plan = _plan(JANE, gone, other, _delete("groups", ("sales",)))

    assert _addresses(_partial(plan, ('users["*@acme.com"]',))) == [
        'create users["jane@acme.com"]',
        'delete users["old@acme.com"]',
    ]
    assert _addresses(_partial(plan, (), ("groups",))) == ['delete groups["sales"]']


def test_a_sessions_attendees_bring_their_enrollment_in_its_lesson() -> None:
    """A vendor that keeps sessions registers only users scheduled for the lesson (declarations)."""
    session = _create(
        "sessions",
        ("Forklift", "2030-01-01T09:00:00Z", "2030-01-01T17:00:00Z"),
        lesson="Forklift",
        attendees=["jane@acme.com"],
    )
    scheduled = _create("enrollments", ("lesson", "Forklift", "jane@acme.com"))
    elsewhere = _create("enrollments", ("lesson", "Welding", "jane@acme.com"))
    plan = _plan(JANE, BOB, scheduled, elsewhere, session)

    assert _addresses(_partial(plan, (), ("sessions",))) == [
        'create users["jane@acme.com"]',
        'create enrollments["lesson", "Forklift", "jane@acme.com"]',
        'create sessions["Forklift", "2030-01-01T09:00:00Z", "2030-01-01T17:00:00Z"]',
    ]


def test_references_and_fingerprints_are_those_of_the_changes_kept() -> None:
    """A saved partial plan goes stale when what it touches changes, not when the rest of the account does."""
    bob_in_eng = _create("memberships", ("eng", "bob@acme.com"), group="eng", user="bob@acme.com")
    rename = _update("users", ("bob@acme.com",), {"email": "robert@acme.com"}, {"email": "bob@acme.com"})
    plan = Plan.build(
        "skilljar",
        "acme",
        [rename, bob_in_eng, BOB_IN_SALES],
        {("groups", ("eng",)): {"id": "1"}, ("groups", ("sales",)): {"id": "2"}},
        [],
        {
            ("users", ("robert@acme.com",)): "sha256:bob",
            ("groups", ("eng",)): "sha256:eng",
            ("groups", ("sales",)): "sha256:sales",
            ("memberships", ("sales", "bob@acme.com")): ABSENT,
        },
        {"users": 12, "groups": 3},
    )

    partial = _partial(plan, ('memberships["eng", "*"]',))

    assert partial.refs == {("groups", ("eng",)): {"id": "1"}}
    assert partial.live_fingerprint == {
        ("users", ("robert@acme.com",)): "sha256:bob",  # under its live key, found through `before`
        ("groups", ("eng",)): "sha256:eng",
    }
    assert partial.existing == plan.existing  # thresholds count against the kind's live objects


def test_addresses_match_as_keys_are_normalised_with_globs_per_part() -> None:
    plan = _plan(JANE, BOB, ENG, JANE_IN_ENG, BOB_IN_SALES)

    assert _addresses(_partial(plan, ('users["JANE@Acme.com"]',))) == ['create users["jane@acme.com"]']
    assert _addresses(_partial(plan, ('memberships["*", "bob@*"]',))) == [
        'create users["bob@acme.com"]',
        'create memberships["sales", "bob@acme.com"]',
    ]
    # Group names keep their case, as their keys do.
    assert _addresses(_partial(plan, ('groups["ENG"]',))) == []


def test_a_target_that_matches_nothing_is_a_warning_and_an_empty_plan() -> None:
    live = State()
    live.add(Resource("users", ("kept@acme.com",), {}))
    ignored = State()
    ignored.add(Resource("users", ("bot@acme.com",), {}))
    plan = _plan(JANE)

    partial = _partial(
        plan,
        ('users["nobody@acme.com"]', 'users["kept@acme.com"]', 'users["bot@*"]'),
        ("webhooks",),
        known=(live,),
        ignored=ignored,
    )

    assert partial.changes == ()
    assert partial.warnings == (
        '--target users["nobody@acme.com"] matches nothing in the manifests or in Skilljar',
        '--target users["bot@*"] matches only objects that ignore: in lmsform.yaml hides, which lmsform '
        "never plans",
        "--kind webhooks matches nothing in the manifests or in Skilljar",
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("users", "is not an address"),
        ('users["jane@acme.com"', "is not an address"),
        ("users[jane]", "the key is quoted strings"),
        ("users[1]", "the key is quoted strings"),
        ('users["a"], ["b"]', "the key is quoted strings"),
        ('people["jane"]', "unknown kind 'people'"),
        ('lessons["Forklift"]', "lmsform only reads lessons"),
        ('memberships["eng"]', 'memberships["eng", "*"] selects any of the rest'),
        ('users["a", "b"]', "has 1 part(s) (email), not 2"),
    ],
)
def test_a_malformed_address_is_refused_with_what_to_write(text: str, says: str) -> None:
    with pytest.raises(TargetError) as raised:
        parse_target(text)
    assert says in str(raised.value)


def test_targets_round_trip_through_the_plans_json_and_a_full_plan_has_none() -> None:
    plan = _partial(_plan(JANE, ENG), ('users["*"]',), ("groups",))

    document = plan.to_json()
    assert document["targets"] == {"addresses": ['users["*"]'], "kinds": ["groups"]}
    assert Plan.from_json(document).targets == plan.targets
    assert "targets" not in _plan(JANE).to_json()


@pytest.mark.parametrize(
    "targets",
    [["users"], {"addresses": 'users["*"]'}, {"kinds": ["people"]}, {"addresses": [], "more": []}],
)
def test_a_plan_file_with_malformed_targets_is_refused(targets: Any) -> None:
    from lmsform.errors import PlanFileError

    document = _plan(JANE).to_json()
    document["targets"] = targets
    with pytest.raises(PlanFileError, match="malformed plan file"):
        Plan.from_json(document)


# --- end to end, on the Skilljar emulator ---------------------------------------------------------------

PEOPLE = """\
users:
  - email: jane@acme.com
    first_name: Jane
    groups: [eng]
  - email: ann@acme.com
    first_name: Ann
  - email: bob@partner.example
    first_name: Bob
    groups: [sales]
groups:
  - name: eng
  - name: sales
"""
PLAN_KEY = "plan-key-CANARY-5a1f3e"


def test_a_saved_partial_plan_applies_exactly_itself_and_the_next_full_plan_shows_the_rest(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    project.configure(skilljar.url, manage="users: authoritative")
    project.write("people.yaml", PEOPLE)
    plan_file = tmp_path / "partial.json"

    planned = cli("plan", project.root, "--target", 'memberships["eng", "*"]', "--out", plan_file)
    assert planned.exit_code == 0, planned.output
    assert planned.stdout.startswith(
        'Partial plan: only --target memberships["eng", "*"] and what they need; a plan without them '
        "shows the rest.\n"
    )
    assert "Plan: 3 to add, 0 to change, 0 to remove." in planned.stdout
    markdown = cli("show", plan_file, "--format", "markdown").stdout
    assert '**Partial plan:** only `--target memberships["eng", "*"]` and what they need' in markdown
    assert json.loads(cli("show", plan_file, "--format", "json").stdout)["targets"] == {
        "addresses": ['memberships["eng", "*"]'],
        "kinds": [],
    }

    applied = cli("apply", plan_file)

    assert applied.exit_code == 0, applied.output
    api = SkilljarApi(skilljar.url)
    assert set(api.users()) == {"jane@acme.com"}
    assert api.groups() == {"eng": {"jane@acme.com"}}
    rest = cli("plan", project.root)
    assert "Partial plan" not in rest.stdout
    assert "Plan: 4 to add, 0 to change, 0 to remove." in rest.stdout  # Ann, Bob, sales, Bob in sales

    ann = cli("apply", project.root, "--target", 'users["ann@*"]', "--auto-approve")
    assert ann.exit_code == 0, ann.output
    assert set(api.users()) == {"jane@acme.com", "ann@acme.com"}


def test_arguments_that_name_nothing_plannable_exit_2_before_any_request(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    plan_file = tmp_path / "full.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    before = len(skilljar.requests)

    for args in (
        ("plan", project.root, "--kind", "people"),
        ("plan", project.root, "--target", "users[jane@acme.com]"),
        ("apply", project.root, "--target", 'lessons["Forklift"]', "--auto-approve"),
        ("apply", plan_file, "--kind", "users"),  # a saved plan keeps its own targets
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Error:" in result.stderr

    assert api_calls(skilljar, since=before) == []


def test_a_target_that_matches_nothing_warns_and_exits_0_with_no_changes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)

    result = cli("plan", project.root, "--target", 'users["nobody@acme.com"]', "--detailed-exitcode")

    assert result.exit_code == 0, result.output
    assert 'Warning: --target users["nobody@acme.com"] matches nothing in the manifests or in Skilljar' in (
        result.stdout
    )
    assert "No changes." in result.stdout


def test_attack_a_signed_partial_plan_edited_to_drop_its_targets_is_refused(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    """The reviewers approved the partial plan; the file, its targets gone (so that apply would plan
    everything), or widened, fails its signature; nothing reaches the vendor."""
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    plan_file = tmp_path / "partial.json"
    signed: dict[str, str | None] = {"LMSFORM_PLAN_KEY": PLAN_KEY}
    assert cli("plan", project.root, "--kind", "groups", "--out", plan_file, env=signed).exit_code == 0
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    before = len(skilljar.requests)

    dropped = {name: value for name, value in document.items() if name != "targets"}
    widened = {**document, "targets": {"addresses": [], "kinds": ["groups", "users"]}}
    for edited in (dropped, widened):
        plan_file.write_text(json.dumps(edited), encoding="utf-8")
        result = cli("apply", plan_file, env=signed)
        assert result.exit_code == 1, result.output
        assert "the plan's signature does not match it" in result.stderr

    assert writes(skilljar, since=before) == []


def test_attack_an_unsigned_partial_plan_without_its_targets_is_stale(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    """Without a key, dropping the targets makes apply plan the whole account, which the file lacks."""
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    plan_file = tmp_path / "partial.json"
    assert cli("plan", project.root, "--kind", "groups", "--out", plan_file).exit_code == 0
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    document.pop("targets")
    plan_file.write_text(json.dumps(document), encoding="utf-8")

    result = cli("apply", plan_file)

    assert result.exit_code == 1, result.output
    assert 'users["jane@acme.com"] (create) is needed now but is not in the saved plan' in result.stderr
    assert writes(skilljar) == []


def test_thresholds_and_protection_hold_in_a_partial_plan(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Ten learners leave; the CEO, protected, is targeted too. The removals count against every live
    user (the threshold's base is the kind's, not the target's), and the CEO is left alone."""
    team = "".join(f"  - email: learner{n:02d}@acme.com\n" for n in range(10))
    project.configure(
        skilljar.url, manage="users: authoritative", extra="protect:\n  users: [ceo@acme.com]\n"
    )
    project.write("people.yaml", f"users:\n  - email: ceo@acme.com\n{team}  - email: stays@acme.com\n")
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    project.write("people.yaml", "users:\n  - email: stays@acme.com\n")

    refused = cli("plan", project.root, "--target", 'users["learner0*"]')
    assert refused.exit_code == 1, refused.output
    assert "Too many removals of users: 83 % (10/12) is over 30 %" in refused.stderr

    protected = cli("plan", project.root, "--target", 'users["ceo@acme.com"]')
    assert protected.exit_code == 0, protected.output
    assert (
        'Warning: users["ceo@acme.com"] is left as it is: it would deactivate it, and it is protected'
        in protected.stdout
    )
    assert "No changes." in protected.stdout


def test_a_saved_plans_targets_are_escaped_in_every_format() -> None:
    """`show` renders a plan file anyone may have written: its targets can neither restyle the terminal
    nor break out of the Markdown that shows them."""
    from lmsform.output import render

    hostile = 'users["\x1b[2J\n## Approved"]` <!-- '
    plan = replace(_plan(JANE), targets=Targets((hostile,)))

    text = render(plan, "text", title="Skilljar", redact="none")
    markdown = render(plan, "markdown", title="Skilljar", redact="none")
    data = render(plan, "json", title="Skilljar", redact="none")

    assert "\x1b[2J" not in text and "\n## Approved" not in text
    assert "\x1b" not in markdown and "\n## Approved" not in markdown
    [line] = [line for line in markdown.splitlines() if line.startswith("**Partial plan:**")]
    # In a code span fenced by more backticks than it holds in a row: shown as it is, and only that.
    assert line.startswith('**Partial plan:** only ``--target users["\\u001b[2J\\n## Approved"]` <!-- `` and')
    assert "\x1b" not in data and json.loads(data)["targets"]["addresses"] == [hostile]
