"""A running Skilljar emulator and a client that checks every successful exchange against Skilljar's spec."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openapi_core
import requests
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app, emulator_store
from tests import oracle

DOMAIN = "acme.skilljar.com"
OTHER_DOMAIN = "beta.skilljar.com"
KEY = "k"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
OBJECT_ID = re.compile(r"[a-z0-9]{13}")


def _describe(errors: Any) -> str:
    return "; ".join(f"{error!r} caused by {error.__cause__!r}" for error in errors)


def _with_sampled_body(response: requests.Response) -> tuple[requests.PreparedRequest, requests.Response]:
    request = response.request.copy()
    if request.body and request.headers.get("Content-Type") == "application/json":
        request.body = json.dumps(oracle.sampled(json.loads(request.body))).encode()
    sampled = copy.copy(response)
    if response.headers.get("Content-Type") == "application/json":
        sampled._content = json.dumps(oracle.sampled(response.json())).encode()
    sampled.request = request
    return request, sampled


class Emulator:
    """A running emulator plus a client that checks each successful exchange against the spec."""

    def __init__(self, server: EmulatorServer, spec: openapi_core.OpenAPI, key: str) -> None:
        self.server = server
        self.spec = spec
        self.session = requests.Session()
        self.session.auth = (key, "")
        self.checked = 0

    @property
    def url(self) -> str:
        return self.server.url

    def fresh(self) -> Emulator:
        """Empty state and a clean request log, for the next test."""
        assert requests.post(f"{self.url}/_emulator/reset", timeout=10).status_code == 204
        self.server.recorder.clear()
        self.checked = 0
        return self

    def assert_every_success_was_checked(self) -> None:
        successes = [
            record
            for record in self.server.requests
            if record.path.startswith("/v1/") and 200 <= record.status < 300
        ]
        assert self.checked == len(successes), "a successful API call bypassed spec validation"

    def call(
        self,
        method: str,
        path: str,
        *,
        check_request: bool = True,
        check_response: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        """Send a request; a 2xx answer must come from a spec-valid request and be a spec-valid response."""
        target = path if path.startswith("http") else self.url + path
        response = self.session.request(method, target, timeout=10, **kwargs)
        if response.ok and "/_emulator/" not in target:
            self.checked += 1
            if check_request:
                self.assert_request_valid(response)
            if check_response:
                self.assert_response_valid(response)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def assert_request_valid(self, response: requests.Response) -> None:
        request, _ = _with_sampled_body(response)
        result = self.spec.unmarshal_request(RequestsOpenAPIRequest(request))
        assert not result.errors, f"{request.method} {request.url}: {_describe(result.errors)}"

    def assert_response_valid(self, response: requests.Response) -> None:
        request, sampled = _with_sampled_body(response)
        result = self.spec.unmarshal_response(
            RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(sampled)
        )
        assert not result.errors, f"{request.method} {request.url}: {_describe(result.errors)}"

    def assert_items_valid(self, response: requests.Response) -> None:
        """`GET /v1/users` answers an envelope, but the spec declares a bare array: check the items."""
        as_array = copy.copy(response)
        as_array._content = json.dumps(response.json()["results"]).encode()
        self.assert_response_valid(as_array)

    # --- test hooks ---

    def seed(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post("/_emulator/seed", json=body)
        assert response.status_code == 201, response.text
        seeded: dict[str, Any] = response.json()
        return seeded

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.get("/_emulator/state").json()
        return state

    # --- shortcuts that must succeed ---

    def created(self, path: str, body: Any) -> dict[str, Any]:
        response = self.post(path, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def add_domain_user(self, email: str, *, domain: str = DOMAIN, **fields: Any) -> dict[str, Any]:
        user: dict[str, Any] = {"email": email}
        user.update({name: fields.pop(name) for name in ("first_name", "last_name") if name in fields})
        return self.created(f"/v1/domains/{domain}/users", {"user": user, **fields})

    def member_id(self, email: str, *, domain: str = DOMAIN, **fields: Any) -> str:
        user_id: str = self.add_domain_user(email, domain=domain, **fields)["user"]["id"]
        return user_id

    def create_group(self, name: str, **fields: Any) -> dict[str, Any]:
        return self.created("/v1/groups", {"name": name, **fields})

    def create_course(self, title: str, **fields: Any) -> dict[str, Any]:
        body = {"short_description": f"About {title}", "enforce_sequential_navigation": False, **fields}
        return self.created("/v1/courses", {"title": title, **body})

    def publish(self, course_id: str, *, domain: str = DOMAIN, **settings: Any) -> dict[str, Any]:
        return self.created(
            f"/v1/domains/{domain}/published-courses", {"course": {"id": course_id}, **settings}
        )

    def publish_path(self, slug: str, title: str, *, domain: str = DOMAIN, **fields: Any) -> dict[str, Any]:
        body = {"slug": slug, "path": {"title": title}, **fields}
        return self.created(f"/v1/domains/{domain}/published-paths", body)


StartEmulator = Callable[..., "Emulator"]
"""The `start_emulator` fixture: `start(options=None)` runs another emulator on the test's state file."""


def start_emulator_on(
    state_path: Path,
    spec: openapi_core.OpenAPI,
    *,
    api_key: str | None = KEY,
    client_key: str = KEY,
    options: SkilljarEmulatorOptions | None = None,
) -> Emulator:
    app = create_app(state_path, api_key=api_key, options=options or SkilljarEmulatorOptions())
    server = EmulatorServer(app, on_stop=emulator_store(app).close).start()
    return Emulator(server, spec, client_key)


def seed_members(emulator: Emulator, count: int, *, prefix: str = "user", active: bool = True) -> None:
    users = [
        {"email": f"{prefix}{index:05d}@example.com", "domains": [{"name": DOMAIN, "active": active}]}
        for index in range(count)
    ]
    emulator.seed({"users": users})


def collect_pages(emulator: Emulator, first_url: str) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    url: str | None = first_url
    while url is not None:
        response = emulator.get(url)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url = pages[-1]["next"]
    return pages
