"""Reading what a request sends, with Django REST Framework's parsers and field semantics.

* The body is JSON (`application/json` or any `+json` type) or a flat form (url-encoded or
  multipart); an empty body reads as `{}`. Malformed JSON answers 400 `{"detail": "JSON parse error -
  <reason>"}`, another media type 415.
* `validate_object` checks a body against a `Schema` of `Field`s: every failing field at once, with
  DRF's messages; unknown keys are ignored. The parsers (`text`, `email`, `boolean`, …) mirror DRF's
  field classes.
* Query filters: an empty value means no filter, as django-filter treats it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import flask

from lmsform.providers.skilljar.emulator.base_store import format_timestamp
from lmsform.providers.skilljar.emulator.errors import ApiError, FieldInvalid, ValidationFailed, field_error

_FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    parse: Parser
    required: bool = False
    nullable: bool = False


Schema = Mapping[str, Field]

_TRUE_STRINGS = frozenset(
    {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"}
)
_FALSE_STRINGS = frozenset(
    {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"}
)
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_INTEGER_TEXT = re.compile(r"\s*-?\d+(\.0*)?\s*")
_DATETIME_ERROR = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


def validate_object(data: Any, schema: Schema) -> dict[str, Any]:
    """Check `data` against `schema`; unknown keys are ignored, as DRF does."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]}
        )
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for name, field in schema.items():
        if name not in data:
            if field.required:
                errors[name] = ["This field is required."]
            continue
        value = data[name]
        if value is None:
            if field.nullable:
                clean[name] = None
            else:
                errors[name] = ["This field may not be null."]
            continue
        try:
            clean[name] = field.parse(value)
        except FieldInvalid as invalid:
            errors[name] = invalid.detail
    if errors:
        raise ValidationFailed(errors)
    return clean


def text(max_length: int | None = None, *, allow_blank: bool = True) -> Parser:
    def parse(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise FieldInvalid(["Not a valid string."])
        result = str(value).strip()
        if not result and not allow_blank:
            raise FieldInvalid(["This field may not be blank."])
        if max_length is not None and len(result) > max_length:
            raise FieldInvalid([f"Ensure this field has no more than {max_length} characters."])
        return result

    return parse


def email(max_length: int = 254) -> Parser:
    return _text_matching(_EMAIL, "Enter a valid email address.", max_length)


def boolean() -> Parser:
    def parse(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return value == 1
        if isinstance(value, str) and value in _TRUE_STRINGS:
            return True
        if isinstance(value, str) and value in _FALSE_STRINGS:
            return False
        raise FieldInvalid(["Must be a valid boolean."])

    return parse


def integer(minimum: int | None = None, maximum: int | None = None) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise FieldInvalid(["A valid integer is required."])
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
            number = int(value.strip().split(".")[0])
        else:
            raise FieldInvalid(["A valid integer is required."])
        if minimum is not None and number < minimum:
            raise FieldInvalid([f"Ensure this value is greater than or equal to {minimum}."])
        if maximum is not None and number > maximum:
            raise FieldInvalid([f"Ensure this value is less than or equal to {maximum}."])
        return number

    return parse


def timestamp() -> Parser:
    """Any ISO 8601 date-time; naive values are taken as UTC. Stored as `…T…:….ffffffZ`."""

    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise FieldInvalid([_DATETIME_ERROR])
        try:
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return format_timestamp(moment)
        except (ValueError, OverflowError):
            raise FieldInvalid([_DATETIME_ERROR]) from None

    return parse


def choice(options: Collection[str]) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise FieldInvalid([f'"{value}" is not a valid choice.'])
        return value

    return parse


def matching(pattern: re.Pattern[str], max_length: int | None = None) -> Parser:
    """Text that must match `pattern` whole (DRF's RegexField)."""
    return _text_matching(pattern, "This value does not match the required pattern.", max_length)


def _text_matching(pattern: re.Pattern[str], message: str, max_length: int | None) -> Parser:
    """Non-blank text that must match `pattern` whole, refused with `message` otherwise."""
    as_text = text(max_length, allow_blank=False)

    def parse(value: Any) -> str:
        result: str = as_text(value)
        if not pattern.fullmatch(result):
            raise FieldInvalid([message])
        return result

    return parse


def url(max_length: int | None = None) -> Parser:
    """An absolute http(s) URL (DRF's URLField)."""
    as_text = text(max_length, allow_blank=False)

    def parse(value: Any) -> str:
        result: str = as_text(value)
        try:
            parts = urlsplit(result)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            valid = False
        if not valid or any(character.isspace() for character in result):
            raise FieldInvalid(["Enter a valid URL."])
        return result

    return parse


def string_map() -> Parser:
    """A JSON object whose values are all strings (DRF's DictField of CharField, without coercion)."""

    def parse(value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise FieldInvalid([f'Expected a dictionary of items but got type "{type(value).__name__}".'])
        errors = {key: ["Not a valid string."] for key, item in value.items() if not isinstance(item, str)}
        if errors:
            raise FieldInvalid(errors)
        return dict(value)

    return parse


def nested(schema: Schema) -> Parser:
    def parse(value: Any) -> dict[str, Any]:
        try:
            return validate_object(value, schema)
        except ValidationFailed as failed:
            raise FieldInvalid(failed.body) from None

    return parse


def many(schema: Schema, *, min_items: int = 0, max_items: int | None = None) -> Parser:
    """A list of nested objects; item errors come back as a list with `{}` for valid items."""

    def parse(value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise FieldInvalid(
                {"non_field_errors": [f'Expected a list of items but got type "{type(value).__name__}".']}
            )
        if len(value) < min_items:
            message = (
                "This list may not be empty."
                if not value
                else f"Ensure this field has at least {min_items} elements."
            )
            raise FieldInvalid({"non_field_errors": [message]})
        if max_items is not None and len(value) > max_items:
            raise FieldInvalid(
                {"non_field_errors": [f"Ensure this field has no more than {max_items} elements."]}
            )
        results: list[dict[str, Any]] = []
        errors: list[Any] = []
        for item in value:
            try:
                results.append(validate_object(item, schema))
                errors.append({})
            except ValidationFailed as failed:
                errors.append(failed.body)
        if any(errors):
            raise FieldInvalid(errors)
        return results

    return parse


def list_of(child: Parser) -> Parser:
    """A list of plain values; item errors come back keyed by index."""

    def parse(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise FieldInvalid([f'Expected a list of items but got type "{type(value).__name__}".'])
        results: list[Any] = []
        errors: dict[str, Any] = {}
        for index, item in enumerate(value):
            if item is None:
                errors[str(index)] = ["This field may not be null."]
                continue
            try:
                results.append(child(item))
            except FieldInvalid as invalid:
                errors[str(index)] = invalid.detail
        if errors:
            raise FieldInvalid(errors)
        return results

    return parse


def request_body() -> Any:
    """The request's data: JSON, or a flat form (url-encoded or multipart)."""
    request = flask.request
    if request.mimetype in _FORM_MIMETYPES:
        return request.form.to_dict()
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from None
    raise ApiError(415, {"detail": f'Unsupported media type "{request.mimetype}" in request.'})


def query_text(name: str) -> str | None:
    """A filter value; an empty value means no filter, as django-filter treats it."""
    value = flask.request.args.get(name)
    return value or None


def query_boolean(name: str) -> bool | None:
    value = query_text(name)
    if value is None:
        return None
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0"):
        return False
    raise field_error(name, f"Select a valid choice. {value} is not one of the available choices.")
