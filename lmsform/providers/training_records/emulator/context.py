"""What the route modules share: the store, the options, the request counts and response helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flask

from lmsform.providers.training_records.emulator.options import TrainingRecordsEmulatorOptions
from lmsform.providers.training_records.emulator.store import TrainingRecordsStore
from lmsform.providers.training_records.emulator.traffic import RequestCounts

Handler = Callable[..., flask.Response]
"""A route's handler for one method, called with the path parameters by name."""


@dataclass(frozen=True)
class Route:
    rule: str
    """Flask syntax, relative to where the area is mounted (`/training/record/<api_id>/`)."""
    name: str
    """What `OPTIONS` calls the resource, as DRF names a view."""
    operations: Mapping[str, Handler]

    @property
    def template(self) -> str:
        """The path as the reference writes it: `/training/record/{api_id}/`."""
        return self.rule.replace("<", "{").replace(">", "}")


Routes = Sequence[Route]


@dataclass(frozen=True)
class EmulatorContext:
    store: TrainingRecordsStore
    options: TrainingRecordsEmulatorOptions
    counts: RequestCounts


def json_response(body: Any, status: int = 200) -> flask.Response:
    return flask.Response(json.dumps(body), status=status, mimetype="application/json")


def empty_response(status: int = 204) -> flask.Response:
    response = flask.Response(b"", status=status)
    del response.headers["Content-Type"]
    return response
