"""Test hooks under `/_emulator/` (not vendor surface; no `SID` needed; §5 #23).

* `GET  /_emulator/state` — every table, the pending faults and the primary org.
* `POST /_emulator/reset` — 204; everything goes but the primary org (and so its key); seeded orgs,
  faults and request counts too. Id counters keep counting.
* `POST /_emulator/seed` — 201 with the ids made (see `seeding`).
* `POST /_emulator/faults` — `{"method", "path": <regex, fullmatch on the path with /api2>,
  "status": 429|503 = 503, "count": 1, "retryAfter": 1}`: the next `count` matching requests answer
  `status` with `Retry-After: <retryAfter>`. 201 with the pending faults.
* `GET  /_emulator/requests` — `{"total": n, "routes": {"GET /courses/{courseId}": n, …}}`.

Hook bodies are read as JSON whatever their content type; an empty body is `{}`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import flask

from lmsform.providers.versal.emulator.area import ApiArea, Operation, Routes, json_response
from lmsform.providers.versal.emulator.errors import bad_request
from lmsform.providers.versal.emulator.seeding import seed
from lmsform.providers.versal.emulator.traffic import FAULT_MESSAGES, FaultRule

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def hook_body() -> dict[str, Any]:
    raw = flask.request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Malformed JSON body") from None
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object")
    return data


def _positive(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad_request(f"{name} must be a positive integer")
    return value


def read_fault(body: dict[str, Any]) -> FaultRule:
    method, path = body.get("method"), body.get("path")
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
        raise bad_request(f"method must be one of {', '.join(HTTP_METHODS)}")
    if not isinstance(path, str):
        raise bad_request("path must be a regular expression")
    try:
        pattern = re.compile(path)
    except re.error as error:
        raise bad_request(f"path is not a regular expression: {error}") from None
    status = body.get("status", 503)
    if status not in FAULT_MESSAGES:
        raise bad_request("status must be 429 or 503")
    return FaultRule(
        method.upper(), pattern, status, _positive(body, "count", 1), _positive(body, "retryAfter", 1)
    )


class HookApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/state", {"GET": Operation(self.dump_state)}),
            ("/reset", {"POST": Operation(self.reset_state)}),
            ("/seed", {"POST": Operation(self.seed_state)}),
            ("/faults", {"POST": Operation(self.add_fault)}),
            ("/requests", {"GET": Operation(self.request_counts)}),
        )

    def dump_state(self) -> flask.Response:
        primary = self.store.primary_org()
        state = {
            **self.store.dump(),
            "primaryOrg": {"id": primary.id, "name": primary.name},
            "faults": self.traffic.faults(),
        }
        return json_response(state)

    def reset_state(self) -> flask.Response:
        self.store.reset()
        self.traffic.clear()
        response = flask.Response(b"", status=204)
        del response.headers["Content-Type"]
        return response

    def seed_state(self) -> flask.Response:
        return json_response(seed(self.store, hook_body()), 201)

    def add_fault(self) -> flask.Response:
        self.traffic.add_fault(read_fault(hook_body()))
        return json_response({"faults": self.traffic.faults()}, 201)

    def request_counts(self) -> flask.Response:
        return json_response(self.traffic.counts())
