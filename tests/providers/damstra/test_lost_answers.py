"""Damstra's own lost answers: bulk imports, a group name other groups contain, and the writes that
change or remove what exists.

A lost answer to each single create (users, groups, memberships, supervisors, lesson schedules) is the
contract's, for every vendor alike: tests/providers/test_lost_answers.py. Here too the emulator commits
one POST and then drops its answer (the connection closes), as when a network fails after Damstra did
the work. Then `apply` must finish, `plan` must have nothing left to do, and the emulator must hold
exactly one of the object. Creates are looked up by their key and never sent twice; the writes Damstra
makes idempotent are sent again.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from werkzeug.test import EnvironBuilder, run_wsgi_app

from lmsform.providers import safe_writes
from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, create_app
from lmsform.providers.emulation.server import EmulatorServer, RecordedRequest
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir, api_calls
from tests.providers.lost_answer import apply_losing_one_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API = "/api/v2"
LESSON = "Site Induction"
MANAGE = (
    "  users: authoritative\n  groups: authoritative\n  memberships: authoritative\n"
    "  group_supervisors: authoritative\n"
)

State = dict[str, Any]


@pytest.fixture
def damstra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    app = create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    with EmulatorServer(app) as server:
        seed = {"lessons": [{"name": LESSON, "status": "active"}]}
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


def _configure(project: ProjectDir, server: EmulatorServer) -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}{API}\n"
        f"  access_key: ${{DAMSTRA_ACCESS_KEY}}\nmanage:\n{MANAGE}",
    )


def _people(*users: str) -> str:
    return "users:\n" + "".join(users)


def _user(name: str, *lines: str) -> str:
    extra = "".join(f"    {line}\n" for line in lines)
    return (
        f"  - username: {name}\n    email: {name}@acme.com\n"
        f"    first_name: {name.title()}\n    last_name: Acme\n{extra}"
    )


CREW = "groups:\n  - name: crew\n    description: The crew\n"


def _state(server: EmulatorServer) -> State:
    state: State = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _users(state: State, name: str) -> list[dict[str, Any]]:
    return [user for user in state["users"] if user["user_name"] == name]


def _groups(state: State, name: str) -> list[dict[str, Any]]:
    return [group for group in state["groups"] if group["name"] == name]


def _only(items: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(items) == 1, items
    return items[0]


def _related(state: State, table: str, group: str, user: str) -> int:
    group_id = _only([g for g in _groups(state, group) if g["active"]])["id"]
    user_id = _only(_users(state, user))["id"]
    return sum(1 for row in state[table] if (row["group_id"], row["user_id"]) == (group_id, user_id))


def _apply(project: ProjectDir, cli: CliRunnerCall) -> None:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output


def _apply_losing_one_answer(
    server: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, path: str
) -> tuple[RecordedRequest, list[RecordedRequest]]:
    """Apply while the first POST to `path` (a regex, without /api/v2) loses its answer: that call, and
    the apply's calls after it. The next plan must be empty."""
    lost = apply_losing_one_answer(server, project.root, cli, "POST", API + path)
    assert lost.lost.status == 200  # Damstra answers a write 200
    return lost.lost, lost.after


def _posts(calls: list[RecordedRequest], path: str) -> list[RecordedRequest]:
    return [call for call in calls if call.method == "POST" and re.fullmatch(API + path, call.path)]


def _gets(calls: list[RecordedRequest]) -> list[str]:
    return [call.url_path.removeprefix(API) for call in calls if call.method == "GET"]


def _user_gets(calls: list[RecordedRequest]) -> list[str]:
    return [path for path in _gets(calls) if path.startswith("/user")]


# --- creates: looked up by key after a lost answer, never sent twice --------------------------------


