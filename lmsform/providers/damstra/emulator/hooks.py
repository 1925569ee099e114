"""Test hooks under `/_emulator/` (not vendor surface, no `AccessKey` needed; damstra.md Hooks).

* `GET  /_emulator/state` — every table, the outbox (`[{"to", "userName"}]`) and the clock.
* `POST /_emulator/reset` — 204; everything but the owner goes, the clock runs again (ids keep counting).
* `POST /_emulator/seed` — 201 with the ids made (see `seeding`).
* `GET|POST /_emulator/clock` — read or set the clock: `{"now": "<ISO 8601>"}` stops it at that instant,
  `{"now": null}` lets it run with real time; answers `{"now": <F2>, "fixed": bool}`.
* `POST /_emulator/schedule/{id}/cancel` — cancel an open schedule as the web app would (S14): 200 with
  the full schedule and its `status`; unknown → 404 (internalCode 840); completed or cancelled → 400.
"""

from __future__ import annotations

from typing import Any

import flask

from lmsform.providers.damstra.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.damstra.emulator.dates import f2
from lmsform.providers.damstra.emulator.requests_in import Body, request_body
from lmsform.providers.damstra.emulator.schedule_rules import schedule_status
from lmsform.providers.damstra.emulator.schedule_shapes import schedule_json
from lmsform.providers.damstra.emulator.schedule_writes import cancel_schedule
from lmsform.providers.damstra.emulator.seeding import seed
from lmsform.providers.emulation.flask_kit import empty_response, json_response


class HookApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/state", {"GET": Operation(self.dump_state)}),
            ("/reset", {"POST": Operation(self.reset_state)}),
            ("/seed", {"POST": Operation(self.seed_state)}),
            ("/clock", {"GET": Operation(self.read_clock), "POST": Operation(self.set_clock)}),
            ("/schedule/<int:schedule_id>/cancel", {"POST": Operation(self.cancel_schedule)}),
        )

    def _clock(self) -> dict[str, Any]:
        return {"now": f2(self.store.now_stored()), "fixed": self.store.organisation().fixed_now is not None}

    def dump_state(self) -> flask.Response:
        return json_response({**self.store.dump(), "clock": self._clock()})

    def reset_state(self) -> flask.Response:
        self.store.reset()
        return empty_response()

    def seed_state(self) -> flask.Response:
        return json_response(seed(self.store, request_body()), 201)

    def read_clock(self) -> flask.Response:
        return json_response(self._clock())

    def set_clock(self) -> flask.Response:
        body = Body(request_body())
        body.require(["now"])
        self.store.fix_clock(None if body.raw("now") is None else body.instant("now"))
        return json_response(self._clock())

    def cancel_schedule(self, schedule_id: int) -> flask.Response:
        schedule = cancel_schedule(self.store, schedule_id)
        now = self.store.now()
        return json_response(
            {**schedule_json(self.store, schedule, now), "status": schedule_status(schedule, now)}
        )
