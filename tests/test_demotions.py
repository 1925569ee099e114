"""Attacks on the lock-out guard, `protect:` and the removal threshold by a pull request that edits only
the manifests: every way to lower a guarded object's privilege or move its identity (roles taken away,
an e-mail address or user name changed, adoption under another key, a rename that sheds protection, a
deactivation) must leave the object as it is, whatever path the plan takes. Real emulators over
loopback, through the CLI; the emulators' own state is checked, not what lmsform reads back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator import create_app as damstra_app
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.versal.emulator import VersalEmulatorOptions
from lmsform.providers.versal.emulator import create_app as versal_app
from tests.conftest import DOMAIN, CliRunnerCall, ProjectDir, writes
from tests.skilljar_api import SkilljarApi

OWNER_GUARD = "it is the Damstra account owner, kept by the lock-out guard"
PROTECTED = "listed under protect: in lmsform.yaml"
DAMSTRA_KEY = "damstra-CANARY-2b7e11"
VERSAL_KEY = "ca4a1a7e-5eed-4c0d-9e11-0000c0ffee42"
VERSAL_ORG = 4242


# --- Damstra: the account owner and a protected admin ------------------------------------------------


@pytest.fixture
def damstra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """A Damstra emulator whose account owner is `owner` (owner@example.com, ADMIN and OWNER)."""
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", DAMSTRA_KEY)
    app = damstra_app(tmp_path / "damstra.sqlite3", access_key=DAMSTRA_KEY, options=DamstraEmulatorOptions())
    with EmulatorServer(app) as server:
        yield server


def _damstra_project(project: ProjectDir, server: EmulatorServer, *, extra: str = "") -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}/api/v2\n"
        f"  access_key: ${{DAMSTRA_ACCESS_KEY}}\n{extra}",
    )


def _damstra_user(username: str, email: str, roles: str, *, extra: str = "") -> str:
    # The owner's names as the emulator makes them: only what the test changes differs.
    first, last = ("Account", "Owner") if username == "owner" else (username.title(), "Acme")
    return (
        f"  - username: {username}\n    email: {email}\n    first_name: {first}\n"
        f"    last_name: {last}\n    roles: {roles}\n{extra}"
    )


def _damstra_users(server: EmulatorServer) -> dict[str, dict[str, Any]]:
    """The emulator's own users by user name, straight from its store."""
    state = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return {user["user_name"]: user for user in state["users"]}


def _owner_untouched(server: EmulatorServer) -> None:
    owner = _damstra_users(server)["owner"]
    assert (owner["roles"], owner["email_address"], owner["client_status_id"]) == (
        [3, 7],
        "owner@example.com",
        56,
    )


