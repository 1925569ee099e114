"""What every API area shares: the store, the options, the test hooks' memory, and paged answers.

The test hooks' memory (`faults`, `counts`) is kept in memory, not in the state file. A fault rule makes
the next `count` requests whose method matches and whose path (with `/api2`) `re.fullmatch`es `path`
answer `status` (429 or 503) with a `Retry-After` header and an `Error_View_Model` body, before
authentication and without touching the state (`emulation.faults.RetryLaterFaults`). Counts are keyed
`"<METHOD> <spec path template>"`, e.g. `"GET /courses/{courseId}"`, and include faulted and failed
requests. The reset hook clears both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flask

from lmsform.providers.emulation import flask_kit
from lmsform.providers.emulation.faults import RetryLaterFaults
from lmsform.providers.emulation.flask_kit import Handler, RouteCounts, json_response
from lmsform.providers.versal.emulator.auth import Rights
from lmsform.providers.versal.emulator.options import VersalEmulatorOptions
from lmsform.providers.versal.emulator.paging import PageRequest, requested_page
from lmsform.providers.versal.emulator.store import VersalStore


@dataclass(frozen=True)
class Operation:
    handler: Handler
    """Called with the `Caller` first (for API operations) and the path parameters by name."""
    rights: Rights = "any"


Route = tuple[str, Mapping[str, Operation]]
"""A URL rule (under the app's prefix, Flask syntax) and the operation for each method."""


Routes = Sequence[Route]


@dataclass(frozen=True)
class EmulatorContext(flask_kit.EmulatorContext[VersalStore, VersalEmulatorOptions]):
    faults: RetryLaterFaults
    counts: RouteCounts


class ApiArea(flask_kit.ApiArea[VersalStore, VersalEmulatorOptions, Route]):
    def __init__(self, context: EmulatorContext) -> None:
        super().__init__(context)
        self.faults = context.faults
        self.counts = context.counts

    def page(self) -> PageRequest:
        return requested_page(self.options.per_page_cap)

    def paged(self, items: list[dict[str, Any]], page: PageRequest, count: int) -> flask.Response:
        """One page as a bare array, with the paging headers the options ask for (versal.md Paging)."""
        response = json_response(items)
        response.headers.update(page.headers(count, self.options.pagination_headers))
        return response
