"""Django REST Framework conventions, as Skilljar's API shows them: request parsing and validation
with DRF's field semantics and messages, error bodies, page-number and cursor pagination, and HTTP
Basic authentication with the API key as username.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode, urlsplit

import flask

from lmsform.providers.skilljar.emulator.db import Slice, Window, format_timestamp

T = TypeVar("T")

_FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


# --- errors ---------------------------------------------------------------------------------------


class ApiError(Exception):
    """An HTTP error answered with a JSON body."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class ValidationFailed(ApiError):
    """A DRF-shaped 400: `{"field": ["message"]}` or `{"non_field_errors": [...]}`."""

    def __init__(self, errors: Any) -> None:
        super().__init__(400, errors)


class FieldInvalid(Exception):
    """One field's errors: a list of messages, or nested errors for objects and lists."""

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


def not_found(detail: str = "Not found.") -> ApiError:
    return ApiError(404, {"detail": detail})


def field_error(name: str, message: str) -> ValidationFailed:
    return ValidationFailed({name: [message]})


# --- request-body validation (DRF field semantics and messages) -----------------------------------

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
    as_text = text(max_length, allow_blank=False)

    def parse(value: Any) -> str:
        result: str = as_text(value)
        if not _EMAIL.fullmatch(result):
            raise FieldInvalid(["Enter a valid email address."])
        return result

    return parse


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
    as_text = text(max_length, allow_blank=False)

    def parse(value: Any) -> str:
        result: str = as_text(value)
        if not pattern.fullmatch(result):
            raise FieldInvalid(["This value does not match the required pattern."])
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


# --- HTTP plumbing ----------------------------------------------------------------------------------


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> flask.Response:
    return flask.Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def empty_response(status: int) -> flask.Response:
    response = flask.Response(b"", status=status)
    del response.headers["Content-Type"]
    return response


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


def link(**replacements: str | None) -> str:
    """This request's absolute URL with some query parameters replaced (None removes one)."""
    request = flask.request
    params = [(key, value) for key, value in request.args.items(multi=True) if key not in replacements]
    params += [(key, value) for key, value in replacements.items() if value is not None]
    params.sort(key=lambda pair: pair[0])
    query = urlencode(params)
    return request.base_url + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def window(self) -> Window:
        return Window(offset=(self.number - 1) * self.size, limit=self.size)


class Pager:
    """Page-number pagination as DRF's PageNumberPagination does it, with the emulator's clamp."""

    def __init__(self, clamp_page_size: bool) -> None:
        self._clamp = clamp_page_size

    def requested_page(self, default_size: int, *, size_param: bool = True) -> Page:
        raw_number = flask.request.args.get("page", "1")
        try:
            number = int(raw_number)
        except ValueError:
            raise not_found("Invalid page.") from None
        if number < 1:
            raise not_found("Invalid page.")
        return Page(number, self._page_size(default_size) if size_param else default_size)

    def _page_size(self, default_size: int) -> int:
        try:
            asked = int(flask.request.args.get("page_size", ""))
        except ValueError:
            return default_size
        if asked < 1:
            return default_size
        return min(asked, default_size) if self._clamp else asked

    @staticmethod
    def envelope(page: Page, rows: Slice[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
        if page.number > 1 and page.window.offset >= rows.total:
            raise not_found("Invalid page.")
        has_next = page.number * page.size < rows.total
        previous: str | None = None
        if page.number > 1:
            previous = link(page=None if page.number == 2 else str(page.number - 1))
        return {
            "count": rows.total,
            "next": link(page=str(page.number + 1)) if has_next else None,
            "previous": previous,
            "results": [render(row) for row in rows.items],
        }


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, _, value = decoded.partition("=")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise not_found("Invalid cursor") from None
    if key != "o" or offset < 0:
        raise not_found("Invalid cursor")
    return offset


class Authenticator:
    """HTTP Basic with the API key as username (§1.2); Bearer tokens are not configured."""

    _CHALLENGE: ClassVar[Mapping[str, str]] = {"WWW-Authenticate": 'Basic realm="api"'}

    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key

    def check(self, header: str | None) -> None:
        scheme, _, credentials = (header or "").strip().partition(" ")
        if scheme.lower() == "bearer":
            raise self._reject("Invalid token.")
        if scheme.lower() != "basic":
            raise self._reject("Authentication credentials were not provided.")
        if not credentials.strip():
            raise self._reject("Invalid basic header. No credentials provided.")
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise self._reject("Invalid basic header. Credentials not correctly base64 encoded.") from None
        key = decoded.partition(":")[0]
        if not self._accepts(key):
            raise self._reject("Invalid username/password.")

    def _accepts(self, key: str) -> bool:
        if self._api_key is None:
            return bool(key)
        return hmac.compare_digest(key.encode(), self._api_key.encode())

    def _reject(self, detail: str) -> ApiError:
        return ApiError(401, {"detail": detail}, self._CHALLENGE)
