"""A running Versal emulator, a client for it that checks every exchange against Versal's spec, and
the fixture the Versal emulator tests share.

The tests share one server (`versal`, date-only dates so that responses validate against the spec's
`format: date`), emptied through the reset hook before every test. After each test every exchange is
checked with `tests.versal_oracle`: requests against the spec (unless the test sent them malformed on
purpose, `malformed=True`), and 2xx responses too. Test modules import the fixture by name
(`from tests.emulators.versal_harness import versal as versal`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.versal.emulator import VersalEmulatorOptions, create_app, emulator_store
from tests.versal_oracle import exchange_errors, response_errors

KEY = "5f0c2d9e-3b7a-4c41-9e8d-2a6b7c1d0e4f"
OTHER_KEY = "b3e1f0a2-7d6c-4e59-8a1b-9c0d2e3f4a5b"
ORG = 4242
OTHER_ORG = 777
API = "/api2"
DATE = r"\d{4}-\d\d-\d\d"
DATETIME_MS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
DATE_ONLY = VersalEmulatorOptions(date_fields="date")


class Versal:
    """A running emulator and a `requests` session that sends the org's API key as `SID`."""

    def __init__(self, server: EmulatorServer, key: str = KEY) -> None:
        self.server = server
        self.key = key
        self.session = requests.Session()
        self._unchecked: set[int] = set()

    @property
    def url(self) -> str:
        return self.server.url

    def fresh(self) -> Versal:
        """Empty state (but the org) and a clean request log, for the next test."""
        assert requests.post(f"{self.url}/_emulator/reset", timeout=10).status_code == 204
        self.server.recorder.clear()
        self._unchecked.clear()
        return self

    def stop(self) -> None:
        self.session.close()
        self.server.stop()

    # --- raw calls; paths are under /api2 unless they start with /_emulator ---

    def call(
        self, method: str, path: str, *, sid: str | None = "", malformed: bool = False, **kwargs: Any
    ) -> requests.Response:
        """`sid` "" sends the org key, None no `SID`; `malformed` exempts the request from spec checks."""
        prefix = "" if path.startswith("/_emulator") else API
        headers = dict(kwargs.pop("headers", {}))
        if sid is not None:
            headers.setdefault("SID", sid or self.key)
        response = self.session.request(
            method, f"{self.url}{prefix}{path}", headers=headers, timeout=10, **kwargs
        )
        if malformed:
            self._unchecked.add(len(self.server.requests) - 1)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        """The JSON answer of a call that must succeed with `status`."""
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        assert response.headers["Content-Type"] == "application/json"
        return response.json()

    def spec_problems(self) -> list[str]:
        """Every way the exchanges so far break the spec (requests sent malformed on purpose excepted)."""
        problems = []
        for index, record in enumerate(self.server.requests):
            if index not in self._unchecked:
                problems += exchange_errors([record], responses=True)
            elif 200 <= record.status < 300 and not record.path.startswith("/_emulator"):
                problems += [f"response to {record.url_path}: {p}" for p in response_errors(record)]
        return problems

    # --- test hooks ---

    def seed(self, document: dict[str, Any]) -> dict[str, Any]:
        response = self.post("/_emulator/seed", json=document)
        assert response.status_code == 201, response.text
        seeded: dict[str, Any] = response.json()
        return seeded

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.get("/_emulator/state").json()
        return state

    def fault(self, method: str, path: str, **rule: Any) -> None:
        response = self.post("/_emulator/faults", json={"method": method, "path": path, **rule})
        assert response.status_code == 201, response.text

    # --- shortcuts that must succeed ---

    def add_user(self, email: str, roles: list[str] | None = None, **profile: str) -> dict[str, Any]:
        body = {"roles": ["learner"] if roles is None else roles, "user": {"email": email, **profile}}
        created: dict[str, Any] = self.ok("POST", f"/orgs/{ORG}/users", 201, json=body)
        return created

    def user_id(self, email: str, roles: list[str] | None = None, **profile: str) -> str:
        user_id: str = self.add_user(email, roles, **profile)["user"]["id"]
        return user_id

    def session_for(self, email: str) -> str:
        session_id: str = self.ok("POST", "/sessions", 201, json={"email": email})["sessionId"]
        return session_id

    def members(self, **params: Any) -> list[dict[str, Any]]:
        members: list[dict[str, Any]] = self.ok(
            "GET", f"/orgs/{ORG}/members", params={"perPage": 100, **params}
        )
        return members

    def roles_of(self) -> dict[str, list[str]]:
        """Each member's e-mail → org roles, from the member listing."""
        return {member["user"]["email"]: member["roles"] for member in self.members()}

    def tracked(self, course_id: str, **params: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.ok(
            "GET", f"/courses/{course_id}/userdata", params={"perPage": 100, **params}
        )
        return rows


def assert_error(response: requests.Response, status: int, message: str | None = None) -> None:
    """An `Error_View_Model` answer with `status` (and `message`, when given)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == status, body
    assert isinstance(body["message"], str) and body["message"]
    if message is not None:
        assert body["message"] == message


def start_versal(
    state_path: Path, *, api_key: str | None = KEY, options: VersalEmulatorOptions = DATE_ONLY
) -> Versal:
    app = create_app(state_path, api_key=api_key, options=options)
    server = EmulatorServer(app, on_stop=emulator_store(app).close).start()
    return Versal(server)


StartVersal = Callable[..., Versal]
"""The `start` fixture: `start(api_key=KEY, options=DATE_ONLY, state_path=None, check_responses=True)`."""

_SHARED_SERVER = pytest.StashKey[Versal]()


@pytest.fixture
def versal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Versal]:
    """Org 4242 with key `KEY` and nothing in it, date-only dates, paging headers in both forms.

    One server serves every Versal test of the session (started by the first that needs it, stopped
    when the session ends), emptied through the reset hook before each test. At teardown every
    exchange of the test must satisfy the spec.
    """
    stash = request.config.stash
    if _SHARED_SERVER not in stash:
        emulator = start_versal(tmp_path_factory.mktemp("versal") / "state.sqlite3")
        stash[_SHARED_SERVER] = emulator
        request.config.add_cleanup(emulator.stop)
    emulator = stash[_SHARED_SERVER].fresh()
    yield emulator
    assert emulator.spec_problems() == []


@pytest.fixture
def start(tmp_path: Path) -> Iterator[StartVersal]:
    """Start more emulators (`start(api_key=…, options=…)`, on `tmp_path/state.sqlite3` unless a
    `state_path` is given); each must have kept to the spec by teardown, and all are stopped."""
    running: list[tuple[Versal, bool]] = []

    def start_one(*, state_path: Path | None = None, check_responses: bool = True, **kwargs: Any) -> Versal:
        emulator = start_versal(state_path or tmp_path / "state.sqlite3", **kwargs)
        running.append((emulator, check_responses))
        return emulator

    yield start_one
    problems = []
    for emulator, check_responses in running:
        emulator.stop()
        found = emulator.spec_problems()
        problems += found if check_responses else [p for p in found if p.startswith("request")]
    assert problems == []


WORLD: dict[str, Any] = {
    "orgs": [{"id": OTHER_ORG, "name": "Other Org", "api_key": OTHER_KEY}],
    "users": [
        {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace", "roles": ["admin"]},
        {"email": "bob@example.com", "firstname": "Bob", "roles": ["learner"]},
        {"email": "cy@example.com", "fullname": "Cy Young", "roles": ["member"]},
        {"email": "zed@other.example", "org": OTHER_ORG, "roles": ["learner"]},
    ],
    "courses": [
        {
            "title": "Intro to Safety",
            "shortDesc": "Basics",
            "tags": ["safety"],
            "public": True,
            "catalogs": ["sandbox", "labs"],
            "createdAt": "2024-01-02T03:04:05.678Z",
            "lessons": [
                {"title": "Welcome", "gadgets": [{"type": "text", "config": {"body": "Hi"}}]},
                {
                    "title": "Quiz",
                    "gadgets": [
                        {
                            "type": "quiz",
                            "config": {"question": "2+2?"},
                            "private": {"answer": "4"},
                            "userdata": {
                                "bob@example.com": {"answer": "4"},
                                "cy@example.com": {"answer": "5"},
                            },
                        }
                    ],
                },
            ],
            "authors": ["cy@example.com"],
            "learners": ["bob@example.com"],
            "tracked": ["bob@example.com"],
            "progress": {"cy@example.com": {"startDate": "2024-02-01", "currentLesson": 1}},
        },
        {"title": "Draft Course", "catalogs": ["sandbox"]},
        {"title": "Elsewhere", "org": OTHER_ORG, "catalogs": ["labs"]},
    ],
}
"""Three users in org 4242 (an admin, a learner, a role-less author), one in org 777; a published
course with two lessons and gadgets, a draft, and a course of the other org."""


def seed_world(versal: Versal) -> dict[str, Any]:
    """Seed `WORLD`; answers the ids by name: `ada`, `bob`, `cy`, `zed`, `intro`, `draft`, `elsewhere`,
    `welcome`, `quiz` (lessons), `text`, `quiz_gadget`."""
    seeded = versal.seed(WORLD)
    users = {user["email"].split("@")[0]: user["id"] for user in seeded["users"]}
    intro, draft, elsewhere = seeded["courses"]
    welcome, quiz = intro["lessons"]
    return {
        **users,
        "intro": intro["id"],
        "draft": draft["id"],
        "elsewhere": elsewhere["id"],
        "welcome": welcome["id"],
        "quiz": quiz["id"],
        "text": welcome["gadgets"][0]["id"],
        "quiz_gadget": quiz["gadgets"][0]["id"],
    }
