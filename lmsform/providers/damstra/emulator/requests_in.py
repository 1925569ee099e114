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

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import flask

from lmsform.providers.damstra.emulator.dates import parse_instant
from lmsform.providers.damstra.emulator.errors import bad_request


def request_body() -> dict[str, Any]:
    """The request's JSON object; 400 for malformed JSON or anything but an object."""
    raw = flask.request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request(f"Malformed JSON body: {error}") from None
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object")
    return data


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Body:
    """Typed access to a JSON object's fields; `None` from an optional getter means "not sent"."""

    def __init__(self, data: Mapping[str, Any], *, where: str = "") -> None:
        self._data = data
        self._where = where

    def has(self, name: str) -> bool:
        return name in self._data

    def raw(self, name: str) -> Any:
        return self._data.get(name)

    def _label(self, name: str) -> str:
        return f"{self._where}{name}"

    def missing(self, names: Collection[str]) -> list[str]:
        return [name for name in names if name not in self._data]

    def require(self, names: Collection[str]) -> None:
        missing = self.missing(names)
        if missing:
            listed = ", ".join(self._label(name) for name in missing)
            raise bad_request(f"Missing required field(s): {listed}")

    def text(self, name: str, *, blank: bool = True, nullable: bool = False) -> str | None:
        """A string field; `nullable` turns an explicit null into "" (unset)."""
        if name not in self._data:
            return None
        value = self._data[name]
        if value is None and nullable:
            return ""
        if not isinstance(value, str):
            raise bad_request(f"{self._label(name)} must be a string")
        if not blank and not value.strip():
            raise bad_request(f"{self._label(name)} must not be blank")
        return value

    def required_text(self, name: str, *, blank: bool = True) -> str:
        self.require([name])
        value = self.text(name, blank=blank)
        assert value is not None
        return value

    def integer(self, name: str, *, nullable: bool = True) -> int | None:
        """An integer field; an explicit null reads as "not sent" unless `nullable` is False, when it is
        refused like any other non-number."""
        if name not in self._data or (nullable and self._data[name] is None):
            return None
        value = self._data[name]
        if not is_integer(value):
            raise bad_request(f"{self._label(name)} must be an integer")
        number: int = value
        return number

    def boolean(self, name: str) -> bool | None:
        if name not in self._data:
            return None
        value = self._data[name]
        if not isinstance(value, bool):
            raise bad_request(f"{self._label(name)} must be true or false")
        return value

    def integers(self, name: str) -> list[int] | None:
        """An array of integers (`userIds`, `lessonVersionIds`)."""
        if name not in self._data:
            return None
        value = self._data[name]
        if not isinstance(value, list) or not all(is_integer(item) for item in value):
            raise bad_request(f"{self._label(name)} must be an array of integer ids")
        return list(value)

    def id_objects(self, name: str) -> list[int] | None:
        """An array of `{"id": n}` objects (`groups`, `groupsSupervised`), as the ids in the order sent."""
        if name not in self._data:
            return None
        value = self._data[name]
        if not isinstance(value, list) or not all(
            isinstance(item, dict) and is_integer(item.get("id")) for item in value
        ):
            raise bad_request(f'{self._label(name)} must be an array of {{"id": <integer>}} objects')
        return [item["id"] for item in value]

    def instant(self, name: str) -> datetime | None:
        if name not in self._data:
            return None
        value = self._data[name]
        if not isinstance(value, str):
            raise bad_request(f"{self._label(name)} must be an ISO 8601 date-time string")
        try:
            return parse_instant(value)
        except ValueError:
            raise bad_request(f"{self._label(name)} is not an ISO 8601 date-time: {value!r}") from None


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
