"""Reading what a request sends: its JSON body, path ids and query values.

* Every body must come as `Content-Type: application/json` (charset allowed), as if the spec had a
  global `consumes` (versal.md Content); anything else, malformed JSON, or a body that is not a JSON
  object answers 400.
* Fields the model does not declare are ignored (versal.md D10); declared fields of the wrong type answer 400.
* Ids in integer-typed path parameters must be all digits, else 400 "Bad request" (versal.md Values, D21).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import JsonFields, json_object, request_object
from lmsform.providers.versal.emulator.errors import ApiError, bad_request

JSON = "application/json"


def json_body() -> dict[str, Any]:
    """The request's JSON object; 400 for another content type, malformed JSON or a non-object."""
    if flask.request.mimetype != JSON:
        raise bad_request("Content-Type must be application/json")
    return json_object(flask.request.get_data(cache=True), _malformed, _not_an_object)


def hook_body() -> dict[str, Any]:
    """A test hook's JSON object, whatever its content type; an empty body reads as `{}`."""
    return request_object(_malformed, _not_an_object)


def _malformed(_: ValueError) -> ApiError:
    return bad_request("Malformed JSON body")


def _not_an_object(_: object) -> ApiError:
    return bad_request("The request body must be a JSON object")


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


class Body(JsonFields):
    """Typed access to a JSON object's fields; `None` from a getter means "not sent"."""

    def __init__(self, data: Mapping[str, Any], *, where: str = "") -> None:
        super().__init__(data, bad_request, where=where)

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise self.refused(name, "is required")
        return value

    def email(self, name: str) -> str:
        value = self.required_text(name).strip()
        if not is_email(value):
            raise self.refused(name, "must be an e-mail address")
        return value

    def object(self, name: str, *, required: bool = False) -> dict[str, Any] | None:
        self._require_if(required, name)
        value: dict[str, Any] | None = self.typed(name, _is_object, "an object")
        return value

    def strings(self, name: str, *, required: bool = False) -> list[str] | None:
        self._require_if(required, name)
        value: list[str] | None = self.typed(name, _is_string_list, "an array of strings")
        return value

    def roles(self, name: str, allowed: Collection[str], *, required: bool = False) -> list[str] | None:
        """An array of role names; an unknown one answers 400 "Invalid role: <name>" (versal.md D1)."""
        roles = self.strings(name, required=required)
        for role in roles or []:
            if role not in allowed:
                raise bad_request(f"Invalid role: {role}")
        return roles

    def _require_if(self, required: bool, name: str) -> None:
        if required and not self.has(name):
            raise self.refused(name, "is required")


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
