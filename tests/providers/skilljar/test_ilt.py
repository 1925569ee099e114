"""Skilljar instructor-led training (`instructors:` and `sessions:`): created once, a session changed
by one PUT of every field, never removed; checked in the emulator's store (skilljar.md D79 to D83)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.floors import skilljar_ilt_reads
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir, api_calls, writes
from tests.oracle import exchange_errors, skilljar_spec

INSTRUCTORS = """
instructors:
  - email: ann.lee@acme.com
"""
SESSION = """
sessions:
  - lesson: {course: Forklift safety, lesson: Practical}
    starts_at: 2031-03-04T09:00:00+01:00
    ends_at: 2031-03-04T12:00:00+01:00
    display_name: Forklift practical (Leeds)
    timezone: Europe/London
    instructor: ann.lee@acme.com
    location: Leeds depot
    notes: <p>Bring boots.</p>
    capacity: 12
"""


def _seed_lessons(server: EmulatorServer) -> None:
    seeded = requests.post(
        f"{server.url}/_emulator/seed",
        json={"courses": [{"title": "Forklift safety", "lessons": ["Theory", "Practical"]}]},
        timeout=10,
    )
    assert seeded.status_code == 201, seeded.text


def _state(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _stored_sessions(server: EmulatorServer) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = _state(server)["ilt_sessions"]
    return sessions


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    return result.stdout


def _assert_converged(cli: CliRunnerCall, project: ProjectDir) -> None:
    again = cli("plan", project.root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def _declared(project: ProjectDir, session: str = SESSION) -> None:
    project.write("instructors.yaml", INSTRUCTORS)
    project.write("sessions.yaml", session)


def _set_up(server: EmulatorServer, project: ProjectDir, session: str = SESSION) -> None:
    """The lessons Skilljar's dashboard would have made, and a project declaring an instructor and
    `session` on them."""
    _seed_lessons(server)
    project.configure(server.url)
    _declared(project, session)


def _set_up_and_applied(server: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> None:
    _set_up(server, project)
    _apply(cli, project)


def test_an_instructor_and_a_session_are_created_once_and_replan_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _set_up(skilljar, project)

    plan = cli("plan", project.root, "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 2 to add, 0 to change, 0 to remove." in plan.stdout
    _apply(cli, project)

    state = _state(skilljar)
    assert [row["email"] for row in state["ilt_instructors"]] == ["ann.lee@acme.com"]
    [session] = state["ilt_sessions"]
    [lesson] = [row for row in state["lessons"] if row["title"] == "Practical"]
    assert session["lesson"] == lesson["id"]
    assert {name: session[name] for name in ("starts_at", "ends_at", "timezone", "seats_total")} == {
        "starts_at": "2031-03-04T08:00:00.000000Z",
        "ends_at": "2031-03-04T11:00:00.000000Z",
        "timezone": "Europe/London",
        "seats_total": 12,
    }
    assert session["display_name"] == "Forklift practical (Leeds)"
    assert session["instructor_email"] == "ann.lee@acme.com"
    assert (session["location"], session["description"]) == ("Leeds depot", "<p>Bring boots.</p>")
    assert writes(skilljar) == [("POST", "/v1/ilt-instructors"), ("POST", "/v1/ilt-sessions")]
    _assert_converged(cli, project)
    assert exchange_errors(skilljar_spec(), api_calls(skilljar)) == []


def test_a_change_is_one_put_of_every_field(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _set_up_and_applied(skilljar, project, cli)
    [before] = _stored_sessions(skilljar)
    since = len(skilljar.requests)
    _declared(project, SESSION.replace("capacity: 12", "capacity: 20"))

    _apply(cli, project)

    [after] = _stored_sessions(skilljar)
    assert writes(skilljar, since=since) == [("PUT", f"/v1/ilt-sessions/{before['id']}")]
    assert after == {**before, "seats_total": 20}
    _assert_converged(cli, project)
    assert exchange_errors(skilljar_spec(), api_calls(skilljar, since=since)) == []


def test_a_dropped_session_is_left_alone_and_authoritative_is_refused(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _set_up_and_applied(skilljar, project, cli)
    stored = _stored_sessions(skilljar)
    project.write("sessions.yaml", "sessions: []\n")
    since = len(skilljar.requests)

    _apply(cli, project)

    assert writes(skilljar, since=since) == []
    assert _stored_sessions(skilljar) == stored
    project.configure(skilljar.url, manage="sessions: authoritative")
    refused = cli("validate", project.root)
    assert refused.exit_code != 0
    assert "manage.sessions cannot be authoritative: Skilljar Skilljar's API cannot delete" in refused.output


@pytest.mark.parametrize(
    ("lesson", "where"),
    [
        ("{course: Forklift safety, lesson: Night shift}", "2:5"),
        ("{course: Crane safety, lesson: Practical}", "2:5"),
    ],
)
def test_an_unknown_lesson_or_course_is_refused_at_its_place_with_no_write(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, lesson: str, where: str
) -> None:
    _set_up(skilljar, project, SESSION.replace("{course: Forklift safety, lesson: Practical}", lesson))

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code != 0
    assert f"sessions.yaml:{where}: " in result.output
    assert writes(skilljar) == []


def test_a_lesson_named_without_its_course_is_refused_offline(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure("http://127.0.0.1:9")
    _declared(project, SESSION.replace("{course: Forklift safety, lesson: Practical}", "Practical"))

    result = cli("validate", project.root)

    assert result.exit_code != 0
    assert "sessions.yaml:2:13: lesson: name a Skilljar lesson with its course" in result.output


def test_attendees_are_refused_with_the_reason(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.configure("http://127.0.0.1:9")
    _declared(project, SESSION + "    attendees: [joe@acme.com]\n")

    result = cli("validate", project.root)

    assert result.exit_code != 0
    assert "Skilljar cannot manage sessions.attendees: registering for a session is a learner's own" in (
        result.output
    )


def test_export_writes_instructors_and_sessions_and_replans_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _set_up_and_applied(skilljar, project, cli)
    (project.root / "instructors.yaml").unlink()
    (project.root / "sessions.yaml").unlink()

    exported = cli(
        "export", project.root, "--to", project.root / "exported", "--kinds", "instructors,sessions"
    )
    assert exported.exit_code == 0, exported.output

    text = (project.root / "exported" / "sessions.yaml").read_text()
    assert "course: Forklift safety" in text and "capacity: 12" in text
    _assert_converged(cli, project)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacity=st.integers(min_value=1, max_value=500),
    location=st.text(alphabet="abcdefghij ", min_size=1, max_size=20).map(str.strip).filter(bool),
    timezone=st.sampled_from(["Europe/London", "UTC", "America/New_York"]),
)
def test_any_change_to_a_session_converges_in_one_put(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    capacity: int,
    location: str,
    timezone: str,
) -> None:
    requests.post(f"{skilljar.url}/_emulator/reset", timeout=10)
    _set_up_and_applied(skilljar, project, cli)
    since = len(skilljar.requests)
    changed = (
        SESSION.replace("capacity: 12", f"capacity: {capacity}")
        .replace("Leeds depot", location)
        .replace("Europe/London", timezone)
    )
    _declared(project, changed)

    _apply(cli, project)

    [stored] = _stored_sessions(skilljar)
    assert (stored["seats_total"], stored["location"], stored["timezone"]) == (capacity, location, timezone)
    assert len(writes(skilljar, since=since)) <= 1
    _assert_converged(cli, project)


def test_a_plan_reads_instructor_led_training_at_the_floor(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _set_up_and_applied(skilljar, project, cli)
    since = len(skilljar.requests)

    _assert_converged(cli, project)

    gets = [call.path for call in api_calls(skilljar, since=since) if call.method == "GET"]
    ilt = [path for path in gets if path.startswith(("/v1/ilt-", "/v1/lessons"))]
    # One instructor list, one session list, and the lessons of the one course the session names.
    assert len(ilt) == skilljar_ilt_reads(1, 1, [2], declares_instructors=True, declares_sessions=True) == 3
