"""Skilljar creates whose answer is lost: the apply carries on with what is really there, no duplicate.

Each test makes the emulator commit a create and then drop its answer (the connection closes), as when
a network fails after the vendor did the work, then checks that `apply` finishes, that `plan` has
nothing left to do, that exactly one such object exists, and what the recovery cost in requests. A
few tests refuse a create without making it (503), so the create must be sent again.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from lmsform.providers.emulator import EmulatorServer, RecordedRequest
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls
from tests.oracle import exchange_errors, skilljar_spec

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

USERS_PATH = f"/v1/domains/{DOMAIN}/users"
BULK_PATH = f"{USERS_PATH}/bulk-create"
PUBLICATIONS_PATH = f"/v1/domains/{DOMAIN}/published-courses"
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
CATALOGUE = """
courses:
  - title: Safety 101
    short_description: Stay safe.
    published:
      slug: safety-101
"""
WEBHOOK = """
webhooks:
  - url: https://hooks.acme.example/lms
    events: [COURSE_COMPLETION]
"""


def _state(server: EmulatorServer) -> dict[str, Any]:
    dump: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return dump


def _apply_losing_one_answer(
    server: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, method: str, path: str
) -> tuple[RecordedRequest, list[RecordedRequest]]:
    """Apply while the first `method path` (a regex) loses its answer: that call, and the apply's calls
    after it."""
    server.recorder.drop_answers(method, path, 1)
    before = len(server.requests)
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    calls = api_calls(server, since=before)
    assert exchange_errors(skilljar_spec(), calls) == []
    [dropped] = [index for index, call in enumerate(calls) if call.dropped]
    assert calls[dropped].method == method and re.fullmatch(path, calls[dropped].path)
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0
    return calls[dropped], calls[dropped + 1 :]


def _gets(calls: Iterable[RecordedRequest]) -> list[str]:
    return [call.url_path for call in calls if call.method == "GET"]


def _posts(calls: Iterable[RecordedRequest], path: str) -> list[RecordedRequest]:
    return [call for call in calls if call.method == "POST" and call.path == path]


def _id(rows: Iterable[dict[str, Any]], **match: Any) -> str:
    [row] = [row for row in rows if all(row[name] == value for name, value in match.items())]
    return str(row["id"])


# --- creates Skilljar makes idempotent: sent again by the HTTP layer -------------------------------------


def test_a_user_create_whose_answer_is_lost_is_sent_again_and_returns_the_same_user(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", "users:\n  - email: ann@acme.com\n    first_name: Ann\n")

    _, after = _apply_losing_one_answer(skilljar, project, cli, "POST", USERS_PATH)

    # Skilljar returns the existing user for a known e-mail, so the same POST is simply sent again.
    [again] = _posts(after, USERS_PATH)
    assert not again.dropped and again.status == 201
    state = _state(skilljar)
    assert [user["email"] for user in state["users"]] == ["ann@acme.com"]
    assert len(state["domain_users"]) == 1


def test_an_enrollment_whose_answer_is_lost_is_sent_again_without_a_duplicate(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    project.write("catalogue.yaml", CATALOGUE)
    project.write("enrollments.yaml", "enrollments:\n  - course: Safety 101\n    users: [ann@acme.com]\n")

    _, after = _apply_losing_one_answer(
        skilljar, project, cli, "POST", rf"{PUBLICATIONS_PATH}/[^/]+/enrollments"
    )

    # The same (user, enrolled_at), Skilljar's idempotency key, so the re-sent POST makes nothing new.
    [again] = [call for call in after if call.method == "POST" and call.path.endswith("/enrollments")]
    assert json.loads(again.body)["enrolled_at"]
    assert len(_state(skilljar)["enrollments"]) == 1


# --- creates looked up by their key before they are sent again ---------------------------------------------


def test_a_group_whose_answer_is_lost_is_found_by_name_not_made_again(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE + CREW)

    _, after = _apply_losing_one_answer(skilljar, project, cli, "POST", "/v1/groups")

    assert _posts(after, "/v1/groups") == []
    assert _gets(after) == ["/v1/groups?name=crew"]  # one look-up, then its memberships, by its id
    state = _state(skilljar)
    assert [group["name"] for group in state["groups"]] == ["crew"]
    assert len(state["group_users"]) == 2


def test_a_membership_whose_answer_is_lost_is_read_back_not_added_again(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE + CREW)

    dropped, after = _apply_losing_one_answer(skilljar, project, cli, "POST", r"/v1/groups/[^/]+/users")

    group_id = _id(_state(skilljar)["groups"], name="crew")
    user_id = json.loads(dropped.body)["user"]["id"]
    assert _gets(after) == [f"/v1/groups/{group_id}/users/{user_id}"]  # one look-up, by a direct read
    assert not any(
        json.loads(call.body) == {"user": {"id": user_id}} for call in after if call.method == "POST"
    )
    assert len(_state(skilljar)["group_users"]) == 2  # both members, each once


def test_a_course_whose_answer_is_lost_is_found_among_lmsforms_courses(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("catalogue.yaml", CATALOGUE)

    _, after = _apply_losing_one_answer(skilljar, project, cli, "POST", "/v1/courses")

    assert _posts(after, "/v1/courses") == []
    # The look-up, then the look for a twin another apply may have made at the same moment.
    assert _gets(after) == ["/v1/courses?page_size=1000&label__name=lmsform"] * 2
    state = _state(skilljar)
    assert [course["title"] for course in state["courses"]] == ["Safety 101"]
    [publication] = state["published_courses"]  # published once, with the found course's id
    assert publication["course_id"] == _id(state["courses"], title="Safety 101")


def test_a_publication_whose_answer_is_lost_is_found_by_its_course(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("catalogue.yaml", CATALOGUE)
    project.write("people.yaml", PEOPLE)
    project.write("enrollments.yaml", "enrollments:\n  - course: Safety 101\n    users: [bob@acme.com]\n")

    _, after = _apply_losing_one_answer(skilljar, project, cli, "POST", PUBLICATIONS_PATH)

    state = _state(skilljar)
    course_id = _id(state["courses"], title="Safety 101")
    assert _posts(after, PUBLICATIONS_PATH) == []
    assert _gets(after) == [f"{PUBLICATIONS_PATH}?course__id={course_id}"]
    [publication] = state["published_courses"]
    [enrollment] = state["enrollments"]  # made with the id the look-up found
    assert publication["id"] in json.dumps(enrollment)


def test_a_webhook_whose_answer_is_lost_is_found_by_url_and_event(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("integrations.yaml", WEBHOOK)

    _, after = _apply_losing_one_answer(skilljar, project, cli, "POST", "/v1/webhooks")

    assert _posts(after, "/v1/webhooks") == []
    assert _gets(after) == ["/v1/webhooks"] * 2  # the look-up, then the look for a twin
    [webhook] = _state(skilljar)["webhooks"]
    assert (webhook["target_url"], webhook["event_type"]) == (
        "https://hooks.acme.example/lms",
        "COURSE_COMPLETION",
    )


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
