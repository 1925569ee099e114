"""What every API area shares: the store, the options, the route table and response helpers."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flask

from lmsform.providers.damstra.emulator.options import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator.paging import Window, requested_window
from lmsform.providers.damstra.emulator.store import DamstraStore

Handler = Callable[..., flask.Response]


@dataclass(frozen=True)
class Operation:
    handler: Handler
    terse_auth_error: bool = False
    """A bad `AccessKey` answers E806S instead of E806L (§1.6)."""


Routes = Sequence[tuple[str, Mapping[str, Operation]]]
"""URL rules (under the app's prefix) and the operation for each method."""


@dataclass(frozen=True)
class EmulatorContext:
    store: DamstraStore
    options: DamstraEmulatorOptions


class ApiArea(ABC):
    """A few related resources: one handler method per operation, each run inside one store transaction."""

    def __init__(self, context: EmulatorContext) -> None:
        self.store = context.store
        self.options = context.options

    @abstractmethod
    def routes(self) -> Routes: ...

    def window(self) -> Window:
        return requested_window(self.options.default_page_size, self.options.max_page_size)


def json_response(body: Any, status: int = 200) -> flask.Response:
    return flask.Response(json.dumps(body), status=status, mimetype="application/json")


def no_content() -> flask.Response:
    """200 with an empty body, as the doc's "This response has no content" (§1.3, §9.1 A10); the doc's
    examples still show a JSON content type on these, so it is kept."""
    return flask.Response(b"", status=200, mimetype="application/json")
