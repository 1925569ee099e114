"""Every error the emulator answers, in Django REST Framework's shapes (training-records.md Errors).

* Errors about the request as a whole: `{"detail": "<message>"}` (401, 404, 405, 415, 500 and the 400 of
  a malformed JSON body).
* Validation errors: `{"<field>": ["<message>", …], …}`, every failing field at once; a body that is
  not a JSON object is a `non_field_errors` error.

The messages are DRF's own wording where DRF has one for the case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lmsform.providers.emulation.flask_kit import ApiError as ApiError

AUTH_CHALLENGE = {"WWW-Authenticate": 'Basic realm="api"'}

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_A_STRING = "Not a valid string."


class FieldErrors:
    """Validation messages gathered field by field, raised together as one 400."""

    def __init__(self) -> None:
        self._messages: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self._messages.setdefault(field, []).append(message)

    def __contains__(self, field: str) -> bool:
        return field in self._messages

    def __bool__(self) -> bool:
        return bool(self._messages)

    def raise_any(self) -> None:
        if self._messages:
            raise invalid(self._messages)


def invalid(messages: Mapping[str, Sequence[str]]) -> ApiError:
    return ApiError(400, {field: list(texts) for field, texts in messages.items()})


def field_error(field: str, message: str) -> ApiError:
    return invalid({field: [message]})


def detail(status: int, message: str, headers: Mapping[str, str] | None = None) -> ApiError:
    return ApiError(status, {"detail": message}, headers)


def parse_error(reason: str) -> ApiError:
    return detail(400, f"JSON parse error - {reason}")


def not_an_object(value: object) -> ApiError:
    return invalid(
        {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {_type_name(value)}."]}
    )


def not_authenticated() -> ApiError:
    return detail(401, "Authentication credentials were not provided.", AUTH_CHALLENGE)


def authentication_failed(message: str = "Invalid username/password.") -> ApiError:
    return detail(401, message, AUTH_CHALLENGE)


def not_found() -> ApiError:
    return detail(404, "Not found.")


def method_not_allowed(method: str) -> ApiError:
    return detail(405, f'Method "{method}" not allowed.')


def unsupported_media_type(media_type: str) -> ApiError:
    return detail(415, f'Unsupported media type "{media_type}" in request.')


def server_error() -> ApiError:
    return detail(500, "A server error occurred.")


def _type_name(value: object) -> str:
    """The name DRF gives a JSON value's type (it names the Python type it decoded to)."""
    if value is None:
        return "NoneType"
    return type(value).__name__
