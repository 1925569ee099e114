"""Reading what a request sends: its JSON body, path ids and query values.

* Every body must come as `Content-Type: application/json` (charset allowed), as if the spec had a
  global `consumes` (versal.md Content); anything else, malformed JSON, or a body that is not a JSON
  object answers 400.
* Fields the model does not declare are ignored (versal.md D10); declared fields of the wrong type answer 400.
* Ids in integer-typed path parameters must be all digits, else 400 "Bad request" (versal.md Values, D21).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

import flask

from lmsform.providers.versal.emulator.errors import bad_request

JSON = "application/json"


def json_body() -> dict[str, Any]:
    """The request's JSON object; 400 for another content type, malformed JSON or a non-object."""
    if flask.request.mimetype != JSON:
        raise bad_request("Content-Type must be application/json")
    raw = flask.request.get_data(cache=True)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Malformed JSON body") from None
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object")
    return data


def path_integer(text: str) -> int:
    """An integer-typed path parameter (`orgId`, `userId`)."""
    if not (text.isascii() and text.isdigit()):
        raise bad_request("Bad request")
    return int(text)


def digits_id(text: str) -> int | None:
    """A string id that names a user or course only when it is all digits (e.g. `userId` on PATCH)."""
    return int(text) if text.isascii() and text.isdigit() else None


def id_value(value: object) -> int | None:
    """A user id sent in a body: a non-negative JSON integer or a string of digits; None otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    return digits_id(value) if isinstance(value, str) else None


def query_text(name: str) -> str | None:
    return flask.request.args.get(name)


def is_email(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and not any(char.isspace() for char in value)


class Body:
    """Typed access to a JSON object's fields; `None` from a getter means "not sent"."""

    def __init__(self, data: Mapping[str, Any], *, where: str = "") -> None:
        self._data = data
        self._where = where

    def has(self, name: str) -> bool:
        return name in self._data

    def raw(self, name: str) -> Any:
        return self._data.get(name)

    def label(self, name: str) -> str:
        return f"{self._where}{name}"

    def text(self, name: str) -> str | None:
        if name not in self._data:
            return None
        value = self._data[name]
        if not isinstance(value, str):
            raise bad_request(f"{self.label(name)} must be a string")
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise bad_request(f"{self.label(name)} is required")
        return value

    def email(self, name: str) -> str:
        value = self.required_text(name).strip()
        if not is_email(value):
            raise bad_request(f"{self.label(name)} must be an e-mail address")
        return value

    def boolean(self, name: str) -> bool | None:
        if name not in self._data:
            return None
        value = self._data[name]
        if not isinstance(value, bool):
            raise bad_request(f"{self.label(name)} must be true or false")
        return value

    def object(self, name: str, *, required: bool = False) -> dict[str, Any] | None:
        if name not in self._data:
            if required:
                raise bad_request(f"{self.label(name)} is required")
            return None
        value = self._data[name]
        if not isinstance(value, dict):
            raise bad_request(f"{self.label(name)} must be an object")
        return value

    def strings(self, name: str, *, required: bool = False) -> list[str] | None:
        if name not in self._data:
            if required:
                raise bad_request(f"{self.label(name)} is required")
            return None
        value = self._data[name]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise bad_request(f"{self.label(name)} must be an array of strings")
        return value

    def roles(self, name: str, allowed: Collection[str], *, required: bool = False) -> list[str] | None:
        """An array of role names; an unknown one answers 400 "Invalid role: <name>" (versal.md D1)."""
        roles = self.strings(name, required=required)
        for role in roles or []:
            if role not in allowed:
                raise bad_request(f"Invalid role: {role}")
        return roles
