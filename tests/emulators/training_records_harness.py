"""A running Training Records emulator, a client for it, and the fixtures its tests share.

The tests share one server (`records_api`: username `lmsform`, key `KEY`, API at the root), emptied
through the reset hook before every test; `start_records_api` starts more, with other options, on a
test's own state file. Test modules import the fixtures by name
(`from tests.emulators.training_records_harness import records_api as records_api`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.training_records.emulator import (
    TrainingRecordsEmulatorOptions,
    create_app,
    emulator_store,
)

USERNAME = "lmsform"
KEY = "tr-4f1c9a7e2b"
RECORDS = "/training/record/"
GENERATED_ID = r"[0-9a-z]{12}"
UTC_SECONDS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
WRONG_DATE = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
Auth = tuple[str, str] | None
_DEFAULT: Any = object()


def basic(username: str, key: str) -> str:
    """An `Authorization` header value."""
    return "Basic " + base64.b64encode(f"{username}:{key}".encode()).decode()


class TrainingRecordsApi:
    """A running emulator and a `requests` session that authenticates as `USERNAME`/`KEY` by default."""

    def __init__(self, server: EmulatorServer, *, prefix: str = "", auth: Auth = (USERNAME, KEY)) -> None:
        self.server = server
        self.prefix = prefix
        self.auth = auth
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or .netrc credentials from the environment

    @property
    def url(self) -> str:
        return self.server.url

    def fresh(self) -> TrainingRecordsApi:
        """Empty state and a clean request log, for the next test."""
        assert self.session.post(f"{self.url}/_emulator/reset", timeout=10).status_code == 204
        self.server.recorder.clear()
        return self

    def stop(self) -> None:
        self.session.close()
        self.server.stop()

    # --- raw calls; paths are under the prefix unless they start with /_emulator ---

    def call(self, method: str, path: str, *, auth: Auth = _DEFAULT, **kwargs: Any) -> requests.Response:
        """`auth` None sends no credentials (unless `headers` carry some)."""
        prefix = "" if path.startswith("/_emulator") else self.prefix
        return self.session.request(
            method,
            f"{self.url}{prefix}{path}",
            auth=self.auth if auth is _DEFAULT else auth,
            timeout=30,
            allow_redirects=False,
            **kwargs,
        )

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

    # --- the resource ---

    def create(self, **fields: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.ok("POST", RECORDS, 201, json=fields)
        return created

    def record(self, api_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.ok("GET", f"{RECORDS}{api_id}/")
        return record

    def listing(self, **params: Any) -> Any:
        return self.ok("GET", RECORDS, params=params)

    def read_all(self, limit: int, **params: Any) -> list[dict[str, Any]]:
        """Every record, page by page, following `next` until it is null."""
        page = self.listing(limit=limit, **params)
        records: list[dict[str, Any]] = page["results"]
        while page["next"] is not None:
            response = self.session.get(page["next"], auth=self.auth, timeout=30)
            assert response.status_code == 200, response.text
            page = response.json()
            records += page["results"]
        return records

    # --- test hooks ---

    def seed(self, document: dict[str, Any]) -> dict[str, Any]:
        seeded: dict[str, Any] = self.ok("POST", "/_emulator/seed", 201, json=document)
        return seeded

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.ok("GET", "/_emulator/state")
        return state

    def counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = self.ok("GET", "/_emulator/requests")
        return counts


def assert_detail(response: requests.Response, status: int, message: str | None = None) -> None:
    """A `{"detail": …}` answer with `status` (and `message`, when given)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"], body
    if message is not None:
        assert body["detail"] == message


def assert_invalid(response: requests.Response, errors: dict[str, list[str]]) -> None:
    """A 400 validation answer with exactly these field errors."""
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == errors


def start_training_records(
    state_path: Path,
    *,
    api_key: str | None = KEY,
    options: TrainingRecordsEmulatorOptions | None = None,
    auth: Auth = (USERNAME, KEY),
) -> TrainingRecordsApi:
    app = create_app(state_path, api_key=api_key, options=options)
    server = EmulatorServer(app, on_stop=emulator_store(app).close).start()
    return TrainingRecordsApi(server, prefix=(options or TrainingRecordsEmulatorOptions()).mount, auth=auth)


StartRecordsApi = Callable[..., TrainingRecordsApi]
"""The `start_records_api` fixture: `start(api_key=KEY, options=None, auth=(USERNAME, KEY),
state_path=None)`."""

_SHARED_SERVER = pytest.StashKey[TrainingRecordsApi]()


@pytest.fixture
def records_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrainingRecordsApi]:
    """Username `lmsform`, key `KEY`, the API at the root, nothing in it.

    One server serves every Training Records test of the session (started by the first that needs it,
    stopped when the session ends), emptied through the reset hook before each test.
    """
    stash = request.config.stash
    if _SHARED_SERVER not in stash:
        emulator = start_training_records(tmp_path_factory.mktemp("training_records") / "state.sqlite3")
        stash[_SHARED_SERVER] = emulator
        request.config.add_cleanup(emulator.stop)
    yield stash[_SHARED_SERVER].fresh()


@pytest.fixture
def start_records_api(tmp_path: Path) -> Iterator[StartRecordsApi]:
    """Start more emulators (on `tmp_path/state.sqlite3` unless a `state_path` is given); all stop at
    teardown."""
    running: list[TrainingRecordsApi] = []

    def start(*, state_path: Path | None = None, **kwargs: Any) -> TrainingRecordsApi:
        running.append(start_training_records(state_path or tmp_path / "state.sqlite3", **kwargs))
        return running[-1]

    yield start
    for emulator in running:
        emulator.stop()


WORLD: dict[str, Any] = {
    "people": [
        {"api_id": "p-ada", "name": "Ada Lovelace", "email": "ada@example.com"},
        {"api_id": "p-bob", "name": "Bob Builder"},
        {"api_id": "p-cy", "name": "Cy Straße"},
    ],
    "packages": [
        {"api_id": "pkg-fire", "description": "Fire safety awareness"},
        {"api_id": "pkg-first-aid", "description": "First aid basics"},
        {"api_id": "pkg-gdpr", "description": "Data protection (GDPR)"},
    ],
}
"""Three people (one with an e-mail, one whose name needs case folding) and three packages."""


def seed_world(emulator: TrainingRecordsApi) -> dict[str, Any]:
    return emulator.seed(WORLD)
