"""Test hooks under `/_emulator/` (not vendor surface; no `SID` needed; versal.md D23).

* `GET  /_emulator/state` — every table, the pending faults and the primary org.
* `POST /_emulator/reset` — 204; everything goes but the primary org (and so its key); seeded orgs,
  faults and request counts too. Id counters keep counting.
* `POST /_emulator/seed` — 201 with the ids made (see `seeding`).
* `POST /_emulator/faults` — `{"method", "path": <regex, fullmatch on the path with /api2>,
  "status": 429|503 = 503, "count": 1, "retryAfter": 1}`: the next `count` matching requests answer
  `status` with `Retry-After: <retryAfter>` (the shared `emulation.faults.RetryLaterFaults`). 201 with
  the pending faults.
* `GET  /_emulator/requests` — `{"total": n, "routes": {"GET /courses/{courseId}": n, …}}`.

Hook bodies are read as JSON whatever their content type; an empty body is `{}`.
"""

from __future__ import annotations

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.versal.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.versal.emulator.errors import bad_request
from lmsform.providers.versal.emulator.requests_in import hook_body
from lmsform.providers.versal.emulator.seeding import seed


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
            "faults": self.faults.as_json(),
        }
        return json_response(state)

    def reset_state(self) -> flask.Response:
        self.store.reset()
        self.faults.clear()
        self.counts.clear()
        return empty_response()

    def seed_state(self) -> flask.Response:
        return json_response(seed(self.store, hook_body()), 201)

    def add_fault(self) -> flask.Response:
        try:
            self.faults.arm_from_json(hook_body())
        except ValueError as error:
            raise bad_request(str(error)) from None
        return json_response({"faults": self.faults.as_json()}, 201)

    def request_counts(self) -> flask.Response:
        return json_response(self.counts.as_json())
