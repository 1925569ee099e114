"""Damstra's instructor-led sessions over real HTTP: created with their capacity and attendees (each
enrolled in the lesson first), updated and re-registered in bulk, cancelled when the manifests drop
them under `manage.sessions: authoritative`, exported to files that re-plan empty; completing one is
refused at its place with the reason. Each step is checked in the emulator's own store."""

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
USERS = """
users:
  - username: ian
    email: ian@acme.com
    first_name: Ian
    last_name: Hale
    roles: [instructor]
  - username: ann
    email: ann@acme.com
    first_name: Ann
    last_name: Lee
  - username: bob
    email: bob@acme.com
    first_name: Bob
    last_name: Ray
  - username: cy
    email: cy@acme.com
    first_name: Cy
    last_name: Ng
"""
SESSION = """
sessions:
  - lesson: Forklifts
    starts_at: 2030-03-01T09:00:00+08:00
    ends_at: 2030-03-01T12:00:00+08:00
    instructor: ian
    location: Perth depot
    notes: Bring boots
    capacity: 12
    attendees: [ann, bob]
"""


@pytest.fixture
def damstra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    app = create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    with EmulatorServer(app) as server:
        seed = {"lessons": [{"name": "Forklifts", "status": "active"}]}
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


def _configure(project: ProjectDir, server: EmulatorServer, manage: str = "") -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}{API}\n"
        f"  access_key: ${{DAMSTRA_ACCESS_KEY}}\n{manage}",
    )


