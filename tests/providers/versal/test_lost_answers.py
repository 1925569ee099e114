"""Versal's own lost answer: a returning user, found after the answer to adding them is lost.

Adding a user to the organisation is Versal's one create (`POST /orgs/{orgId}/users`), and a repeat
is refused once the first went through (400 "User already exists in organization"). A lost answer to it
is the contract's, for every vendor alike (tests/providers/test_lost_answers.py): the member is looked
up by e-mail, never added twice. What is Versal's own is an e-mail Versal knows from before, which
joins with the names it had. (The batch removal, the other POST, is re-sent: test_versal.py covers it.)

Every exchange is validated against Versal's own Swagger 2.0 spec, as in test_versal.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.emulation.server import EmulatorServer, RecordedRequest
from lmsform.providers.versal.emulator import VersalEmulatorOptions, create_app
from tests.conftest import CliRunnerCall, ProjectDir
from tests.providers.lost_answer import apply_losing_one_answer
from tests.versal_oracle import exchange_errors

KEY = "ca4a1a7e-5eed-4c0d-9e11-0000c0ffee42"
ORG = 4242
API = "/api2"
ADD_USER = f"/orgs/{ORG}/users"
COURSE = "Workplace Safety"


@pytest.fixture
def versal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("VERSAL_API_KEY", KEY)
    options = VersalEmulatorOptions(org_id=ORG, date_fields="date")
    app = create_app(tmp_path / "versal.sqlite3", api_key=KEY, options=options)
    with EmulatorServer(app) as server:
        seed = {"courses": [{"title": COURSE}]}
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server
        assert exchange_errors(server.requests) == []


def _configure(project: ProjectDir, server: EmulatorServer) -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: versal\n  organisation: {ORG}\n  base_url: {server.url}{API}\n"
        "  api_key: ${VERSAL_API_KEY}\n  page_size: 20\n"
        "manage:\n  users: authoritative\n  enrollments: authoritative\n",
    )


def _user(name: str, *lines: str) -> str:
    extra = "".join(f"    {line}\n" for line in lines)
    return f"  - email: {name}@acme.com\n    first_name: {name.title()}\n    last_name: Acme\n{extra}"


def _members(server: EmulatorServer) -> list[dict[str, Any]]:
    answer = requests.get(
        f"{server.url}{API}/orgs/{ORG}/members", params={"perPage": 100}, headers={"SID": KEY}, timeout=10
    )
    answer.raise_for_status()
    members: list[dict[str, Any]] = answer.json()
    return members


def _member(server: EmulatorServer, email: str) -> dict[str, Any]:
    [member] = [item for item in _members(server) if item["user"]["email"] == email]  # exactly one
    return member


def _apply(project: ProjectDir, cli: CliRunnerCall) -> None:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output


def _apply_losing_one_answer(
    server: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, path: str
) -> tuple[RecordedRequest, list[RecordedRequest]]:
    """Apply while the first POST to `path` (without /api2) loses its answer: that call, and the apply's
    calls after it. The next plan must be empty."""
    lost = apply_losing_one_answer(server, project.root, cli, "POST", re.escape(API + path))
    assert lost.lost.status == 201  # Versal added the user; only the answer was lost
    return lost.lost, lost.after


def _writes(calls: list[RecordedRequest]) -> list[tuple[str, str, Any]]:
    return [
        (call.method, call.path.removeprefix(API), json.loads(call.body) if call.body else None)
        for call in calls
        if call.method != "GET"
    ]


def test_a_returning_user_found_after_a_lost_answer_still_gets_the_declared_profile(
    versal: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """An e-mail Versal knows from before joins with the names it had: after a lost answer, the member
    list shows those, and the declared names (and the descriptions, which it never shows) are set."""
    _configure(project, versal)
    project.write("people.yaml", "users:\n" + _user("ann") + _user("bob"))
    _apply(project, cli)
    ann_id = _member(versal, "ann@acme.com")["user"]["id"]
    project.write("people.yaml", "users:\n" + _user("bob"))
    _apply(project, cli)  # ann leaves the organisation; her Versal account stays
    project.write(
        "people.yaml",
        "users:\n"
        + _user("ann", "short_description: Fire warden").replace("first_name: Ann", "first_name: Annie")
        + _user("bob"),
    )

    lost, after = _apply_losing_one_answer(versal, project, cli, ADD_USER)

    assert json.loads(lost.body)["user"]["email"] == "ann@acme.com"
    ann = _member(versal, "ann@acme.com")
    assert ann["user"]["id"] == ann_id  # the same account, back once
    assert ann["user"]["firstname"] == "Annie"
    assert len(_members(versal)) == 2
    assert _writes(after) == [("PUT", f"/users/{ann_id}", {"firstname": "Annie", "shortDesc": "Fire warden"})]
