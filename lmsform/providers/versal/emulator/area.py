"""What every API area shares: the store, the options, the route table and response helpers."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flask

from lmsform.providers.versal.emulator.auth import Rights
from lmsform.providers.versal.emulator.options import VersalEmulatorOptions
from lmsform.providers.versal.emulator.paging import PageRequest, requested_page
from lmsform.providers.versal.emulator.store import VersalStore
from lmsform.providers.versal.emulator.traffic import Traffic

Handler = Callable[..., flask.Response]


@dataclass(frozen=True)
class Operation:
    handler: Handler
    """Called with the `Caller` first (for API operations) and the path parameters by name."""
    rights: Rights = "any"


Routes = Sequence[tuple[str, Mapping[str, Operation]]]
"""URL rules (under the app's prefix, Flask syntax) and the operation for each method."""


@dataclass(frozen=True)
class EmulatorContext:
    store: VersalStore
    options: VersalEmulatorOptions
    traffic: Traffic


class ApiArea(ABC):
    """A few related operations: one handler method each, run inside one store transaction."""

    def __init__(self, context: EmulatorContext) -> None:
        self.store = context.store
        self.options = context.options
        self.traffic = context.traffic

    @abstractmethod
    def routes(self) -> Routes: ...

    def page(self) -> PageRequest:
        return requested_page(self.options.per_page_cap)

    def paged(self, items: list[dict[str, Any]], page: PageRequest, count: int) -> flask.Response:
        """One page as a bare array, with the paging headers the options ask for (§1.5)."""
        response = json_response(items)
        response.headers.update(page.headers(count, self.options.pagination_headers))
        return response


def json_response(body: Any, status: int = 200) -> flask.Response:
    return flask.Response(json.dumps(body), status=status, mimetype="application/json")