def test_a_lost_user_create_is_found_with_one_search_and_its_id_serves_the_calls_after(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Beyond the contract's lost-answer case: the look-up is one search by user name among users of
    every status, and the id it finds is the one the inactivation and the membership that follow use."""
    _configure(project, damstra)
    project.write("people.yaml", _people(_user("ann", "groups: [crew]", "active: false")))
    project.write("groups.yaml", CREW)

    _, after = _apply_losing_one_answer(damstra, project, cli, "/user")

    state = _state(damstra)
    ann = _only(_users(state, "ann"))
    assert not _posts(after, "/user")
    assert _user_gets(after) == ["/user?q=ann&activeValue=all&startIndex=0&maxResults=100"]
    assert ("POST", f"{API}/user/{ann['id']}/inactivate") in [(call.method, call.path) for call in after]
    assert ann["client_status_id"] == 57
    assert _related(state, "memberships", "crew", "ann") == 1


def test_a_lost_bulk_import_is_found_by_reading_the_users_and_not_sent_again(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    names = [f"worker{n:02d}" for n in range(12)]  # enough for a bulk import
    _configure(project, damstra)
    project.write("people.yaml", _people(*(_user(name, "groups: [crew]") for name in names)))
    project.write("groups.yaml", CREW)

    _, after = _apply_losing_one_answer(damstra, project, cli, "/bulkUserImport")

    state = _state(damstra)
    assert not _posts(after, "/bulkUserImport")
    assert _user_gets(after) == ["/user?activeValue=all&startIndex=0&maxResults=100"]  # 13 users: 1 page
    for name in names:
        assert len(_users(state, name)) == 1
        assert _related(state, "memberships", "crew", name) == 1


def test_a_lost_bulk_import_that_made_only_some_users_imports_only_the_others(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Damstra does not document that an import is all or nothing (the emulator's is): when the first
    half of the users is made and the answer is lost, the second import carries only the others."""
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    monkeypatch.setattr(safe_writes, "_FIRST_PAUSE", 0.0)
    inner = create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    halved: list[bool] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] == f"{API}/bulkUserImport" and not halved:
            halved.append(True)
            body = json.loads(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
            half = json.dumps({**body, "users": body["users"][: len(body["users"]) // 2]}).encode()
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(half), str(len(half))
        return inner(environ, start_response)

    names = [f"worker{n:02d}" for n in range(12)]
    with EmulatorServer(app) as server:
        _configure(project, server)
        project.write("people.yaml", _people(*(_user(name) for name in names)))

        lost, after = _apply_losing_one_answer(server, project, cli, "/bulkUserImport")

        [again] = _posts(after, "/bulkUserImport")
        assert [row["userName"] for row in json.loads(lost.body)["users"]] == names
        assert [row["userName"] for row in json.loads(again.body)["users"]] == names[6:]
        state = _state(server)
        assert [len(_users(state, name)) for name in names] == [1] * 12


def test_a_lost_group_create_is_found_by_exact_name_and_not_sent_again(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", _people(_user("ann", "groups: [crew-site]")))
    # `crew` is created first (the parent) and loses its answer; `crew-site` also contains "crew".
    project.write("groups.yaml", CREW + "  - name: crew-site\n    parent: crew\n")

    lost, after = _apply_losing_one_answer(damstra, project, cli, "/group")

    state = _state(damstra)
    assert json.loads(lost.body)["name"] == "crew"
    assert [json.loads(call.body)["name"] for call in _posts(after, "/group")] == ["crew-site"]
    # The look-up, then one search per group made (another apply may have made it at the same moment).
    assert _gets(after) == [
        f"/group?q={name}&startIndex=0&maxResults=100" for name in ("crew", "crew", "crew-site")
    ]
    crew = _only(_groups(state, "crew"))
    assert _only(_groups(state, "crew-site"))["parent_id"] == crew["id"]  # the found id, recorded
    assert _related(state, "memberships", "crew-site", "ann") == 1


# --- writes Damstra makes idempotent: sent again -------------------------------------------------------


@dataclass(frozen=True)
class Resent:
    """A write sent again after its answer is lost: what exists first, what the manifests then say,
    the write (a regex), and what must then hold."""

    before: dict[str, str]
    after: dict[str, str]
    path: str
    check: Callable[[State], bool]


ANN_IN_CREW = {"people.yaml": _people(_user("ann", "groups: [crew]")), "groups.yaml": CREW}
ANN_SUPERVISES = {"people.yaml": _people(_user("ann", "supervises: [crew]")), "groups.yaml": CREW}
ANN_ALONE = {"people.yaml": _people(_user("ann")), "groups.yaml": CREW}
ANN_AND_BOB = {"people.yaml": _people(_user("ann"), _user("bob")), "groups.yaml": CREW}

RESENT = {
    "members removed": Resent(
        ANN_IN_CREW,
        ANN_ALONE,
        r"/group/\d+/remove_members",
        lambda s: _related(s, "memberships", "crew", "ann") == 0,
    ),
    "supervisors removed": Resent(
        ANN_SUPERVISES,
        ANN_ALONE,
        r"/group/\d+/remove_supervisors",
        lambda s: _related(s, "supervisions", "crew", "ann") == 0,
    ),
    "user updated": Resent(
        ANN_ALONE,
        {**ANN_ALONE, "people.yaml": _people(_user("ann", "phone: '0811112222'"))},
        r"/user/\d+",
        lambda s: _only(_users(s, "ann"))["phone_number"] == "0811112222",
    ),
    # Two changed users are one bulk merge on user name; a repeat sets the same values again.
    "users merged": Resent(
        ANN_AND_BOB,
        {**ANN_AND_BOB, "people.yaml": _people(_user("ann", "phone: '0811'"), _user("bob", "phone: '0822'"))},
        r"/bulkUserImport",
        lambda s: [_only(_users(s, name))["phone_number"] for name in ("ann", "bob")] == ["0811", "0822"],
    ),
    "user inactivated": Resent(
        ANN_ALONE,
        {**ANN_ALONE, "people.yaml": _people(_user("ann", "active: false"))},
        r"/user/\d+/inactivate",
        lambda s: _only(_users(s, "ann"))["client_status_id"] == 57,
    ),
    "user reactivated": Resent(
        {**ANN_ALONE, "people.yaml": _people(_user("ann", "active: false"))},
        ANN_ALONE,
        r"/user/\d+/activate",
        lambda s: _only(_users(s, "ann"))["client_status_id"] == 56,
    ),
    "group updated": Resent(
        ANN_ALONE,
        {**ANN_ALONE, "groups.yaml": CREW.replace("The crew", "The night crew")},
        r"/group/\d+",
        lambda s: _only(_groups(s, "crew"))["description"] == "The night crew",
    ),
    # The repeat finds the group inactive already (404), which is what was wanted.
    "group inactivated": Resent(
        ANN_ALONE,
        {"people.yaml": ANN_ALONE["people.yaml"]},
        r"/group/\d+/inactivate",
        lambda s: [g["active"] for g in _groups(s, "crew")] == [False],
    ),
}


@pytest.mark.parametrize("case", RESENT.values(), ids=RESENT.keys())
def test_a_write_damstra_makes_idempotent_is_sent_again_after_a_lost_answer(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, case: Resent
) -> None:
    _configure(project, damstra)
    for name, text in case.before.items():
        project.write(name, text)
    _apply(project, cli)
    for stale in set(case.before) - set(case.after):
        (project.root / stale).unlink()
    for name, text in case.after.items():
        project.write(name, text)

    lost, after = _apply_losing_one_answer(damstra, project, cli, case.path)

    assert case.check(_state(damstra))
    # Sent once more, the same call, and nothing is read.
    [again] = [call for call in after if (call.method, call.path) == ("POST", lost.path)]
    assert (again.method, again.body) == (lost.method, lost.body)
    assert _gets(after) == []


def test_a_schedule_made_elsewhere_meanwhile_and_a_lost_answer_still_complete(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web app schedules one of two lessons between lmsform's read and its write: Damstra refuses
    the call (409), lmsform narrows it to the other lesson, and that call's answer is lost. Its repeat
    gets 409 again, and a second read finds both held."""
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    inner = create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    schedules = re.compile(rf"{API}/user/\d+/lesson_schedule")
    elsewhere: dict[str, Any] = {}  # the body the web app sends, once armed
    done: list[str] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        if elsewhere and schedules.fullmatch(path) and method == "POST" and "scheduled" not in done:
            done.append("scheduled")
            made = EnvironBuilder(
                path=path, method="POST", json=elsewhere, headers=[("AccessKey", CANARY_KEY)]
            )
            run_wsgi_app(inner, made.get_environ())
        elif "scheduled" in done and schedules.fullmatch(path) and method == "GET" and "armed" not in done:
            done.append("armed")
            server.recorder.drop_answers("POST", schedules.pattern, 1)  # the narrowed call's answer
        return inner(environ, start_response)

    with EmulatorServer(app) as server:
        seed = {"lessons": [{"name": name, "status": "active"} for name in (LESSON, "Fire Safety")]}
        seeded = requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).json()
        _configure(project, server)
        project.write("people.yaml", _people(_user("ann")))
        _apply(project, cli)
        project.write("enrollments.yaml", f"enrollments:\n  - course: {LESSON}\n    users: [ann]\n")
        project.write("fire.yaml", "enrollments:\n  - course: Fire Safety\n    users: [ann]\n")
        elsewhere.update(lessonVersionIds=[seeded["lessons"][0]["currentVersionId"]])
        before = len(server.requests)

        _apply(project, cli)

        calls = [(call.method, call.status, call.dropped) for call in api_calls(server, since=before)]
        writing = calls[calls.index(("POST", 409, False)) :]
        assert writing == [
            ("POST", 409, False),  # both lessons: one is held now
            ("GET", 200, False),  # the user's schedules
            ("POST", 200, True),  # the other lesson: made, the answer lost
            ("POST", 409, False),  # its repeat
            ("GET", 200, False),  # both held: done
        ]
        assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0
        assert len(_state(server)["lessonSchedules"]) == 2
