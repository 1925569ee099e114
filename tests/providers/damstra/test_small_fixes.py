"""Damstra over real HTTP: group bodies carry `parentId` only as a number (a root group's leaves it out,
and the emulator refuses anything else, null included); an enrollment naming a lesson that exists but
cannot be scheduled (inactive) is refused at its place, saying so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.damstra.emulator import (
    DamstraEmulatorOptions,
    DamstraStore,
    create_app,
    emulator_store,
)
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir, api_calls

API = "/api/v2"
ANN = "users:\n  - username: ann\n    email: ann@acme.com\n    first_name: Ann\n    last_name: Lee\n"


@pytest.fixture
def damstra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """Lessons in several states, and the groups `region` (a root) and `site` under it."""
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    app = create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    for status in ("inactive", "active"):  # two lessons of one name, the inactive one listed first
        _add_lesson(emulator_store(app), "Forklifts", status)
    with EmulatorServer(app) as server:
        seed = {
            "lessons": [
                {"name": "Fire Safety", "status": "active"},
                {"name": "Confined Spaces", "status": "inactive"},
            ],
            "groups": [{"name": "region"}, {"name": "site", "parent": "region"}],
        }
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


def _add_lesson(store: DamstraStore, name: str, status: str) -> None:
    """Damstra lets lessons share a name; the emulator's seed hook does not, so this goes to its store."""
    lesson_id, now = store.next_id("lesson"), store.now_stored()
    columns = {"name": name, "status": status, "duration": 60000, "in_library": False}
    columns |= {"questionnaire_type": 18, "chapter_count": 1, "question_count": 0, "pass_rate": 80}
    store.insert_lesson(lesson_id, {**columns, "created_at": now})
    store.insert_version(store.next_id("lesson_version"), lesson_id, 1, True, now)


def _configure(project: ProjectDir, server: EmulatorServer) -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}{API}\n"
        "  access_key: ${DAMSTRA_ACCESS_KEY}\n",
    )


def _writes(server: EmulatorServer, since: int = 0) -> list[tuple[str, str, Any]]:
    return [
        (call.method, call.path.removeprefix(API), json.loads(call.body) if call.body else None)
        for call in api_calls(server, since=since)
        if call.method != "GET"
    ]


def _group_id(server: EmulatorServer, name: str) -> int:
    state = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return int(next(group["id"] for group in state["groups"] if group["name"] == name))


# --- a) parentId: a number, or left out ------------------------------------------------------------


def test_group_bodies_leave_parent_id_out_for_root_groups(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write(
        "groups.yaml",
        "groups:\n  - name: depot\n  - name: crew\n    parent: depot\n"
        "  - name: region\n    description: All sites\n",
    )
    before = len(damstra.requests)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    depot = _group_id(damstra, "depot")
    assert sorted(_writes(damstra, before), key=str) == sorted(
        [
            ("POST", "/group", {"name": "depot", "description": "depot"}),
            ("POST", "/group", {"name": "crew", "description": "crew", "parentId": depot}),
            (
                "POST",
                f"/group/{_group_id(damstra, 'region')}",
                {"name": "region", "description": "All sites"},
            ),
        ],
        key=str,
    )


def _refusal(message: str) -> dict[str, Any]:
    return {
        "message": message,
        "reason": "Invalid request",
        "internalCode": 400,
        "error": "Bad Request",
        "statusCode": 400,
    }


@pytest.mark.parametrize("parent", [None, "1", 1.5, True, {"id": 1}])
def test_the_emulator_refuses_a_parent_id_that_is_not_a_number(damstra: EmulatorServer, parent: Any) -> None:
    headers = {"AccessKey": CANARY_KEY}
    region = _group_id(damstra, "region")
    site = _group_id(damstra, "site")
    calls = [("/group", "new"), (f"/group/{site}", "site")]

    for path, name in calls:
        body = {"name": name, "description": "", "parentId": parent}
        response = requests.post(f"{damstra.url}{API}{path}", json=body, headers=headers, timeout=10)

        assert (response.status_code, response.json()) == (400, _refusal("parentId must be an integer"))
    state = requests.get(f"{damstra.url}/_emulator/state", timeout=10).json()
    assert [(group["name"], group["parent_id"]) for group in state["groups"]] == [
        ("region", None),
        ("site", region),
    ]


def test_making_a_group_top_level_is_reported_on_every_plan_and_never_planned(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("groups.yaml", "groups:\n  - name: site\n    parent: null\n    description: Site\n")
    why = (
        "Warning: 1 groups cannot be left without a parent through Damstra's API (its API takes a parent "
        "group's id only: move the group to the top in Damstra's web app, or give it a parent): "
        'groups["site"]'
    )
    before = len(damstra.requests)

    applied = cli("apply", project.root, "--auto-approve")
    replanned = cli("plan", project.root, "--detailed-exitcode")

    assert applied.exit_code == 0, applied.output
    assert why in applied.stdout
    # The description is changed; the parent is left as it is, and no body carries a null.
    assert [json.loads(call.body) for call in api_calls(damstra, since=before) if call.method == "POST"] == [
        {"name": "site", "description": "Site", "parentId": _group_id(damstra, "region")}
    ]
    assert replanned.exit_code == 0, replanned.output
    assert why in replanned.stdout


# --- b) a lesson that exists but cannot be scheduled ----------------------------------------------------


def test_an_enrollment_in_an_inactive_lesson_is_refused_at_its_place(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", ANN)
    project.write(
        "enrollments.yaml",
        "enrollments:\n  - course: Fire Safety\n    users: [ann]\n"
        "  - course: Confined Spaces\n    users: [ann]\n",
    )
    before = len(damstra.requests)

    result = cli("plan", project.root)

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == (
        "Error: project/enrollments.yaml:4:13: lesson 'Confined Spaces' exists in Damstra but is inactive, "
        "and an inactive lesson cannot be scheduled: activate it in Damstra's web app (its API cannot "
        "change lessons)"
    )
    assert _writes(damstra, before) == []


def test_an_active_lesson_is_used_where_an_inactive_one_has_its_name(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", ANN)
    project.write("enrollments.yaml", "enrollments:\n  - course: Forklifts\n    users: [ann]\n")

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    state = requests.get(f"{damstra.url}/_emulator/state", timeout=10).json()
    forklifts = {
        lesson["id"]: lesson["status"] for lesson in state["lessons"] if lesson["name"] == "Forklifts"
    }
    assert sorted(forklifts.values()) == ["active", "inactive"]
    assert [forklifts.get(item["lesson_id"]) for item in state["lessonSchedules"]] == ["active"]
