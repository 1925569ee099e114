"""Reading what a request sends: its JSON body, field by field, and its query parameters.

Every problem answers 400 with the A8 body naming the field (damstra.md A8). Rules the doc leaves open:

* A body is parsed as JSON whatever its `Content-Type` (the vendor's examples always send
  `application/json`, but damstra.md A12 says not to insist); an empty body reads as `{}`.
* Unknown body fields are ignored (they carry read-only values such as `clientStatusId` in a
  read-modify-write).
* Numbers must be JSON integers (booleans and fractions are refused); ids sent as strings are refused.
* Query parameters with an empty value (`q=`) count as absent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import flask

from lmsform.providers.damstra.emulator.dates import parse_instant
from lmsform.providers.damstra.emulator.errors import ApiError, bad_request
from lmsform.providers.emulation.flask_kit import JsonFields, request_object


def request_body() -> dict[str, Any]:
    """The request's JSON object; 400 for malformed JSON or anything but an object."""
    return request_object(_malformed, _not_an_object)


def _malformed(error: ValueError) -> ApiError:
    return bad_request(f"Malformed JSON body: {error}")


def _not_an_object(_: object) -> ApiError:
    return bad_request("The request body must be a JSON object")


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_integer_list(value: Any) -> bool:
    return isinstance(value, list) and all(is_integer(item) for item in value)


def _is_id_object_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, dict) and is_integer(item.get("id")) for item in value
    )


class Body(JsonFields):
    """Typed access to a JSON object's fields; `None` from an optional getter means "not sent"."""

    def __init__(self, data: Mapping[str, Any], *, where: str = "") -> None:
        super().__init__(data, bad_request, where=where)

    def missing(self, names: Collection[str]) -> list[str]:
        return [name for name in names if not self.has(name)]

    def require(self, names: Collection[str]) -> None:
        missing = self.missing(names)
        if missing:
            listed = ", ".join(self.label(name) for name in missing)
            raise bad_request(f"Missing required field(s): {listed}")

    def text(self, name: str, *, blank: bool = True, nullable: bool = False) -> str | None:
        """A string field; `nullable` turns an explicit null into "" (unset)."""
        if nullable and self.has(name) and self.raw(name) is None:
            return ""
        value = super().text(name)
        if value is not None and not blank and not value.strip():
            raise self.refused(name, "must not be blank")
        return value

    def required_text(self, name: str, *, blank: bool = True) -> str:
        self.require([name])
        value = self.text(name, blank=blank)
        assert value is not None
        return value

    def integer(self, name: str, *, nullable: bool = True) -> int | None:
        """An integer field; an explicit null reads as "not sent" unless `nullable` is False, when it is
        refused like any other non-number."""
        if nullable and self.raw(name) is None:
            return None
        number: int | None = self.typed(name, is_integer, "an integer")
        return number

    def integers(self, name: str) -> list[int] | None:
        """An array of integers (`userIds`, `lessonVersionIds`)."""
        value = self.typed(name, _is_integer_list, "an array of integer ids")
        return None if value is None else list(value)

    def id_objects(self, name: str) -> list[int] | None:
        """An array of `{"id": n}` objects (`groups`, `groupsSupervised`), as the ids in the order sent."""
        value = self.typed(name, _is_id_object_list, 'an array of {"id": <integer>} objects')
        return None if value is None else [item["id"] for item in value]

    def instant(self, name: str) -> datetime | None:
        value = self.typed(name, _is_str, "an ISO 8601 date-time string")
        if value is None:
            return None
        try:
            return parse_instant(value)
        except ValueError:
            raise self.refused(name, f"is not an ISO 8601 date-time: {value!r}") from None


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def query_text(name: str) -> str | None:
    value = flask.request.args.get(name)
    return value or None


def query_integer(name: str, *, minimum: int = 0) -> int | None:
    value = query_text(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if number < minimum:
        raise bad_request(f"{name} must be at least {minimum}")
    return number


def query_choice(name: str, choices: Collection[str], default: str) -> str:
    value = query_text(name)
    if value is None:
        return default
    if value not in choices:
        raise bad_request(f"{name} must be one of {', '.join(choices)}")
    return value


def query_list(name: str) -> list[str]:
    """A list parameter: comma-separated (`lessonIds=1,2`), repeated (`lessonIds=1&lessonIds=2`) or both."""
    return [
        item.strip()
        for value in flask.request.args.getlist(name)
        for item in value.split(",")
        if item.strip()
    ]
