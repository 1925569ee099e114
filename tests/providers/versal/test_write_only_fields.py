"""Values a vendor cannot report back are sent whenever their object is written, and a plan calls one
"sent again" only when the apply journals show an earlier apply sent that very value.

End to end on the Versal emulator over HTTP; what Versal holds is read from the emulator's own SQLite
file, never through lmsform's reader (which cannot see descriptions or the learner course role).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform import app
from lmsform.plan import Action, Change, Plan
from lmsform.planner import make_plan
from lmsform.project_config import ManageConfig
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.versal.emulator import VersalEmulatorOptions, create_app
from lmsform.providers.versal.provider import VersalProvider
from lmsform.state import Resource, State
from tests.conftest import CliRunnerCall, ProjectDir

KEY = "0d6f3c2a-8b1e-4f7a-9c55-6e2b1a0f9d13"
ORG = 4242
COURSE = "Workplace Safety"
JANE = 'users["jane@acme.com"]'
ENROLLMENT = f'enrollments["org_course", "{COURSE}", "jane@acme.com"]'


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "versal.sqlite3"


@pytest.fixture
def versal(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("VERSAL_API_KEY", KEY)
    app = create_app(store_path, api_key=KEY, options=VersalEmulatorOptions(org_id=ORG, date_fields="date"))
    with EmulatorServer(app) as server:
        seed = {"courses": [{"title": COURSE}]}
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


@pytest.fixture
def versal_project(project: ProjectDir, versal: EmulatorServer) -> ProjectDir:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: versal\n  organisation: {ORG}\n  base_url: {versal.url}/api2\n"
        "  api_key: ${VERSAL_API_KEY}\n",
    )
    return project


# --- what the emulator holds (its SQLite file) ---------------------------------------------------------


def _query(store_path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(store_path) as db:
        return list(db.execute(sql, args))


def _user_row(store_path: Path, email: str) -> tuple[Any, ...]:
    rows = _query(
        store_path,
        "SELECT u.firstname, u.short_desc, m.roles FROM users u JOIN memberships m ON m.user_id = u.id "
        "WHERE u.email_key = ? AND m.org_id = ?",
        email.casefold(),
        ORG,
    )
    assert len(rows) == 1, rows
    return rows[0]


IDS = "SELECT c.id, u.id FROM courses c, users u WHERE c.title = ? AND u.email_key = ?"


def _enrollment_row(store_path: Path, email: str) -> tuple[list[str], bool]:
    [(course_id, user_id)] = _query(store_path, IDS, COURSE, email.casefold())
    roles = _query(
        store_path,
        "SELECT role FROM course_roles WHERE course_id = ? AND user_id = ? ORDER BY position",
        course_id,
        user_id,
    )
    [(tracked,)] = _query(
        store_path,
        "SELECT tracked FROM course_learners WHERE course_id = ? AND user_id = ?",
        course_id,
        user_id,
    )
    return [role for (role,) in roles], bool(tracked)


# --- running lmsform ------------------------------------------------------------------------------


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _plan(cli: CliRunnerCall, project: ProjectDir) -> Plan:
    result = cli("plan", project.root, "--format", "json")
    assert result.exit_code == 0, result.output
    return Plan.from_json(json.loads(result.stdout))


def _change(plan: Plan, where: str) -> Change:
    [found] = [change for change in plan.changes if change.address == where]
    return found


def _journalled(project: ProjectDir, where: str, name: str, value: Any) -> bool:
    """Whether any apply journal records a done write of `value` as `name` to `where` (read raw)."""
    folder = project.root / ".lmsform" / "journal"
    for path in sorted(folder.glob("*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(text)
            values = line.get("values") or {}
            done = line.get("event") == "done" and line.get("address") == where
            if done and name in values and values[name] == value:
                return True
    return False


def _claims_again(change: Change, name: str) -> bool:
    return any(name in note and "again" in note for note in change.notes)


def _assert_truthful(project: ProjectDir, change: Change, name: str, value: Any) -> None:
    """The plan calls `name` sent again exactly when a journal shows `value` sent to the object."""
    proven = _journalled(project, change.address, name, value)
    assert _claims_again(change, name) is proven, (proven, change.notes)
    assert (name in change.sent_before) is proven
    if not proven:
        assert any(name in note and "cannot tell whether Versal holds it" in note for note in change.notes)


# --- users ----------------------------------------------------------------------------------------


def test_a_user_whose_name_and_role_change_gets_the_declared_description_in_the_same_apply(
    versal_project: ProjectDir, cli: CliRunnerCall, store_path: Path
) -> None:
    project = versal_project
    project.write(
        "people.yaml", "users:\n  - email: jane@acme.com\n    first_name: Jane\n    roles: [learner]\n"
    )
    _apply(cli, project)
    project.write(
        "people.yaml",
        "users:\n  - email: jane@acme.com\n    first_name: Janet\n    roles: [instructor]\n"
        "    short_description: Fire warden\n",
    )

    planned = _change(_plan(cli, project), JANE)
    assert planned.action is Action.UPDATE
    assert planned.changed == ("first_name", "roles")
    assert planned.unread == ("short_description",)
    assert planned.sends == ("first_name", "roles", "short_description")
    assert any("sends it with this update" in note for note in planned.notes), planned.notes
    _apply(cli, project)

    assert _user_row(store_path, "jane@acme.com") == ("Janet", "Fire warden", "instructor")
    again = _plan(cli, project)
    assert [change.action for change in again.changes] == [Action.REASSERT]
    assert again.is_empty
    _assert_truthful(project, _change(again, JANE), "short_description", "Fire warden")


def test_a_description_no_apply_sent_is_never_called_sent_again(
    versal_project: ProjectDir, cli: CliRunnerCall, store_path: Path
) -> None:
    project = versal_project
    project.write("people.yaml", "users:\n  - email: jane@acme.com\n    first_name: Jane\n")
    _apply(cli, project)
    project.write(
        "people.yaml",
        "users:\n  - email: jane@acme.com\n    first_name: Jane\n    short_description: Medic\n",
    )

    planned = _change(_plan(cli, project), JANE)

    # Versal holds no description (the one apply so far sent none): "sent again" would be false.
    assert _user_row(store_path, "jane@acme.com")[1] is None
    assert planned.action is Action.REASSERT
    assert planned.sent_before == ()
    _assert_truthful(project, planned, "short_description", "Medic")
    _apply(cli, project)
    assert _user_row(store_path, "jane@acme.com")[1] == "Medic"


def test_a_description_sent_when_the_user_was_made_is_sent_again(
    versal_project: ProjectDir, cli: CliRunnerCall, store_path: Path
) -> None:
    project = versal_project
    project.write(
        "people.yaml",
        "users:\n  - email: jane@acme.com\n    first_name: Jane\n    short_description: Medic\n",
    )
    _apply(cli, project)
    assert _user_row(store_path, "jane@acme.com")[1] == "Medic"

    planned = _change(_plan(cli, project), JANE)

    assert _journalled(project, JANE, "short_description", "Medic")  # the create recorded it
    assert planned.sent_before == ("short_description",)
    _assert_truthful(project, planned, "short_description", "Medic")
    # Another value was never sent: no longer "again".
    project.write(
        "people.yaml",
        "users:\n  - email: jane@acme.com\n    first_name: Jane\n    short_description: Nurse\n",
    )
    assert _change(_plan(cli, project), JANE).sent_before == ()


# --- enrollments ----------------------------------------------------------------------------------


def test_an_enrollment_whose_tracking_changes_sends_the_role_versal_cannot_show(
    versal_project: ProjectDir, versal: EmulatorServer, cli: CliRunnerCall, store_path: Path
) -> None:
    project = versal_project
    project.write("people.yaml", "users:\n  - email: jane@acme.com\n")
    enrollment = f"enrollments:\n  - course: {COURSE}\n    users: [jane@acme.com]\n    role: learner\n"
    project.write("learning.yaml", enrollment + "    tracked: true\n")
    _apply(cli, project)
    assert _enrollment_row(store_path, "jane@acme.com") == (["learner"], True)
    # The learner role is taken away in Versal, which no read shows.
    [(course_id, user_id)] = _query(store_path, IDS, COURSE, "jane@acme.com")
    requests.patch(
        f"{versal.url}/api2/courses/{course_id}/users/{user_id}",
        json={"roles": []},
        headers={"SID": KEY},
        timeout=10,
    ).raise_for_status()
    project.write("learning.yaml", enrollment + "    tracked: false\n")

    planned = _change(_plan(cli, project), ENROLLMENT)
    assert planned.action is Action.UPDATE
    assert planned.changed == ("tracked",)
    assert planned.unread == ("role",)
    assert "role" in planned.sends
    assert any("cannot report role back" in note and "with this update" in note for note in planned.notes)
    _apply(cli, project)

    assert _enrollment_row(store_path, "jane@acme.com") == (["learner"], False)
    again = _plan(cli, project)
    assert [change.action for change in again.changes] == [Action.REASSERT]
    _assert_truthful(project, _change(again, ENROLLMENT), "role", "learner")


# --- the planner, given what the journals say -----------------------------------------------------


def _jane(**fields: Any) -> Resource:
    return Resource("users", ("jane@acme.com",), {"email": "jane@acme.com", **fields}, ids={"id": "7"})


def _versal_plan(desired: Resource, live: Resource, written: dict[str, dict[str, Any]]) -> Change:
    wanted, present = State(), State()
    wanted.add(desired)
    present.add(live)
    plan = make_plan(
        wanted, present, provider=VersalProvider, manage=ManageConfig(), target="4242", written=written
    )
    [change] = plan.changes
    return change


@pytest.mark.parametrize(
    ("written", "again"),
    [
        pytest.param({}, False, id="no journal"),
        pytest.param({JANE: {"first_name": "Jane"}}, False, id="journal without the field"),
        pytest.param({JANE: {"short_description": "Nurse"}}, False, id="another value sent"),
        pytest.param({'users["bob@acme.com"]': {"short_description": "Medic"}}, False, id="another user"),
        pytest.param({JANE: {"short_description": "Medic"}}, True, id="this value sent"),
    ],
)
def test_only_a_value_the_journals_show_sent_is_called_sent_again(
    written: dict[str, dict[str, Any]], again: bool
) -> None:
    change = _versal_plan(
        _jane(first_name="Jane", short_description="Medic"),
        _jane(first_name="Jane", roles=["learner"]),
        written,
    )

    assert change.action is Action.REASSERT
    assert change.sent_before == (("short_description",) if again else ())
    assert _claims_again(change, "short_description") is again


def test_an_update_carries_every_unreadable_declared_value_and_says_which_were_sent_before() -> None:
    change = _versal_plan(
        _jane(first_name="Janet", short_description="Medic", long_description="Ward 4"),
        _jane(first_name="Jane", roles=["learner"]),
        {JANE: {"short_description": "Medic"}},
    )

    assert change.action is Action.UPDATE
    assert change.changed == ("first_name",)
    assert change.sends == ("first_name", "long_description", "short_description")
    assert change.sent_before == ("short_description",)
    assert change.unproven == ("long_description",)
    assert _claims_again(change, "short_description")
    assert not _claims_again(change, "long_description")


def test_the_json_form_keeps_what_is_sent_and_plans_without_it_keep_their_checksum() -> None:
    change = _versal_plan(_jane(first_name="Janet", short_description="Medic"), _jane(first_name="Jane"), {})
    assert Change.from_json(json.loads(json.dumps(change.to_json()))) == change

    plain = Change(
        Action.UPDATE, "users", ("bob@acme.com",), {}, {"first_name": "Bob"}, changed=("first_name",)
    )
    assert "unread" not in plain.to_json()
    assert "sent_before" not in plain.to_json()


def test_a_plan_that_sends_nothing_unreadable_reads_no_journal(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journals are read whole (a second per 60,000 lines): only a plan that sends a value the
    vendor cannot report back may read them. Course labels have a readback judge, but a decisive one."""
    project.configure(skilljar.url)
    project.write("training.yaml", "courses:\n  - title: Heights\n    labels: [safety, b, a]\n")
    assert cli("apply", project.root, "--auto-approve").exit_code == 0

    def unexpected(*args: object) -> None:
        raise AssertionError("the journals were read")

    monkeypatch.setattr(app, "history", unexpected)
    planned = cli("plan", project.root, "--detailed-exitcode")

    assert planned.exit_code == 0, planned.output
