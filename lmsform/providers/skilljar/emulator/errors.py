"""Every error the emulator answers, in Django REST Framework's shapes.

* Errors about the request as a whole: `{"detail": "<message>"}` (401, 404, 415 and the 400 of a
  malformed JSON body), raised as `ApiError`.
* Validation errors: `{"<field>": ["<message>", …]}` or `{"non_field_errors": [...]}`, raised as
  `ValidationFailed`; a parser reports one field's errors with `FieldInvalid`, which
  `requests_in.validate_object` gathers under the field's name.
"""

from __future__ import annotations

from typing import Any

from lmsform.providers.emulation.flask_kit import ApiError as ApiError


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
