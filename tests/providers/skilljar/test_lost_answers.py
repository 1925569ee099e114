"""Skilljar's own lost answers: bulk user creates, and creates refused before Skilljar made them.

A lost answer to each single create (users, groups, memberships, courses, publications, enrollments,
webhooks) is the contract's, for every vendor alike: tests/providers/test_lost_answers.py. Here the
emulator commits a bulk create and drops its answer (the connection closes), or refuses a create without
making it (503); `apply` must finish, `plan` must have nothing left to do, exactly one such object must
exist, and the recovery must cost the requests the tests name.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from lmsform.providers.emulation.server import EmulatorServer, RecordedRequest
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls
from tests.oracle import exchange_errors, skilljar_spec
from tests.providers.lost_answer import apply_losing_one_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

USERS_PATH = f"/v1/domains/{DOMAIN}/users"
BULK_PATH = f"{USERS_PATH}/bulk-create"
BULK_DELAY_S = 1.0

PEOPLE = """
users:
  - email: ann@acme.com
    first_name: Ann
  - email: bob@acme.com
    first_name: Bob
"""
CREW = """
groups:
  - name: crew
    members: [ann@acme.com, bob@acme.com]
"""


def _state(server: EmulatorServer) -> dict[str, Any]:
    dump: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return dump


def _apply_losing_one_answer(
    server: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, method: str, path: str
) -> tuple[RecordedRequest, list[RecordedRequest]]:
    """Apply while the first `method path` (a regex) loses its answer: that call, and the apply's calls
    after it. The next plan must be empty."""
    lost = apply_losing_one_answer(server, project.root, cli, method, path)
    assert exchange_errors(skilljar_spec(), lost.calls) == []
    return lost.lost, lost.after


def _gets(calls: Iterable[RecordedRequest]) -> list[str]:
    return [call.url_path for call in calls if call.method == "GET"]


def _posts(calls: Iterable[RecordedRequest], path: str) -> list[RecordedRequest]:
    return [call for call in calls if call.method == "POST" and call.path == path]


# --- bulk user create ------------------------------------------------------------------------------------


def _many_people(count: int = 12) -> str:
    return "users:\n" + "".join(
        f"  - email: learner{n:02d}@acme.com\n    first_name: Learner{n}\n" for n in range(count)
    )


def _one_each(state: dict[str, Any], count: int = 12) -> None:
    emails = sorted(user["email"] for user in state["users"])
    assert emails == [f"learner{n:02d}@acme.com" for n in range(count)]
    assert sorted(member["user_id"] for member in state["domain_users"]) == sorted(
        user["id"] for user in state["users"]
    )


def test_a_bulk_create_whose_answer_is_lost_reads_the_users_it_made(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", _many_people())

    _, after = _apply_losing_one_answer(skilljar, project, cli, "POST", BULK_PATH)

    # Skilljar finished the job before the answer was lost: one read of the list finds all of them.
    assert [call for call in after if call.method != "GET"] == []
    assert _gets(after) == [f"{USERS_PATH}?page_size=1000"]
    _one_each(_state(skilljar))


@pytest.fixture
def slow_bulk(tmp_path: Path) -> Iterator[EmulatorServer]:
    """A Skilljar emulator whose bulk create queues its rows and adds them BULK_DELAY_S later."""
    options = SkilljarEmulatorOptions(domains=(DOMAIN,), bulk_create_delay_s=BULK_DELAY_S)
    with EmulatorServer(create_app(tmp_path / "slow.sqlite3", api_key=CANARY_KEY, options=options)) as server:
        yield server


def test_a_lost_bulk_create_still_queued_is_finished_by_single_creates_without_duplicates(
    slow_bulk: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(slow_bulk.url)
    project.write("people.yaml", _many_people())

    _, after = _apply_losing_one_answer(slow_bulk, project, cli, "POST", BULK_PATH)

    # The queued job had not run: none were listed, so each was created singly, keyed by e-mail...
    assert _posts(after, BULK_PATH) == []
    assert len(_posts(after, USERS_PATH)) == 12
    time.sleep(BULK_DELAY_S + 0.5)
    # ...and when the job ran later, it met known e-mails and made no second user.
    _one_each(_state(slow_bulk))
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


# --- creates refused without being made: sent again ---------------------------------------------------------


class _RefuseOnce:
    """WSGI middleware: the first `method path` gets 503 and never reaches the emulator."""

    def __init__(self, app: WSGIApplication, method: str, path: str) -> None:
        self._app = app
        self._method = method
        self._path = path
        self.refused = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self.refused and (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == (
            self._method,
            self._path,
        ):
            self.refused += 1
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"detail": "Service unavailable."}']
        return self._app(environ, start_response)


def _refusing(tmp_path: Path, method: str, path: str) -> EmulatorServer:
    app = create_app(
        tmp_path / "refusing.sqlite3", api_key=CANARY_KEY, options=SkilljarEmulatorOptions(domains=(DOMAIN,))
    )
    return EmulatorServer(_RefuseOnce(app, method, path))


def test_a_group_create_refused_unmade_is_looked_up_then_sent_again(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    with _refusing(tmp_path, "POST", "/v1/groups") as server:
        project.configure(server.url)
        project.write("people.yaml", PEOPLE + CREW)

        assert cli("apply", project.root, "--auto-approve").exit_code == 0

        posts = _posts(api_calls(server), "/v1/groups")
        assert [call.status for call in posts] == [503, 201]
        assert "/v1/groups?name=crew" in _gets(api_calls(server))
        assert [group["name"] for group in _state(server)["groups"]] == ["crew"]
        assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_a_bulk_create_refused_unmade_creates_the_users_singly(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    with _refusing(tmp_path, "POST", BULK_PATH) as server:
        project.configure(server.url)
        project.write("people.yaml", _many_people())

        assert cli("apply", project.root, "--auto-approve").exit_code == 0

        calls = api_calls(server)
        assert [call.status for call in _posts(calls, BULK_PATH)] == [503]
        assert [call.status for call in _posts(calls, USERS_PATH)] == [201] * 12
        _one_each(_state(server))
        assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0
