"""Reading what a request sends: its JSON body and query values, as DRF's `JSONParser` reads them.

* An empty body is `{}`, whatever the content type (DRF does not parse an empty body).
* Otherwise the API wants `Content-Type: application/json` (a charset is fine): another type, or none,
  answers 415 `Unsupported media type "<type>" in request.`. Test hooks read any body as JSON.
* Malformed JSON (or `NaN`/`Infinity`, which JSON does not have) answers 400
  `{"detail": "JSON parse error - <reason>"}`; a JSON value that is not an object answers 400
  `{"non_field_errors": ["Invalid data. Expected a dictionary, but got <type>."]}` (DRF names the
  Python type: `list`, `str`, `int`, …).
"""

from __future__ import annotations

import json
from typing import Any

import flask

from lmsform.providers.training_records.emulator.errors import (
    not_an_object,
    parse_error,
    unsupported_media_type,
)

JSON = "application/json"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def json_value(*, any_type: bool = False) -> Any:
    """The request's JSON value (`{}` for an empty body); `any_type` skips the content-type check."""
    request = flask.request
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if not any_type and request.mimetype != JSON:
        raise unsupported_media_type(request.content_type or "")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise parse_error(str(error)) from None


def json_body(*, any_type: bool = False) -> dict[str, Any]:
    """The request's JSON object."""
    data = json_value(any_type=any_type)
    if not isinstance(data, dict):
        raise not_an_object(data)
    return data


def query_text(name: str) -> str | None:
    return flask.request.args.get(name)
