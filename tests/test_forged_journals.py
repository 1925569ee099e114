"""A pull request can commit `.lmsform/` despite its .gitignore (`git add -f`), so a journal in the
checkout is a claim, not a record. Forged journals may change only words ("sent again", a drift's
cause); they cannot keep a value from being sent, make drift exit 0, or stop a plan."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from lmsform.journal import history
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.versal.emulator import VersalEmulatorOptions, create_app
from tests.conftest import CliRunnerCall, ProjectDir

KEY = "0d6f3c2a-8b1e-4f7a-9c55-6e2b1a0f9d13"
ORG = 4242
JANE = 'users["jane@acme.com"]'
PEOPLE = "users:\n  - email: jane@acme.com\n    first_name: Jane\n    short_description: Fire warden\n"


@pytest.fixture
def versal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("VERSAL_API_KEY", KEY)
    app = create_app(tmp_path / "versal.sqlite3", api_key=KEY, options=VersalEmulatorOptions(org_id=ORG))
    with EmulatorServer(app) as server:
        yield server


@pytest.fixture
def versal_project(project: ProjectDir, versal: EmulatorServer) -> ProjectDir:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: versal\n  organisation: {ORG}\n  base_url: {versal.url}/api2\n"
        "  api_key: ${VERSAL_API_KEY}\n",
    )
    return project


def _forge(project: ProjectDir, name: str, lines: list[object]) -> Path:
    folder = project.root / ".lmsform" / "journal"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _description(tmp_path: Path) -> str | None:
    with sqlite3.connect(tmp_path / "versal.sqlite3") as db:
        [(held,)] = db.execute("SELECT short_desc FROM users WHERE email_key = 'jane@acme.com'")
    return held if held is None else str(held)


def test_a_forged_journal_cannot_keep_a_value_from_being_sent(
    versal: EmulatorServer, versal_project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    """Jane is made in Versal without a description; the pull request declares one, and commits a
    journal claiming lmsform sent it already. The plan may now say "sent again", but apply sends it."""
    requests.post(
        f"{versal.url}/_emulator/seed", json={"users": [{"email": "jane@acme.com"}]}, timeout=10
    ).raise_for_status()
    versal_project.write("people.yaml", PEOPLE)
    started = {"event": "started", "provider": "versal", "target": str(ORG), "plan": "sha256:x"}
    claim = {
        "event": "done",
        "address": JANE,
        "action": "update",
        "values": {"short_description": "Fire warden"},
    }
    _forge(versal_project, "29991231T235959000000Z-forged.jsonl", [started, claim, {"event": "complete"}])

    applied = cli("apply", versal_project.root, "--auto-approve")

    assert applied.exit_code == 0, applied.output
    assert _description(tmp_path) == "Fire warden"


def test_forged_journals_cannot_make_drift_say_in_sync(
    versal: EmulatorServer, versal_project: ProjectDir, cli: CliRunnerCall
) -> None:
    versal_project.write("people.yaml", PEOPLE)
    assert cli("apply", versal_project.root, "--auto-approve").exit_code == 0
    versal_project.write("people.yaml", PEOPLE.replace("Jane", "Janet"))
    started = {"event": "started", "provider": "versal", "target": str(ORG), "manifests": "sha256:x"}
    claim = {"event": "done", "address": JANE, "action": "update", "values": {"first_name": "Janet"}}
    _forge(versal_project, "29991231T235959000000Z-forged.jsonl", [started, claim, {"event": "complete"}])

    drift = cli("drift", versal_project.root)

    assert drift.exit_code == 2, drift.output
    assert "Janet" in drift.stdout


def test_malformed_and_endless_journals_do_not_stop_a_plan(
    versal: EmulatorServer, versal_project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Lines of the wrong shape are passed over, and a "journal" that is a folder is not read."""
    versal_project.write("people.yaml", PEOPLE)
    assert cli("apply", versal_project.root, "--auto-approve").exit_code == 0
    started = {"event": "started", "provider": "versal", "target": str(ORG)}
    odd = [
        started,
        {"event": "done", "address": ["a", "list"], "action": "update", "values": {}},
        {"event": "done", "action": "update"},
        {"event": "failed"},
        {"event": "done", "address": JANE, "action": "update", "values": ["not", "a", "mapping"]},
        ["not", "an", "object"],
        "text",
    ]
    _forge(versal_project, "29991231T235959000000Z-odd.jsonl", odd)
    (versal_project.root / ".lmsform" / "journal" / "29991231T235959000002Z-folder.jsonl").mkdir()

    planned = cli("plan", versal_project.root, "--detailed-exitcode")
    drifted = cli("drift", versal_project.root)

    assert planned.exit_code == 0, planned.output
    assert drifted.exit_code == 0, drifted.output


def test_a_journal_that_is_a_link_is_not_read(tmp_path: Path) -> None:
    """A link could lead to /dev/zero, which never ends a line, or to a pipe that never answers: a
    journal is read only as a regular file in the project."""
    elsewhere = tmp_path / "elsewhere.jsonl"
    lines = [
        {"event": "started", "provider": "versal", "target": "4242"},
        {"event": "done", "address": JANE, "action": "update", "values": {"first_name": "Janet"}},
    ]
    elsewhere.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    folder = tmp_path / "project" / ".lmsform" / "journal"
    folder.mkdir(parents=True)
    os.symlink(elsewhere, folder / "29991231T235959000000Z-linked.jsonl")

    assert history(tmp_path / "project", "versal", "4242", {JANE}).written == {}
