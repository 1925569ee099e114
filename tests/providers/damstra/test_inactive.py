"""Damstra schedules lessons only for active users (damstra.md S6: 400 otherwise): lesson schedules for an
inactive user are refused before any call, or, when a group brings them in, left out with a warning;
a user the manifests re-activate is activated before their schedules are made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, create_app
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir, api_calls

API = "/api/v2"
WHY = "Damstra schedules lessons only for active users (it refuses others with HTTP 400)"


@pytest.fixture
def damstra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """Two lessons; `al` active, `jo` inactive, both in the live group `crew`."""
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    app = create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    with EmulatorServer(app) as server:
        seed = {
            "lessons": [
                {"name": "Fire Safety", "status": "active"},
                {"name": "First Aid", "status": "active"},
            ],
            "users": [_seeded("al", active=True), _seeded("jo", active=False)],
            "groups": [{"name": "crew", "members": ["al", "jo"]}],
        }
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


def _seeded(name: str, *, active: bool) -> dict[str, Any]:
    return {
        "userName": name,
        "emailAddress": f"{name}@acme.com",
        "firstName": name.title(),
        "lastName": "Acme",
        "active": active,
    }


def _configure(project: ProjectDir, server: EmulatorServer) -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}{API}\n"
        "  access_key: ${DAMSTRA_ACCESS_KEY}\n",
    )


def _user(name: str, *lines: str) -> str:
    extra = "".join(f"    {line}\n" for line in lines)
    return (
        f"  - username: {name}\n    email: {name}@acme.com\n"
        f"    first_name: {name.title()}\n    last_name: Acme\n{extra}"
    )


def _writes(server: EmulatorServer, since: int = 0) -> list[tuple[str, str, Any]]:
    return [
        (call.method, call.path.removeprefix(API), json.loads(call.body) if call.body else None)
        for call in api_calls(server, since=since)
        if call.method != "GET"
    ]


def _user_id(server: EmulatorServer, name: str) -> int:
    state = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return int(next(user["id"] for user in state["users"] if user["user_name"] == name))


def _refused(result: Any, expected: str, server: EmulatorServer, since: int) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == f"Error: {expected}"
    assert _writes(server, since) == []


# --- declared inactive: refused offline --------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "people.yaml": "users:\n" + _user("sam", "active: false"),
                "training.yaml": "enrollments:\n  - course: Fire Safety\n    users: [al, sam]\n",
            },
            'project/training.yaml:3:17: enrollments["lesson", "Fire Safety", "sam"] cannot be created: '
            "user 'sam' is declared inactive (active: false at project/people.yaml:2:5), and "
            f"{WHY}; set active: true on the user, or take the user out of this entry",
            id="directly",
        ),
        pytest.param(
            {
                "people.yaml": "users:\n" + _user("sam", "active: false", "groups: [night]"),
                "groups.yaml": "groups:\n  - name: night\n",
                "training.yaml": "enrollments:\n  - course: Fire Safety\n    groups: [night]\n",
            },
            'project/training.yaml:3:14: enrollments["lesson", "Fire Safety", "sam"] cannot be created '
            "through group 'night': user 'sam', its member at project/people.yaml:7:14, is declared "
            f"inactive (active: false at project/people.yaml:2:5), and {WHY}; set active: true on the "
            "user, or take the user out of group 'night'",
            id="through a group the user joins",
        ),
        pytest.param(
            {
                "people.yaml": "users:\n" + _user("sam", "active: false"),
                "groups.yaml": "groups:\n  - name: night\n    members: [al, sam]\n",
                "training.yaml": "enrollments:\n  - course: First Aid\n    groups: [night]\n",
            },
            'project/training.yaml:3:14: enrollments["lesson", "First Aid", "sam"] cannot be created '
            "through group 'night': user 'sam', its member at project/groups.yaml:3:19, is declared "
            f"inactive (active: false at project/people.yaml:2:5), and {WHY}; set active: true on the "
            "user, or take the user out of group 'night'",
            id="through a group listing the user",
        ),
    ],
)  # fmt: skip
def test_enrolling_a_user_declared_inactive_is_refused_offline(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, files: dict[str, str], expected: str
) -> None:
    _configure(project, damstra)
    for name, text in files.items():
        project.write(name, text)
    before = len(damstra.requests)

    validated = cli("validate", project.root)
    applied = cli("apply", project.root, "--auto-approve")

    _refused(validated, expected, damstra, before)
    _refused(applied, expected, damstra, before)
    assert api_calls(damstra, since=before) == []  # not even a read: the manifests alone are refused


# --- inactive in Damstra: refused at plan time, or left out of a group's schedules -----------------------


def test_enrolling_a_user_inactive_in_damstra_is_refused_before_any_write(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("training.yaml", "enrollments:\n  - course: Fire Safety\n    users: [al, jo]\n")
    before = len(damstra.requests)

    planned = cli("plan", project.root)
    applied = cli("apply", project.root, "--auto-approve")

    expected = (
        'project/training.yaml:3:17: enrollments["lesson", "Fire Safety", "jo"] cannot be created: '
        f"user 'jo' is inactive in Damstra, and {WHY}; declare the user with active: true (apply makes "
        "that change first), or take the user out of this entry"
    )
    _refused(planned, expected, damstra, before)
    _refused(applied, expected, damstra, before)


def test_a_saved_plan_is_stale_once_its_user_goes_inactive_in_damstra(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("training.yaml", "enrollments:\n  - course: Fire Safety\n    users: [al]\n")
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    al = _user_id(damstra, "al")
    inactivated = requests.post(
        f"{damstra.url}{API}/user/{al}/inactivate", headers={"AccessKey": CANARY_KEY}, timeout=10
    )
    inactivated.raise_for_status()
    before = len(damstra.requests)

    applied = cli("apply", plan_file)

    assert applied.exit_code == 1, applied.output
    assert 'users["al"] was changed in Damstra since the plan was made' in applied.stderr
    assert _writes(damstra, before) == []


def test_a_group_enrollment_leaves_out_inactive_members_and_says_so(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    # `kim` is about to leave: declared inactive, and a member of crew only in Damstra.
    requests.post(
        f"{damstra.url}/_emulator/seed",
        json={"users": [_seeded("kim", active=True)], "groups": [{"name": "crew", "members": ["kim"]}]},
        timeout=10,
    ).raise_for_status()
    project.write("people.yaml", "users:\n" + _user("kim", "active: false"))
    project.write("training.yaml", "enrollments:\n  - course: Fire Safety\n    groups: [crew]\n")
    before = len(damstra.requests)

    applied = cli("apply", project.root, "--auto-approve")
    again = cli("plan", project.root, "--detailed-exitcode")

    assert applied.exit_code == 0, applied.output
    assert (
        "Warning: 1 create(s) left out of the plan, because the user is inactive in Damstra and "
        f'{WHY}: enrollments["lesson", "Fire Safety", "jo"] via group crew'
    ) in applied.stdout
    assert (
        "Warning: 1 create(s) left out of the plan, because the user is declared inactive and "
        f'{WHY}: enrollments["lesson", "Fire Safety", "kim"] via group crew'
    ) in applied.stdout
    al, kim = _user_id(damstra, "al"), _user_id(damstra, "kim")
    writes = _writes(damstra, before)
    assert [(method, path) for method, path, _ in writes] == [
        ("POST", f"/user/{kim}/inactivate"),
        ("POST", f"/user/{al}/lesson_schedule"),
    ]
    assert again.exit_code == 0, again.output  # nothing else to do, and the warnings stay
    assert "left out of the plan" in again.stdout


def test_a_user_inactive_in_damstra_who_holds_the_lesson_already_is_no_change(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    requests.post(
        f"{damstra.url}/_emulator/seed",
        json={"schedules": [{"userName": "jo", "lesson": "Fire Safety"}]},
        timeout=10,
    ).raise_for_status()
    _configure(project, damstra)
    project.write("training.yaml", "enrollments:\n  - course: Fire Safety\n    users: [jo]\n")

    planned = cli("plan", project.root, "--detailed-exitcode")

    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout


# --- re-activated by the manifests: activated first, then scheduled --------------------------------------


def test_a_user_the_manifests_reactivate_is_activated_before_being_scheduled(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", "users:\n" + _user("jo", "active: true"))
    project.write(
        "training.yaml",
        "enrollments:\n  - course: Fire Safety\n    users: [jo]\n  - course: First Aid\n    groups: [crew]\n",
    )
    before = len(damstra.requests)

    planned = cli("plan", project.root)
    applied = cli("apply", project.root, "--auto-approve")
    again = cli("plan", project.root, "--detailed-exitcode")

    assert planned.exit_code == 0, planned.output
    assert "reactivates the user" in planned.stdout
    assert "left out" not in planned.stdout
    assert applied.exit_code == 0, applied.output
    al, jo = _user_id(damstra, "al"), _user_id(damstra, "jo")
    writes = [(method, path) for method, path, _ in _writes(damstra, before)]
    assert writes[0] == ("POST", f"/user/{jo}/activate")
    assert sorted(writes[1:]) == sorted(
        [("POST", f"/user/{al}/lesson_schedule"), ("POST", f"/user/{jo}/lesson_schedule")]
    )
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout
