"""Test hooks under `/_emulator/` (not vendor surface; no credentials; never under the prefix;
training-records.md D13).

* `GET  /_emulator/state` — every table: `{"people", "packages", "records"}`, in insertion order.
* `POST /_emulator/reset` — 204; empties every table and the request counts. The sequence behind the
  creation order is not rewound (SQLite `AUTOINCREMENT`).
* `POST /_emulator/seed` — 201 with what was made (`seeding`).
* `POST /_emulator/people`, `POST /_emulator/packages` — one object or an array of them, upserted into
  the registry (the `people` or `packages` section of a seed); 201 with the array as stored.
* `GET  /_emulator/requests` — `{"total": n, "routes": {"GET /training/record/": n, …}}` (`context`).

Hook bodies are read as JSON whatever their content type; an empty body is `{}`. Each hook runs in one
transaction, like the API.
"""

from __future__ import annotations

from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.training_records.emulator.context import (
    ApiArea,
    Route,
    Routes,
)
from lmsform.providers.training_records.emulator.requests_in import json_body, json_value
from lmsform.providers.training_records.emulator.seeding import seed


class HookApi(ApiArea):
    def routes(self) -> Routes:
        return (
            Route("/state", "State", {"GET": self.dump_state}),
            Route("/reset", "Reset", {"POST": self.reset_state}),
            Route("/seed", "Seed", {"POST": self.seed_state}),
            Route("/people", "People", {"POST": self.add_people}),
            Route("/packages", "Packages", {"POST": self.add_packages}),
            Route("/requests", "Requests", {"GET": self.request_counts}),
        )

    def dump_state(self) -> flask.Response:
        return json_response(self.store.dump())

    def reset_state(self) -> flask.Response:
        self.store.reset()
        self.counts.clear()
        return empty_response()

    def seed_state(self) -> flask.Response:
        return json_response(seed(self.store, json_body(any_type=True)), 201)

    def add_people(self) -> flask.Response:
        return self._add("people")

    def add_packages(self) -> flask.Response:
        return self._add("packages")

    def _add(self, section: str) -> flask.Response:
        sent: Any = json_value(any_type=True)
        items = sent if isinstance(sent, list) else [sent]
        return json_response(seed(self.store, {section: items})[section], 201)

    def request_counts(self) -> flask.Response:
        return json_response(self.counts.as_json())
