"""What a removal takes with it is read, shown, counted and protected (issue 15, finding 2).

The attacker edits only manifests: dropping a group's declaration must not delete, at one stroke and
unseen, the members lmsform never read because no manifest named the group. Each test checks the
vendor's store through the emulator's state dump, not through lmsform's reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, create_app
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.versal.emulator import VersalEmulatorOptions
from lmsform.providers.versal.emulator import create_app as create_versal_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls, writes

OPS = [f"worker{n:02d}@acme.com" for n in range(30)]
CEO = "ceo@acme.com"
ONLY_BOARD = f"groups:\n  - name: board\n    members: [{CEO}]\n"
GROUPS_AUTHORITATIVE = "groups: authoritative\nmemberships: authoritative"
NO_THRESHOLD = "safety:\n  max_remove_percent: 100\n"


def _seed(server: EmulatorServer, document: dict[str, Any]) -> None:
    requests.post(f"{server.url}/_emulator/seed", json=document, timeout=10).raise_for_status()


def _left_alone(output: str, removed: str) -> str:
    """The plan's warning that it leaves the removal of `removed` out (it says what that would take)."""
    lines = [line for line in output.splitlines() if f"{removed} is left as it is" in line]
    assert lines, output
    return lines[0]


def _dump(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _skilljar_members(server: EmulatorServer) -> dict[str, set[str]]:
    """Group name → member e-mails, as the emulator's store holds them."""
    state = _dump(server)
    names = {group["id"]: group["name"] for group in state["groups"]}
    emails = {user["id"]: user["email"] for user in state["users"]}
    members: dict[str, set[str]] = {name: set() for name in names.values()}
    for row in state["group_users"]:
        members[names[row["group_id"]]].add(emails[row["user_id"]])
    return members


@pytest.fixture
def two_groups(skilljar: EmulatorServer) -> EmulatorServer:
    """`ops` with 30 members and `board` with the CEO: 31 memberships in all."""
    people = [*OPS, CEO]
    _seed(
        skilljar,
        {
            "users": [{"email": email, "domains": [{"name": DOMAIN}]} for email in people],
            "groups": [{"name": "ops", "members": OPS}, {"name": "board", "members": [CEO]}],
        },
    )
    return skilljar


def test_attack_dropping_a_group_cannot_delete_a_protected_membership_never_read(
    two_groups: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The manifests never named `ops`, so its members were never read: its delete looked empty."""
    protect = "protect:\n  memberships: ['ops/worker07@acme.com']\n" + NO_THRESHOLD
    project.configure(two_groups.url, manage=GROUPS_AUTHORITATIVE, extra=protect)
    project.write("groups.yaml", ONLY_BOARD)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    warning = _left_alone(result.stdout, 'groups["ops"]')
    assert 'memberships["ops", "worker07@acme.com"]' in warning
    assert "protected" in warning
    assert _skilljar_members(two_groups)["ops"] == set(OPS)


def test_attack_dropping_a_group_cannot_take_30_of_31_memberships_past_the_threshold(
    two_groups: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(two_groups.url, manage=GROUPS_AUTHORITATIVE)
    project.write("groups.yaml", ONLY_BOARD)

    refused = cli("apply", project.root, "--auto-approve")

    assert refused.exit_code == 1, refused.output
    assert "Too many removals of memberships: 97 % (30/31) is over 30 %" in refused.stderr
    assert _skilljar_members(two_groups)["ops"] == set(OPS)

    forced = cli("apply", project.root, "--auto-approve", "--force")

    assert forced.exit_code == 0, forced.output
    assert "ops" not in _skilljar_members(two_groups)


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_the_plan_shows_what_a_dropped_group_takes_with_it(
    two_groups: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, output_format: str
) -> None:
    project.configure(two_groups.url, manage=GROUPS_AUTHORITATIVE, extra=NO_THRESHOLD)
    project.write("groups.yaml", ONLY_BOARD)

    planned = cli("plan", project.root, "--format", output_format)

    assert planned.exit_code == 0, planned.output
    assert 'also removes memberships["ops", "worker00@acme.com"], ' in planned.stdout
    assert "and 25 more" in planned.stdout


def test_only_the_removed_groups_members_are_read_again_and_a_plan_without_removals_reads_no_more(
    two_groups: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The cost of reading cascades: one member list per removed group, none without a removal."""
    ops_id = next(group["id"] for group in _dump(two_groups)["groups"] if group["name"] == "ops")
    members_of_ops = f"/v1/groups/{ops_id}/users"
    project.configure(two_groups.url, manage="groups: authoritative", extra=NO_THRESHOLD)
    project.write("groups.yaml", ONLY_BOARD + "  - name: ops\n")

    before = len(two_groups.requests)
    kept = cli("plan", project.root, "--detailed-exitcode")
    kept_calls = [call.path for call in api_calls(two_groups, since=before)]

    assert kept.exit_code == 0, kept.output
    project.write("groups.yaml", ONLY_BOARD)
    before = len(two_groups.requests)
    dropped = cli("plan", project.root)
    dropped_calls = [call.path for call in api_calls(two_groups, since=before)]

    assert dropped.exit_code == 0, dropped.output
    assert kept_calls.count(members_of_ops) == 1  # declared: read once, in the first pass
    assert dropped_calls.count(members_of_ops) == 1  # dropped: read once, for its removal
    assert len(dropped_calls) == len(kept_calls)


def test_attack_dropping_a_course_cannot_take_a_protected_enrollment_never_read(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Enrollments are read for the courses enrollments name; a dropped course's were not."""
    _seed(
        skilljar,
        {
            "users": [{"email": CEO, "domains": [{"name": DOMAIN}]}],
            "courses": [
                {"title": "Safety 101", "labels": ["lmsform"], "published_on": [DOMAIN]},
                {"title": "Ethics", "labels": ["lmsform"]},
            ],
            "enrollments": [{"domain": DOMAIN, "course": "Safety 101", "email": CEO}],
        },
    )
    protect = "protect:\n  enrollments: ['course/Safety 101/ceo@acme.com']\n"
    project.configure(skilljar.url, manage="courses: authoritative", extra=protect)
    project.write("courses.yaml", "courses:\n  - title: Ethics\n")

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert f'enrollments["course", "Safety 101", "{CEO}"]' in _left_alone(
        result.stdout, 'courses["Safety 101"]'
    )
    state = _dump(skilljar)
    assert "Safety 101" in {course["title"] for course in state["courses"]}
    assert len(state["enrollments"]) == 1


# --- Damstra: a group's inactivation takes its members and supervisors ------------------------------


@pytest.fixture
def damstra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    app = create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    with EmulatorServer(app) as server:
        yield server


def _damstra_project(project: ProjectDir, server: EmulatorServer, extra: str) -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}/api/v2\n"
        f"  access_key: ${{DAMSTRA_ACCESS_KEY}}\n{extra}manage:\n  groups: authoritative\n",
    )


def _damstra_people(*, relations: bool) -> str:
    """ann and bob in `crew`, lead its supervisor; without `relations`, the users alone."""
    lines = ["users:"]
    for name in ("ann", "bob", "lead"):
        lines += [
            f"  - username: {name}",
            f"    email: {name}@acme.com",
            f"    first_name: {name.title()}",
            "    last_name: Acme",
        ]
        if relations:
            lines.append("    supervises: [crew]" if name == "lead" else "    groups: [crew]")
    return "\n".join(lines) + "\n"


def _damstra_relations(server: EmulatorServer) -> tuple[set[str], set[tuple[str, str]]]:
    """Active group names, and (relation, user name) pairs of `crew`, as the emulator's store holds them."""
    state = _dump(server)
    active = {group["name"] for group in state["groups"] if group.get("active", True)}
    crew = next(group["id"] for group in state["groups"] if group["name"] == "crew")
    names = {user["id"]: user["user_name"] for user in state["users"]}
    pairs = {
        (relation, names[row["user_id"]])
        for relation in ("memberships", "supervisions")
        for row in state[relation]
        if row["group_id"] == crew
    }
    return active, pairs


@pytest.mark.parametrize(
    ("protected", "relation", "who"),
    [
        ("memberships: ['crew/bob']", "memberships", "bob"),
        ("group_supervisors: ['crew/lead']", "group_supervisors", "lead"),
    ],
)
def test_attack_inactivating_a_damstra_group_cannot_take_a_protected_member_or_supervisor(
    damstra: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    protected: str,
    relation: str,
    who: str,
) -> None:
    """Damstra has no group delete: its removal is an inactivation, which takes the members along."""
    _damstra_project(project, damstra, "")
    project.write("people.yaml", _damstra_people(relations=True))
    project.write("groups.yaml", "groups:\n  - name: crew\n    description: Crew\n  - name: site\n")
    made = cli("apply", project.root, "--auto-approve")
    assert made.exit_code == 0, made.output
    _damstra_project(project, damstra, f"protect:\n  {protected}\n")
    project.write("people.yaml", _damstra_people(relations=False))
    project.write("groups.yaml", "groups:\n  - name: site\n")

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert f'{relation}["crew", "{who}"]' in _left_alone(result.stdout, 'groups["crew"]')
    active, pairs = _damstra_relations(damstra)
    assert "crew" in active
    assert pairs == {("memberships", "ann"), ("memberships", "bob"), ("supervisions", "lead")}


def test_a_damstra_group_inactivation_shows_and_counts_its_members(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _damstra_project(project, damstra, "")
    project.write("people.yaml", _damstra_people(relations=True))
    project.write("groups.yaml", "groups:\n  - name: crew\n    description: Crew\n")
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    project.write("people.yaml", _damstra_people(relations=False))
    project.write("groups.yaml", "groups: []\n")

    planned = cli("plan", project.root)

    assert planned.exit_code == 0, planned.output
    assert (
        'also removes memberships["crew", "ann"], memberships["crew", "bob"], '
        'group_supervisors["crew", "lead"]'
    ) in planned.stdout


# --- Versal: a user's removal takes their enrollments in every course -------------------------------

VERSAL_KEY = "ca4a1a7e-5eed-4c0d-9e11-0000c0ffee42"
VERSAL_ORG = 4242


@pytest.fixture
def versal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("VERSAL_API_KEY", VERSAL_KEY)
    options = VersalEmulatorOptions(org_id=VERSAL_ORG, date_fields="date")
    app = create_versal_app(tmp_path / "versal.sqlite3", api_key=VERSAL_KEY, options=options)
    with EmulatorServer(app) as server:
        yield server


def test_attack_removing_a_versal_user_cannot_take_a_protected_enrollment_in_a_course_never_named(
    versal: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Enrollments were kept for the courses enrollments name only: the removal's cascade missed
    the protected one in a course no manifest names."""
    _seed(
        versal,
        {
            "users": [{"email": "ann@acme.com"}, {"email": CEO}],
            "courses": [{"title": "Ethics", "learners": [CEO], "tracked": [CEO]}],
        },
    )
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: versal\n  organisation: {VERSAL_ORG}\n  base_url: {versal.url}/api2\n"
        "  api_key: ${VERSAL_API_KEY}\nprotect:\n  enrollments: ['org_course/Ethics/ceo@acme.com']\n"
        "manage:\n  users: authoritative\n",
    )
    project.write("people.yaml", "users:\n  - email: ann@acme.com\n")

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert f'enrollments["org_course", "Ethics", "{CEO}"]' in _left_alone(result.stdout, f'users["{CEO}"]')
    members = requests.get(
        f"{versal.url}/api2/orgs/{VERSAL_ORG}/members", headers={"SID": VERSAL_KEY}, timeout=10
    ).json()
    assert CEO in {item["user"]["email"] for item in members}


@pytest.mark.parametrize(
    "ignore",
    ["ignore:\n  memberships: ['ops/*']\n", "ignore:\n  users: ['worker07@acme.com']\n"],
    ids=["its memberships", "a member"],
)
def test_attack_ignore_cannot_hide_what_a_removal_takes(
    two_groups: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, ignore: str
) -> None:
    """`ignore:` hides `ops`'s memberships (or one member, and with it their memberships), and the
    manifests drop `ops`: the objects the delete would take are neither shown nor counted nor checked
    against protection. lmsform never touches an ignored object, so the delete is left out."""
    protect = "protect:\n  memberships: ['ops/worker07@acme.com']\n"
    project.configure(two_groups.url, manage=GROUPS_AUTHORITATIVE, extra=ignore + protect)
    project.write("groups.yaml", ONLY_BOARD)
    before = len(two_groups.requests)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    warning = _left_alone(result.stdout, 'groups["ops"]')
    assert "which is ignored (ignore: in lmsform.yaml)" in warning
    assert writes(two_groups, since=before) == []
    assert _skilljar_members(two_groups)["ops"] == set(OPS)
