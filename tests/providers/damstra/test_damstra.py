"""Damstra Learning end to end over real HTTP: a site of 30 users, 4 groups with supervisors,
3 lessons and group-based enrollments; minimal calls for each change; what the API cannot do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, create_app
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir

PASSWORD = "first-login-CANARY-93b2"
LESSONS = ("Site Induction", "Working at Heights", "Fire Safety")
CREWS = ("crew-a", "crew-b", "crew-c")
USER_A = "users:\n  - username: a\n    email: a@acme.com\n    first_name: A\n    last_name: B\n"


@pytest.fixture
def damstra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    monkeypatch.setenv("LMSFORM_ANN_PASSWORD", PASSWORD)
    app = create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    with EmulatorServer(app) as server:
        seed = {"lessons": [{"name": name, "status": "active"} for name in LESSONS]}
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


def _configure(project: ProjectDir, server: EmulatorServer, *, extra: str = "", manage: str = "") -> None:
    manage = manage or (
        "  users: authoritative\n  memberships: authoritative\n  group_supervisors: authoritative\n"
    )
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}/api/v2\n"
        f"  access_key: ${{DAMSTRA_ACCESS_KEY}}\n{extra}manage:\n{manage}",
    )


def _site() -> dict[str, str]:
    users = ["users:"]
    for n in range(30):
        crew = CREWS[n % 3]
        users += [
            f"  - username: worker{n:02d}",
            f"    email: worker{n:02d}@acme.com",
            f"    first_name: Worker{n}",
            "    last_name: Acme",
            f"    groups: [{crew}]",
        ]
        if n < 3:
            users += ["    roles: [supervisor, trainee]", f"    supervises: [{crew}, site]"]
        if n == 0:
            users += ["    password: ${LMSFORM_ANN_PASSWORD}"]
    groups = ["groups:", "  - name: site", "    description: The Perth site"]
    groups += [f"  - name: {crew}\n    parent: site" for crew in CREWS]
    enrollments = [
        "enrollments:",
        "  - course: Site Induction",
        f"    groups: [{', '.join(CREWS)}]",
        "  - course: Working at Heights",
        "    groups: [crew-a]",
        "    grace_period: 2",
        "    grace_period_unit: months",
        "  - course: Fire Safety",
        "    users: [worker00, worker01]",
    ]
    return {
        "people.yaml": "\n".join(users) + "\n",
        "groups.yaml": "\n".join(groups) + "\n",
        "enrollments.yaml": "\n".join(enrollments) + "\n",
    }


def _state(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _writes(server: EmulatorServer, since: int) -> list[tuple[str, str, Any]]:
    return [
        (call.method, call.path.removeprefix("/api/v2"), json.loads(call.body) if call.body else None)
        for call in server.requests[since:]
        if call.method != "GET" and not call.path.startswith("/_emulator")
    ]


@pytest.fixture
def site(damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> EmulatorServer:
    _configure(project, damstra)
    for name, text in _site().items():
        project.write(name, text)
    applied = cli("apply", project.root, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return damstra


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _user_id(server: EmulatorServer, username: str) -> int:
    return int(next(user["id"] for user in _state(server)["users"] if user["user_name"] == username))


def _group_id(server: EmulatorServer, name: str) -> int:
    return int(next(group["id"] for group in _state(server)["groups"] if group["name"] == name))


def test_a_site_applies_then_plans_with_no_changes(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    for name, text in _site().items():
        project.write(name, text)

    planned = cli("plan", project.root)
    before = len(damstra.requests)
    applied = _apply(cli, project)
    again = cli("plan", project.root, "--detailed-exitcode")

    # 30 users, 4 groups, 30 memberships, 6 supervisions; enrollments: 30 + 10 + 2.
    assert "Plan: 112 to add, 0 to change, 0 to remove." in planned.stdout
    assert "Note: Damstra sends no welcome e-mail to the 30 new user(s)" in planned.stdout
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout
    calls = _writes(damstra, before)
    paths = [path for _, path, _ in calls]
    assert paths.count("/bulkUserImport") == 1  # one bulk import, not 30 creates
    assert all(
        all("roles" in row for row in body["users"]) for _, path, body in calls if path == "/bulkUserImport"
    )
    assert sum(1 for path in paths if path.endswith("/add_members")) == 3  # one call per group
    # One schedule call per user and set of schedule options: 30 (Site Induction, with Fire Safety in
    # the same call for two users) + 10 (Working at Heights has its own grace period).
    assert sum(1 for path in paths if path.endswith("/lesson_schedule")) == 40
    assert _state(damstra)["outbox"] == []  # no welcome e-mails
    output = planned.output + applied + again.output
    assert PASSWORD not in output and CANARY_KEY not in output


def test_each_change_makes_the_minimal_calls(
    site: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    people = project.root / "people.yaml"
    text = people.read_text()

    # A role: one update of that user (the whole user, as Damstra requires).
    project.write(
        "people.yaml",
        text.replace("    roles: [supervisor, trainee]\n", "    roles: [admin, supervisor]\n", 1),
    )
    before = len(site.requests)
    _apply(cli, project)
    worker0 = _user_id(site, "worker00")
    [(method, path, body)] = _writes(site, before)
    assert (method, path) == ("POST", f"/user/{worker0}")
    assert body["roles"] == [3, 5] and body["id"] == worker0 and body["timeZone"] == "Australia/Perth"

    # Moving a user between groups: one remove from the old group, one add to the new.
    move_from = "    last_name: Acme\n    groups: [crew-b]\n  - username: worker05"
    assert move_from in people.read_text()
    project.write("people.yaml", people.read_text().replace(move_from, move_from.replace("crew-b", "crew-c")))
    before = len(site.requests)
    _apply(cli, project)
    worker4 = _user_id(site, "worker04")
    # Groups are created in parallel, so which of the two has the lower id varies: compare as sets.
    assert sorted(_writes(site, before)) == sorted(
        [
            ("POST", f"/group/{_group_id(site, 'crew-b')}/remove_members", {"userIds": [worker4]}),
            ("POST", f"/group/{_group_id(site, 'crew-c')}/add_members", {"userIds": [worker4]}),
        ]
    )

    # A supervisor: one call.
    text = people.read_text()
    more = text.replace("    supervises: [crew-c, site]\n", "    supervises: [crew-c, site, crew-a]\n", 1)
    project.write("people.yaml", more)
    before = len(site.requests)
    _apply(cli, project)
    assert _writes(site, before) == [
        (
            "POST",
            f"/group/{_group_id(site, 'crew-a')}/add_supervisors",
            {"userIds": [_user_id(site, "worker02")]},
        )
    ]
    assert "No changes." in cli("plan", project.root).stdout


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"hooks.yaml": "webhooks:\n  - url: https://hooks.acme.example/lms\n"},
            "project/hooks.yaml:1:1: Damstra cannot manage webhooks: configures webhooks only in its web app "
            "(Manage > Integrations > WebHooks); its API cannot read, create or delete them",
        ),
        (
            {"people.yaml": USER_A + "    roles: [trainee, foreman]\n"},
            "project/people.yaml:6:22: Damstra has no role 'foreman' "
            "(admin, editor, instructor, supervisor, trainee)",
        ),
        (
            {"people.yaml": USER_A + "    roles: [owner]\n"},
            "project/people.yaml:6:12: roles: the owner role can never be granted or removed by lmsform",
        ),
        (
            {"people.yaml": "users:\n  - email: a@acme.com\n    first_name: A\n    last_name: B\n"},
            "project/people.yaml:2:5: Damstra identifies users by username: declare it",
        ),
        (
            {"people.yaml": "users:\n  - username: ab\n    first_name: A\n    last_name: B\n"},
            "project/people.yaml:2:5: Damstra needs the email of every user: declare it",
        ),
    ],
)  # fmt: skip
def test_validate_refuses_what_damstra_cannot_do(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, files: dict[str, str], expected: str
) -> None:
    _configure(project, damstra)
    for name, text in files.items():
        project.write(name, text)

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"Error: {expected}"


def test_an_enrollment_in_an_unknown_lesson_fails_before_any_write(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write(
        "people.yaml", "users:\n  - username: a\n    email: a@acme.com\n    first_name: A\n    last_name: B\n"
    )
    project.write("enrollments.yaml", "enrollments:\n  - course: Confined Spaces\n    users: [a]\n")

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: project/enrollments.yaml:2:13: lesson 'Confined Spaces' is neither declared in the manifests "
        "nor present in Damstra (a lesson must exist and be active; lessons are made in the vendor's web app)"
    )
    assert _writes(damstra, 0) == []


def test_the_account_owner_is_never_inactivated_or_demoted(
    site: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "owner.yaml",
        "users:\n  - username: owner\n    email: owner@example.com\n    first_name: Account\n"
        "    last_name: Owner\n    active: false\n",
    )
    before = len(site.requests)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert 'users["owner"] is left as it is' in result.stdout
    assert "it is the Damstra account owner, kept by the lock-out guard" in result.stdout
    assert _writes(site, before) == []


def test_inactive_users_are_read_and_reactivated_not_recreated(
    site: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    people = (project.root / "people.yaml").read_text()
    leaver = (
        "  - username: worker29\n    email: worker29@acme.com\n    first_name: Worker29\n"
        "    last_name: Acme\n    groups: [crew-c]\n"
    )
    assert leaver in people
    project.write("people.yaml", people.replace(leaver, ""))
    before = len(site.requests)
    removed = _apply(cli, project)
    worker29 = _user_id(site, "worker29")
    assert '- users["worker29"]  (deactivate)' in removed
    assert ("POST", f"/user/{worker29}/inactivate", {}) in _writes(site, before)

    project.write("people.yaml", people)
    before = len(site.requests)
    back = _apply(cli, project)

    assert "reactivates the user" in back
    assert ("POST", f"/user/{worker29}/activate", {}) in _writes(site, before)
    assert not any(path in ("/user", "/bulkUserImport") for _, path, _ in _writes(site, before))


def test_removing_a_group_is_an_irreversible_inactivation(
    site: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", (project.root / "lmsform.yaml").read_text() + "  groups: authoritative\n")
    project.write("extra-group.yaml", "groups:\n  - name: night-shift\n    parent: site\n")
    _apply(cli, project)
    night_shift = _group_id(site, "night-shift")
    (project.root / "extra-group.yaml").unlink()

    plan = cli("plan", project.root)
    before = len(site.requests)
    _apply(cli, project)

    assert '- groups["night-shift"]  (delete)' in plan.stdout
    assert "inactivates the group: irreversible, Damstra cannot re-activate a group" in plan.stdout
    assert _writes(site, before) == [("POST", f"/group/{night_shift}/inactivate", {})]


def test_enrollments_the_api_cannot_remove_or_change_are_reported_not_dropped(
    site: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "lmsform.yaml", (project.root / "lmsform.yaml").read_text() + "  enrollments: authoritative\n"
    )
    enrollments = (project.root / "enrollments.yaml").read_text()
    project.write(
        "enrollments.yaml", enrollments.replace("    users: [worker00, worker01]", "    users: [worker00]")
    )
    before = len(site.requests)

    plan = cli("plan", project.root, "--detailed-exitcode")

    assert plan.exit_code == 0  # nothing the API can do
    assert (
        "Warning: 1 enrollments cannot be removed through Damstra's API (Damstra's API can only add lesson "
        'schedules; cancel them in the web app): enrollments["lesson", "Fire Safety", "worker01"]'
    ) in plan.stdout
    assert _writes(site, before) == []


def test_users_can_be_adopted_by_email_and_ambiguity_is_an_error(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    seed = {
        "users": [
            {"userName": "legacy.jdoe", "firstName": "J", "lastName": "Doe", "emailAddress": "jdoe@acme.com"},
            {"userName": "twin1", "firstName": "T", "lastName": "One", "emailAddress": "twins@acme.com"},
            {"userName": "twin2", "firstName": "T", "lastName": "Two", "emailAddress": "twins@acme.com"},
        ]
    }
    requests.post(f"{damstra.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
    _configure(project, damstra, manage="  users: additive\n")
    project.write(
        "people.yaml",
        "users:\n  - username: jane.doe\n    email: jdoe@acme.com\n    first_name: Jane\n    last_name: Doe\n"
        "    adopt_by: email\n",
    )
    jdoe = _user_id(damstra, "legacy.jdoe")
    before = len(damstra.requests)

    _apply(cli, project)

    [(method, path, body)] = _writes(damstra, before)
    assert (method, path) == ("POST", f"/user/{jdoe}")
    assert body["userName"] == "jane.doe" and body["firstName"] == "Jane"
    assert "No changes." in cli("plan", project.root).stdout

    project.write(
        "twins.yaml",
        "users:\n  - username: twin\n    email: twins@acme.com\n    first_name: T\n    last_name: W\n"
        "    adopt_by: email\n",
    )
    ambiguous = cli("plan", project.root)
    assert ambiguous.exit_code == 1
    assert "cannot adopt by email 'twins@acme.com': 2 users match" in ambiguous.stderr


def test_welcome_emails_follow_the_provider_setting(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra, extra="  send_welcome_email: true\n")
    project.write(
        "people.yaml", "users:\n  - username: a\n    email: a@acme.com\n    first_name: A\n    last_name: B\n"
    )

    output = _apply(cli, project)

    assert (
        "Note: Damstra e-mails a welcome to each of the 1 new user(s) (provider.send_welcome_email: true)"
        in output
    )
    assert [mail["to"] for mail in _state(damstra)["outbox"]] == ["a@acme.com"]


def test_a_lost_schedule_answer_is_retried_without_a_duplicate(
    site: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    enrollments = (project.root / "enrollments.yaml").read_text()
    project.write(
        "enrollments.yaml",
        enrollments.replace("    users: [worker00, worker01]", "    users: [worker00, worker01, worker05]"),
    )
    site.recorder.drop_answers("POST", r"/api/v2/user/\d+/lesson_schedule")
    before = len(site.requests)

    _apply(cli, project)

    posts = [
        call
        for call in site.requests[before:]
        if call.path.endswith("/lesson_schedule") and call.method == "POST"
    ]
    assert [(call.dropped, call.status) for call in posts] == [(True, 200), (False, 409)]
    worker5 = _user_id(site, "worker05")
    fire = [item for item in _state(site)["lessonSchedules"] if item["user_id"] == worker5]
    assert len(fire) == 2  # Site Induction, and Fire Safety once
    assert "No changes." in cli("plan", project.root).stdout
