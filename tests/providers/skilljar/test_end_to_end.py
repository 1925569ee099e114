"""The whole slice over real HTTP: CLI → engine → Skilljar client → Skilljar emulator."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from lmsform.providers.emulation.server import EmulatorServer, RecordedRequest
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls, writes
from tests.oracle import exchange_errors, skilljar_spec
from tests.skilljar_api import SkilljarApi

PEOPLE = """
users:
  - email: Jane.Doe@acme.com
    first_name: Jane
    last_name: Doe
    groups: [engineering]
  - email: bob@acme.com
    first_name: Bob
    last_name: Smith
groups:
  - name: engineering
    members: [bob@acme.com]
  - name: safety
    discount_percent: 20
    members: [jane.doe@acme.com]
"""


def _assert_spec_valid(requests: Iterable[RecordedRequest]) -> None:
    assert exchange_errors(skilljar_spec(), requests) == []


def _applied(cli: CliRunnerCall, project: ProjectDir) -> None:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output


def test_apply_creates_everything_then_plan_shows_no_changes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "Plan: 7 to add, 0 to change, 0 to remove." in result.stdout
    assert "Apply complete: 7 added, 0 changed, 0 removed." in result.stdout
    api = SkilljarApi(skilljar.url)
    assert api.users() == {
        "jane.doe@acme.com": {"first_name": "Jane", "last_name": "Doe", "active": True},
        "bob@acme.com": {"first_name": "Bob", "last_name": "Smith", "active": True},
    }
    assert api.groups() == {
        "engineering": {"jane.doe@acme.com", "bob@acme.com"},
        "safety": {"jane.doe@acme.com"},
    }

    again = cli("plan", project.root, "--detailed-exitcode")

    assert again.exit_code == 0, again.output
    assert again.stdout == f"No changes. Skilljar {DOMAIN} matches the manifests.\n"
    _assert_spec_valid(api_calls(skilljar))


def test_a_changed_name_is_one_update_call(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    _applied(cli, project)
    project.write("people.yaml", PEOPLE.replace("first_name: Jane", "first_name: Janet"))

    plan = cli("plan", project.root, "--detailed-exitcode")
    assert plan.exit_code == 2
    assert '~ users["jane.doe@acme.com"]' in plan.stdout
    assert 'first_name  "Jane" -> "Janet"' in plan.stdout
    assert "Plan: 0 to add, 1 to change, 0 to remove." in plan.stdout

    before = len(skilljar.requests)
    _applied(cli, project)

    changes = [call for call in api_calls(skilljar, since=before) if call.method != "GET"]
    assert [(call.method, call.path.rsplit("/", 1)[0]) for call in changes] == [("PATCH", "/v1/users")]
    assert json.loads(changes[0].body) == {"first_name": "Janet"}
    assert SkilljarApi(skilljar.url).users()["jane.doe@acme.com"]["first_name"] == "Janet"
    _assert_spec_valid(api_calls(skilljar))


def test_authoritative_users_deactivates_an_undeclared_user_once(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url, manage="users: authoritative")
    project.write("people.yaml", PEOPLE)
    _applied(cli, project)
    project.write(
        "people.yaml",
        PEOPLE.replace("members: [bob@acme.com]", "members: []").replace(
            "  - email: bob@acme.com\n    first_name: Bob\n    last_name: Smith\n", ""
        ),
    )

    plan = cli("plan", project.root)
    assert '- users["bob@acme.com"]  (deactivate)' in plan.stdout
    assert "Skilljar cannot delete domain users" in plan.stdout
    assert "Plan: 0 to add, 0 to change, 1 to remove." in plan.stdout

    before = len(skilljar.requests)
    _applied(cli, project)

    changes = [call for call in api_calls(skilljar, since=before) if call.method != "GET"]
    assert len(changes) == 1
    assert changes[0].method == "PATCH" and changes[0].path.startswith(f"/v1/domains/{DOMAIN}/users/")
    assert json.loads(changes[0].body) == {"active": False}
    assert SkilljarApi(skilljar.url).users()["bob@acme.com"]["active"] is False
    # Already inactive: nothing more to do, and additive memberships keep bob in engineering.
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_authoritative_memberships_remove_an_undeclared_member_with_delete(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url, manage="memberships: authoritative")
    project.write("people.yaml", PEOPLE)
    _applied(cli, project)
    api = SkilljarApi(skilljar.url)
    project.write("people.yaml", PEOPLE.replace("members: [bob@acme.com]", "members: []"))

    plan = cli("plan", project.root)
    assert '- memberships["engineering", "bob@acme.com"]  (delete)' in plan.stdout
    assert "Plan: 0 to add, 0 to change, 1 to remove." in plan.stdout

    before = len(skilljar.requests)
    _applied(cli, project)

    changes = writes(skilljar, since=before)
    assert len(changes) == 1
    method, path = changes[0]
    assert method == "DELETE" and path.startswith("/v1/groups/") and "/users/" in path
    assert api.groups()["engineering"] == {"jane.doe@acme.com"}
    assert api.users()["bob@acme.com"]["active"] is True
    _assert_spec_valid(api_calls(skilljar))


def test_additive_mode_never_removes_anything(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    api = SkilljarApi(skilljar.url)
    stranger = api.add_user("stranger@acme.com", "Sam", "Stranger")
    ops = api.add_group("ops")
    api.add_member(ops, stranger)
    engineering = api.add_group("engineering")
    api.add_member(engineering, stranger)
    project.configure(skilljar.url)  # every kind additive (the default)
    project.write("people.yaml", PEOPLE)

    plan = cli("plan", project.root)
    assert "to remove" in plan.stdout and "0 to remove." in plan.stdout
    assert "stranger" not in plan.stdout and '"ops"' not in plan.stdout

    before = len(skilljar.requests)
    _applied(cli, project)

    assert all(method == "POST" for method, _ in writes(skilljar, since=before))
    assert api.users()["stranger@acme.com"]["active"] is True
    assert api.groups()["ops"] == {"stranger@acme.com"}
    assert "stranger@acme.com" in api.groups()["engineering"]
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_authoritative_groups_delete_undeclared_groups_with_their_memberships(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    api = SkilljarApi(skilljar.url)
    old = api.add_group("old-team")
    api.add_member(old, api.add_user("a@acme.com"))
    api.add_member(old, api.add_user("b@acme.com"))
    project.configure(skilljar.url, manage="groups: authoritative\nmemberships: authoritative")
    project.write("people.yaml", PEOPLE)

    plan = cli("plan", project.root)
    assert '- groups["old-team"]  (delete)' in plan.stdout
    assert "deletes the group and its 2 membership(s)" in plan.stdout

    before = len(skilljar.requests)
    _applied(cli, project)

    deletes = [path for method, path in writes(skilljar, since=before) if method == "DELETE"]
    assert deletes == [f"/v1/groups/{old}"]  # its memberships go with it: no separate calls
    assert "old-team" not in api.groups()


def test_a_live_only_user_can_be_referenced_when_users_are_additive(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    SkilljarApi(skilljar.url).add_user("contractor@acme.com", "Casey", "Contractor")
    project.configure(skilljar.url)
    project.write(
        "groups.yaml", "groups:\n  - name: vendors\n    members: [Contractor@acme.com, ghost@acme.com]\n"
    )

    plan = cli("plan", project.root)

    assert plan.exit_code == 1
    assert plan.stderr.splitlines()[0] == (
        "Error: project/groups.yaml:3:36: user 'ghost@acme.com' is neither declared in the manifests "
        "nor present in Skilljar"
    )
    assert "contractor" not in plan.stderr

    project.write("groups.yaml", "groups:\n  - name: vendors\n    members: [Contractor@acme.com]\n")
    _applied(cli, project)
    assert SkilljarApi(skilljar.url).groups()["vendors"] == {"contractor@acme.com"}


def test_a_failed_apply_reports_what_was_done_and_replan_shows_the_rest(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    emulator_app = create_app(
        tmp_path / "s.sqlite3", api_key=CANARY_KEY, options=SkilljarEmulatorOptions((DOMAIN,))
    )

    def refuse_group_creation(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/v1/groups" and broken:
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"detail": "Service temporarily unavailable."}']
        return emulator_app(environ, start_response)

    broken = True
    with EmulatorServer(refuse_group_creation) as server:
        project.configure(server.url)
        project.write("people.yaml", PEOPLE)

        failed = cli("apply", project.root, "--auto-approve")

        assert failed.exit_code == 1
        assert "Apply failed: 2 of 7 changes done, 2 failed, 3 not attempted." in failed.stderr
        assert (
            'Error: groups["engineering"]: skilljar: Service temporarily unavailable.; 6 attempt(s) lost '
            "their answer, and it is not there: gave up (POST /v1/groups, HTTP 503)" in failed.stderr
        )
        assert not any(path.endswith("/users") and "/groups/" in path for _, path in writes(server))

        broken = False
        replan = cli("plan", project.root)
        assert "Plan: 5 to add, 0 to change, 0 to remove." in replan.stdout
        assert "users[" not in replan.stdout


def test_state_survives_an_emulator_restart(tmp_path: Path, project: ProjectDir, cli: CliRunnerCall) -> None:
    state = tmp_path / "skilljar.sqlite3"
    options = SkilljarEmulatorOptions(domains=(DOMAIN,))
    with EmulatorServer(create_app(state, api_key=CANARY_KEY, options=options)) as first:
        project.configure(first.url)
        project.write("people.yaml", PEOPLE)
        _applied(cli, project)

    with EmulatorServer(create_app(state, api_key=CANARY_KEY, options=options)) as second:
        project.configure(second.url)
        again = cli("plan", project.root, "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert SkilljarApi(second.url).groups()["engineering"] == {"jane.doe@acme.com", "bob@acme.com"}


@pytest.mark.parametrize("parallelism", [1, 8])
def test_parallelism_setting_changes_nothing_in_the_outcome(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, parallelism: int
) -> None:
    people = "users:\n" + "".join(
        f"  - email: learner{n}@acme.com\n    first_name: L{n}\n    groups: [cohort]\n" for n in range(30)
    )
    project.configure(skilljar.url, extra=f"  parallelism: {parallelism}\n")
    project.write("people.yaml", people + "groups:\n  - name: cohort\n")

    applied = cli("apply", project.root, "--auto-approve")

    assert applied.exit_code == 0, applied.output
    # Not a terminal: one line per finished unit of work; the 30 users were one bulk call.
    lines = applied.stdout.splitlines()
    assert "users: 30 created in one call" in lines
    assert sum(1 for line in lines if line.startswith("memberships[")) == 30
    assert len(SkilljarApi(skilljar.url).groups()["cohort"]) == 30
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_a_list_item_of_an_unexpected_shape_is_a_clear_error(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    emulator_app = create_app(
        tmp_path / "s.sqlite3", api_key=CANARY_KEY, options=SkilljarEmulatorOptions((DOMAIN,))
    )

    def users_without_identity(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["PATH_INFO"] == f"/v1/domains/{DOMAIN}/users":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"count": 1, "next": null, "previous": null, "results": [{"active": true}]}']
        return emulator_app(environ, start_response)

    with EmulatorServer(users_without_identity) as server:
        project.configure(server.url)
        project.write("people.yaml", PEOPLE)

        result = cli("plan", project.root)

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: skilljar users: malformed list response: item 1 has no `user.id`, `user.email` "
        f"(GET /v1/domains/{DOMAIN}/users?page_size=1000, HTTP 200)\n"
    )