def test_attack_owner_demoted_to_trainee_is_left_out(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The pull request declares the account owner with `roles: [trainee]`: ADMIN would go."""
    _damstra_project(project, damstra)
    project.write("owner.yaml", "users:\n" + _damstra_user("owner", "owner@example.com", "[trainee]"))

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert (
        'users["owner"] is left as it is: it would take its roles admin away, and it is protected '
        f"({OWNER_GUARD})"
    ) in result.stdout
    assert writes(damstra) == []
    _owner_untouched(damstra)


def test_attack_owner_email_changed_is_left_out(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The pull request gives the owner an address it controls: a password reset would take the account."""
    _damstra_project(project, damstra)
    project.write("owner.yaml", "users:\n" + _damstra_user("owner", "attacker@evil.example", "[admin]"))

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert (
        f'users["owner"] is left as it is: it would change its email, and it is protected ({OWNER_GUARD})'
        in (result.stdout)
    )
    assert writes(damstra) == []
    _owner_untouched(damstra)


@pytest.mark.parametrize("active", ["true", "false"])
def test_attack_adopt_by_email_matching_the_owner_under_another_username_is_refused(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, active: str
) -> None:
    """`adopt_by: email` finds the owner under another user name: the plan would rename the owner (and,
    with `active: false`, inactivate it). The guard must see the live owner, not the declared key."""
    _damstra_project(project, damstra)
    declared = _damstra_user(
        "evil", "owner@example.com", "[admin]", extra=f"    adopt_by: email\n    active: {active}\n"
    )
    project.write("owner.yaml", "users:\n" + declared)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 1
    assert result.stderr.startswith(
        'Error: project/owner.yaml:2:5: users["evil"] would take users["owner"] over by adopt_by: email '
        f"'owner@example.com': it is protected ({OWNER_GUARD}), and lmsform never gives it another key"
    ), result.stderr
    assert writes(damstra) == []
    _owner_untouched(damstra)
    assert "evil" not in _damstra_users(damstra)


def test_attack_protected_admin_demoted_while_promotions_and_unprotected_demotions_go_through(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """`protect: users: [boss]`; the pull request takes ADMIN from boss. The same plan's promotion of
    one user and demotion of an unprotected one are planned and applied as usual."""
    _damstra_project(project, damstra, extra="protect:\n  users: [boss]\n")
    people = [
        _damstra_user("boss", "boss@acme.com", "[admin, trainee]"),
        _damstra_user("worker", "worker@acme.com", "[trainee]"),
        _damstra_user("clerk", "clerk@acme.com", "[admin]"),
    ]
    project.write("people.yaml", "users:\n" + "".join(people))
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    project.write(
        "people.yaml",
        "users:\n"
        + _damstra_user("boss", "boss@acme.com", "[trainee]")
        + _damstra_user("worker", "worker@acme.com", "[supervisor, trainee]")
        + _damstra_user("clerk", "clerk@acme.com", "[trainee]"),
    )

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert (
        'users["boss"] is left as it is: it would take its roles admin away, and it is protected '
        f"({PROTECTED})"
    ) in result.stdout
    assert "Apply complete: 0 added, 2 changed, 0 removed." in result.stdout
    users = _damstra_users(damstra)
    assert (users["boss"]["roles"], users["worker"]["roles"], users["clerk"]["roles"]) == (
        [3, 6],
        [5, 6],
        [6],
    )


# --- Versal: a protected admin's org role, a protected editor's course role ------------------------------


@pytest.fixture
def versal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("VERSAL_API_KEY", VERSAL_KEY)
    options = VersalEmulatorOptions(org_id=VERSAL_ORG)
    app = versal_app(tmp_path / "versal.sqlite3", api_key=VERSAL_KEY, options=options)
    with EmulatorServer(app) as server:
        seed = {"courses": [{"title": "Leading Teams"}]}
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


def _versal_project(project: ProjectDir, server: EmulatorServer, *, extra: str = "") -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: versal\n  organisation: {VERSAL_ORG}\n  base_url: {server.url}/api2\n"
        f"  api_key: ${{VERSAL_API_KEY}}\n{extra}",
    )


def _versal_org(boss_role: str, boss_course_role: str) -> str:
    return (
        f"users:\n  - email: boss@acme.com\n    roles: [{boss_role}]\n"
        f"  - email: pat@acme.com\n    roles: [{'instructor' if boss_role != 'admin' else 'learner'}]\n"
        f"enrollments:\n  - course: Leading Teams\n    users: [boss@acme.com]\n    role: {boss_course_role}\n"
    )


def _versal_members(server: EmulatorServer) -> dict[str, list[str]]:
    answer = requests.get(
        f"{server.url}/api2/orgs/{VERSAL_ORG}/members",
        params={"perPage": 100},
        headers={"SID": VERSAL_KEY},
        timeout=10,
    )
    answer.raise_for_status()
    return {item["user"]["email"]: item["roles"] for item in answer.json()}


def _versal_editors(server: EmulatorServer) -> list[str]:
    answer = requests.get(f"{server.url}/api2/courses", headers={"SID": VERSAL_KEY}, timeout=10)
    answer.raise_for_status()
    course = next(item for item in answer.json() if item["title"] == "Leading Teams")
    return sorted(user["email"] for user in course.get("users") or [])


def test_attack_protected_admin_loses_org_and_course_roles_is_left_out_on_versal(
    versal: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """`protect:` lists boss and its enrollment; the pull request lowers boss from admin to learner and
    from publisher to learner of a course. pat's promotion from learner to instructor goes through."""
    protect = "protect:\n  users: [boss@acme.com]\n  enrollments: ['*/boss@acme.com']\n"
    _versal_project(project, versal, extra=protect)
    project.write("org.yaml", _versal_org("admin", "publisher"))
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    project.write("org.yaml", _versal_org("learner", "learner"))

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert (
        "users[\"boss@acme.com\"] is left as it is: it would lower its roles from 'admin' to 'learner', "
        f"and it is protected ({PROTECTED})"
    ) in result.stdout
    assert "would lower its role from 'author, contributor or publisher' to 'learner'" in result.stdout
    assert _versal_members(versal) == {"boss@acme.com": ["admin"], "pat@acme.com": ["instructor"]}
    assert _versal_editors(versal) == ["boss@acme.com"]


# --- Skilljar: renames that shed protection --------------------------------------------------------------


def _skilljar_project(project: ProjectDir, url: str, protect: str) -> None:
    project.configure(url, manage="groups: authoritative", extra=f"protect:\n{protect}")


def _admins(name: str, previously: str = "") -> str:
    renamed = f"    previously: [{previously}]\n" if previously else ""
    return (
        f"users:\n  - email: ceo@acme.com\ngroups:\n  - name: {name}\n{renamed}    members: [ceo@acme.com]\n"
    )


def test_attack_rename_of_a_protected_group_then_drop_is_refused(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """First pull request: rename the protected group (`previously: [admins]`); second: drop it. The
    rename is refused, with how to do it; the drop of the group it left in place is left out."""
    _skilljar_project(project, skilljar.url, "  groups: [admins]\n")
    project.write("people.yaml", _admins("admins"))
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    api = SkilljarApi(skilljar.url)
    before = len(skilljar.requests)

    project.write("people.yaml", _admins("staff", previously="admins"))
    renamed = cli("apply", project.root, "--auto-approve")
    project.write("people.yaml", "users:\n  - email: ceo@acme.com\n")
    dropped = cli("apply", project.root, "--auto-approve")

    assert renamed.exit_code == 1
    assert (
        'Error: project/people.yaml:4:5: groups["staff"] would take groups["admins"] over as a rename '
        f"(previously: 'admins'): it is protected ({PROTECTED}), and groups[\"staff\"] is not: to rename "
        "it, list 'staff' under protect: groups in lmsform.yaml as well, and protection follows it"
    ) in renamed.stderr
    assert dropped.exit_code == 0, dropped.output
    assert f'groups["admins"] is left as it is: it would delete it, and it is protected ({PROTECTED})' in (
        dropped.stdout
    )
    assert writes(skilljar, since=before) == []
    assert api.groups() == {"admins": {"ceo@acme.com"}}


def test_protection_follows_a_rename_to_a_protected_name(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The sanctioned way: the new name is protected too. The rename goes through, and a later drop of
    the renamed group is left out: protection followed the object."""
    _skilljar_project(project, skilljar.url, "  groups: [admins, staff]\n")
    project.write("people.yaml", _admins("admins"))
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    project.write("people.yaml", _admins("staff", previously="admins"))

    renamed = cli("apply", project.root, "--auto-approve")
    project.write("people.yaml", "users:\n  - email: ceo@acme.com\n")
    dropped = cli("apply", project.root, "--auto-approve")

    assert renamed.exit_code == 0, renamed.output
    assert "Apply complete: 0 added, 1 changed, 0 removed." in renamed.stdout
    assert dropped.exit_code == 0, dropped.output
    assert 'groups["staff"] is left as it is' in dropped.stdout
    assert SkilljarApi(skilljar.url).groups() == {"staff": {"ceo@acme.com"}}


def test_attack_group_rename_sheds_the_protection_of_its_memberships(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """`protect: memberships: ['admins/*']`: renaming the group would move the memberships to keys the
    pattern does not cover, and a later pull request could drop them."""
    protect = "  groups: [admins, staff]\n  memberships: ['admins/*']\n"
    _skilljar_project(project, skilljar.url, protect)
    project.write("people.yaml", _admins("admins"))
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    before = len(skilljar.requests)
    project.write("people.yaml", _admins("staff", previously="admins"))

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 1
    assert (
        'groups["staff"] would move memberships["admins", "ceo@acme.com"] to '
        'memberships["staff", "ceo@acme.com"] with it'
    ) in result.stderr
    assert "list 'staff/ceo@acme.com' under protect: memberships in lmsform.yaml as well" in result.stderr
    assert writes(skilljar, since=before) == []


# --- Skilljar: deactivations are removals -----------------------------------------------------------------


def test_attack_deactivating_80_of_300_users_counts_as_removals(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """`active: false` on 80 of 300 users (27 %) under a 10 % removal limit: accepted as 80 updates
    (under the 30 % update limit) unless deactivations count as removals. --force lets it through."""
    people = [
        {"email": f"u{n:03d}@acme.com", "domains": [{"name": DOMAIN, "active": True}]} for n in range(300)
    ]
    requests.post(f"{skilljar.url}/_emulator/seed", json={"users": people}, timeout=30).raise_for_status()
    project.configure(skilljar.url, extra="safety:\n  kinds:\n    users: {max_remove_percent: 10}\n")
    leavers = "".join(f"  - email: u{n:03d}@acme.com\n    active: false\n" for n in range(80))
    project.write("people.yaml", "users:\n" + leavers)
    before = len(skilljar.requests)

    refused = cli("apply", project.root, "--auto-approve")

    assert refused.exit_code == 1
    assert "Too many removals of users: 27 % (80/300) is over 10 % (80 of them by active: false)" in (
        refused.stderr
    )
    assert writes(skilljar, since=before) == []
    forced = cli("apply", project.root, "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    active = SkilljarApi(skilljar.url).users()
    assert sum(1 for user in active.values() if not user["active"]) == 80


def test_attack_a_protected_supervisors_unreadable_access_cannot_be_lowered(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Skilljar cannot report a supervisor's access back, so lmsform sends it on every apply. Ann,
    protected, supervises `ops` with full access; a pull request declares NONE: lmsform cannot tell
    whether that lowers her access, so the send is left out, and her access stays as it was."""
    people = [{"email": "ann@acme.com", "domains": [{"name": DOMAIN, "active": True}]}]
    seed = {"users": people, "groups": [{"name": "ops", "members": []}]}
    requests.post(f"{skilljar.url}/_emulator/seed", json=seed, timeout=30).raise_for_status()
    full = "    course_access: ALL\n    path_access: ALL\n    can_create_users: true\n"
    project.configure(skilljar.url)
    project.write("supervisors.yaml", "supervisors:\n  - user: ann@acme.com\n    group: ops\n" + full)
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    granted = _manager_access(skilljar)
    project.configure(skilljar.url, extra="protect:\n  supervisors: ['ann@acme.com*']\n")
    none = "    course_access: NONE\n    path_access: NONE\n    can_create_users: false\n"
    project.write("supervisors.yaml", "supervisors:\n  - user: ann@acme.com\n    group: ops\n" + none)
    before = len(skilljar.requests)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "values it cannot read back (so it cannot tell whether they lower it)" in result.output
    assert writes(skilljar, since=before) == []
    assert _manager_access(skilljar) == granted


def _manager_access(server: EmulatorServer) -> Any:
    state = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state.get("manager_access")
