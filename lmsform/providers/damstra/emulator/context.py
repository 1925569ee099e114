"""What every API area shares: the store, the options, the route table and Damstra's empty answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import flask

from lmsform.providers.damstra.emulator.options import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator.paging import Window, requested_window
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.emulation import flask_kit
from lmsform.providers.emulation.flask_kit import Handler


@dataclass(frozen=True)
class Operation:
    handler: Handler
    terse_auth_error: bool = False
    """A bad `AccessKey` answers E806S instead of E806L (damstra.md Errors)."""


Route = tuple[str, Mapping[str, Operation]]
"""A URL rule (under the app's prefix) and the operation for each method."""

Routes = Sequence[Route]

EmulatorContext = flask_kit.EmulatorContext[DamstraStore, DamstraEmulatorOptions]


class ApiArea(flask_kit.ApiArea[DamstraStore, DamstraEmulatorOptions, Route]):
    def window(self) -> Window:
        return requested_window(self.options.default_page_size, self.options.max_page_size)


def no_content() -> flask.Response:
    """200 with an empty body, as the doc's "This response has no content" (damstra.md A10); the doc's
    examples still show a JSON content type on these, so it is kept."""
    return flask.Response(b"", status=200, mimetype="application/json")