def _store(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _sessions(server: EmulatorServer) -> list[dict[str, Any]]:
    """Each session in the store, with its attendees' user names."""
    store = _store(server)
    names = {user["id"]: user["user_name"] for user in store["users"]}
    return [
        {
            **{name: session[name] for name in ("location", "notes", "places", "status_id", "start_at")},
            "instructor": names[session["instructor_id"]],
            "attendees": sorted(
                names[row["user_id"]] for row in store["iltAttendees"] if row["session_id"] == session["id"]
            ),
        }
        for session in store["iltSessions"]
    ]


def _writes(server: EmulatorServer, since: int) -> list[tuple[str, str, Any]]:
    return [
        (call.method, call.path.removeprefix(API), json.loads(call.body) if call.body else None)
        for call in api_calls(server, since=since)
        if call.method != "GET"
    ]


def _apply_and_replan(project: ProjectDir, cli: CliRunnerCall) -> None:
    applied = cli("apply", project.root, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = cli("plan", project.root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_a_session_is_made_with_its_capacity_and_attendees_and_re_plans_empty(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", USERS)
    project.write("sessions.yaml", SESSION)

    _apply_and_replan(project, cli)

    assert _sessions(damstra) == [
        {
            "location": "Perth depot",
            "notes": "Bring boots",
            "places": 12,
            "status_id": 1,
            "start_at": "2030-03-01T01:00:00.000000+00:00",
            "instructor": "ian",
            "attendees": ["ann", "bob"],
        }
    ]
    store = _store(damstra)
    scheduled = {row["user_id"] for row in store["lessonSchedules"]}
    assert {user["user_name"] for user in store["users"] if user["id"] in scheduled} == {"ann", "bob"}


def test_a_change_patches_the_session_and_registers_and_deregisters_in_one_call_each(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", USERS)
    project.write("sessions.yaml", SESSION)
    _apply_and_replan(project, cli)
    session_id = _store(damstra)["iltSessions"][0]["id"]
    ids = {user["user_name"]: user["id"] for user in _store(damstra)["users"]}
    changed = SESSION.replace("Perth depot", "Perth yard").replace("capacity: 12", "capacity: 20")
    project.write("sessions.yaml", changed.replace("[ann, bob]", "[bob, cy]"))
    before = len(damstra.requests)

    _apply_and_replan(project, cli)

    session_writes = [write for write in _writes(damstra, before) if write[1].startswith("/ilt_session")]
    assert session_writes == [
        (
            "PATCH",
            f"/ilt_session/{session_id}",
            {
                "instructorId": ids["ian"],
                "location": "Perth yard",
                "notes": "Bring boots",
                "numberOfPlaces": 20,
            },
        ),
        ("POST", f"/ilt_session/{session_id}/bulk_deregister", {"userIds": [ids["ann"]]}),
        ("POST", f"/ilt_session/{session_id}/bulk_register", {"userIds": [ids["cy"]]}),
    ]
    [session] = _sessions(damstra)
    assert (session["location"], session["places"], session["attendees"]) == ("Perth yard", 20, ["bob", "cy"])


def test_a_session_the_manifests_drop_is_cancelled_under_authoritative_management(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra, manage="manage:\n  sessions: authoritative\n")
    project.write("people.yaml", USERS)
    project.write("sessions.yaml", SESSION)
    _apply_and_replan(project, cli)
    project.write("sessions.yaml", "sessions: []\n")

    planned = cli("plan", project.root)
    assert "cancels the session" in planned.stdout, planned.output
    _apply_and_replan(project, cli)

    [session] = _store(damstra)["iltSessions"]
    assert (session["status_id"], session["notify_trainees"], session["notify_instructor"]) == (3, True, True)


def test_an_export_of_sessions_re_plans_empty(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", USERS)
    project.write("sessions.yaml", SESSION)
    _apply_and_replan(project, cli)
    exported = ProjectDir(tmp_path / "exported")
    _configure(exported, damstra)

    result = cli("export", exported.root)

    assert result.exit_code == 0, result.output
    written = (exported.root / "sessions.yaml").read_text(encoding="utf-8")
    assert "attendees:\n      - ann\n      - bob" in written, written
    planned = cli("plan", exported.root, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_completing_a_session_is_refused_at_its_place_with_the_reason(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", USERS)
    project.write("sessions.yaml", SESSION + "    completed: true\n")

    result = cli("validate", project.root)

    assert result.exit_code != 0
    assert "project/sessions.yaml:10:5: Damstra cannot manage sessions.completed: completing a session" in (
        result.output
    )


def test_a_completed_session_the_manifests_do_not_declare_is_left_alone(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    seeded = requests.post(
        f"{damstra.url}/_emulator/seed",
        json={
            "users": [{"userName": "ian", "firstName": "Ian", "lastName": "Hale", "emailAddress": "i@a.com"}]
        },
        timeout=10,
    ).json()
    lesson = _store(damstra)["lessons"][0]["id"]
    body = {
        "lessonId": lesson,
        "startDatetime": "2020-03-01T09:00:00.000+0800",
        "endDatetime": "2020-03-01T12:00:00.000+0800",
        "location": "Depot",
        "instructorId": seeded["users"][0]["id"],
    }
    headers = {"AccessKey": CANARY_KEY}
    made = requests.post(f"{damstra.url}{API}/ilt_session", json=body, headers=headers, timeout=10).json()
    requests.post(f"{damstra.url}{API}/ilt_session/{made['id']}/complete", headers=headers, timeout=10)
    _configure(project, damstra, manage="manage:\n  sessions: authoritative\n")
    project.write("sessions.yaml", "sessions: []\n")

    planned = cli("plan", project.root, "--detailed-exitcode")

    assert planned.exit_code == 0, planned.output
    assert "1 live sessions left alone: it is completed, and Damstra cannot cancel a completed session" in (
        planned.output
    )


def test_attack_a_pull_request_cannot_cancel_a_session_the_trusted_policy_protects(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel cannot be undone. The pull request drops the session under `authoritative`; the
    policy in the environment (which a pull request cannot change) protects the lesson's sessions, by a
    glob over the session's key (lesson/start/end). The session stays, and nothing is sent."""
    monkeypatch.setenv("LMSFORM_POLICY", "protect:\n  sessions: ['Forklifts/*']\n")
    _configure(project, damstra, manage="manage:\n  sessions: authoritative\n")
    project.write("people.yaml", USERS)
    project.write("sessions.yaml", SESSION)
    _apply_and_replan(project, cli)
    project.write("sessions.yaml", "sessions: []\n")
    since = len(damstra.requests)

    applied = cli("apply", project.root, "--auto-approve")

    assert "protect" in applied.output, applied.output
    assert _writes(damstra, since) == []
    [session] = _store(damstra)["iltSessions"]
    assert session["status_id"] != 3
