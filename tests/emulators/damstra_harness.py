"""A running Damstra emulator, a client for it, and the fixtures the Damstra emulator tests share.

The tests share one server, emptied through the reset hook before every test (`damstra`): far cheaper
than a server per test. Test modules import the fixture by name (`import damstra as damstra`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, create_app, emulator_store
from lmsform.providers.emulation.server import EmulatorServer

KEY = "3f9a0c1d2e"
API = "/api/v2"
F1 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000"
F2 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
F3 = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
E806L = {
    "message": "AccessKey does not exist",
    "reason": "Invalid access key",
    "internalCode": 806,
    "error": "Invalid security token",
}
E806S = {"internalCode": 806, "error": "Token not valid"}
E831 = {"internalCode": 831, "error": "You are not authorised to make this request"}


class Damstra:
    """A running emulator and a `requests` session that sends the access key on every call."""

    def __init__(self, server: EmulatorServer, key: str = KEY) -> None:
        self.server = server
        self.key = key
        self.session = requests.Session()
        self.session.headers["AccessKey"] = key

    @property
    def url(self) -> str:
        return self.server.url

    def fresh(self) -> Damstra:
        """Empty state (but the owner) and a clean request log, for the next test."""
        assert requests.post(f"{self.url}/_emulator/reset", timeout=10).status_code == 204
        self.server.recorder.clear()
        self.session.headers["AccessKey"] = self.key
        return self

    def stop(self) -> None:
        self.session.close()
        self.server.stop()

    # --- raw calls; paths are under /api/v2 unless they start with /_emulator ---

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        prefix = "" if path.startswith("/_emulator") else API
        return self.session.request(method, f"{self.url}{prefix}{path}", timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer of a call that must succeed with 200."""
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    # --- test hooks ---

    def seed(self, document: dict[str, Any]) -> dict[str, Any]:
        response = self.post("/_emulator/seed", json=document)
        assert response.status_code == 201, response.text
        seeded: dict[str, Any] = response.json()
        return seeded

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.get("/_emulator/state").json()
        return state

    def set_clock(self, now: str | None) -> None:
        assert self.post("/_emulator/clock", json={"now": now}).status_code == 200

    # --- shortcuts that must succeed ---

    def owner(self) -> dict[str, Any]:
        [owner] = [user for user in self.users(activeValue="all") if 7 in user["roles"]]
        return owner

    def users(self, **params: Any) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.ok("GET", "/user", params={"maxResults": 100, **params})[
            "results"
        ]
        return results

    def user(self, user_id: int) -> dict[str, Any]:
        user: dict[str, Any] = self.ok("GET", f"/user/{user_id}")
        return user

    def create_user(self, user_name: str, **fields: Any) -> int:
        body = {
            "userName": user_name,
            "firstName": user_name.capitalize(),
            "lastName": "Tester",
            "emailAddress": f"{user_name}@example.com",
            "sendWelcomeEmail": False,
            **fields,
        }
        user_id: int = self.ok("POST", "/user", json=body)["id"]
        return user_id

    def create_group(self, name: str, **fields: Any) -> int:
        group_id: int = self.ok(
            "POST", "/group", json={"name": name, "description": f"About {name}", **fields}
        )["id"]
        return group_id

    def group(self, group_id: int) -> dict[str, Any]:
        group: dict[str, Any] = self.ok("GET", f"/group/{group_id}")
        return group

    def update_body(self, user_id: int, **changes: Any) -> dict[str, Any]:
        """A full update body made from the user as it is (read-modify-write), with `changes` applied."""
        user = self.user(user_id)
        required = ("id", "firstName", "lastName", "emailAddress", "phoneNumber", "mobileNumber")
        body = {name: user[name] for name in (*required, "employeeNumber", "roles", "timeZone")}
        return {**body, **changes}


def start_damstra(
    state_path: Path, *, access_key: str | None = KEY, options: DamstraEmulatorOptions | None = None
) -> Damstra:
    app = create_app(state_path, access_key=access_key, options=options or DamstraEmulatorOptions())
    server = EmulatorServer(app, on_stop=emulator_store(app).close).start()
    return Damstra(server)


_SHARED_SERVER = pytest.StashKey[Damstra]()


@pytest.fixture
def damstra(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Damstra:
    """Default options, key `KEY`, only the owner in the organisation, the clock running.

    One server serves every Damstra test of the session (started by the first that needs it, stopped
    when the session ends), emptied through the reset hook before each test.
    """
    stash = request.config.stash
    if _SHARED_SERVER not in stash:
        emulator = start_damstra(tmp_path_factory.mktemp("damstra") / "state.sqlite3")
        stash[_SHARED_SERVER] = emulator
        request.config.add_cleanup(emulator.stop)
    return stash[_SHARED_SERVER].fresh()


def page_ids(response: requests.Response, key: str = "id") -> list[int]:
    assert response.status_code == 200, response.text
    return [row[key] for row in response.json()["results"]]
