"""The rules for the fields a client writes, shared by the routes and `seed`
(training-records.md Records, D4 to D7).

* `api_id`: a string of letters, digits, `_` and `-` (DRF's slug, so it always fits in a path), at most
  255 characters; `null` or absent on create means "generate one". On PUT and PATCH it may be sent only
  with the record's own value (ignored); any other value, `null` included, is "api_id cannot be
  changed.".
* `person_api_id`, `package_api_id`: non-blank strings naming a registered person or package. Numbers
  are not turned into strings (DRF would): they answer "Not a valid string.".
* `date_started`, `date_completed`: `null` or an ISO 8601 date-time (`dates`).
* `package_desc` and `date_assigned` are read-only and, like any field the API does not know, ignored.

Every field is checked and all failures come back together, under the field's name (with the seed
document's position in front, e.g. `records[3].person_api_id`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from lmsform.providers.training_records.emulator.dates import parse_instant
from lmsform.providers.training_records.emulator.errors import (
    NOT_A_STRING,
    NOT_BLANK,
    NOT_NULL,
    REQUIRED,
    FieldErrors,
)

WRITABLE = ("api_id", "person_api_id", "package_api_id", "date_started", "date_completed")
REFERENCES = ("person_api_id", "package_api_id")
DATES = ("date_started", "date_completed")
DUPLICATE_ID = "record with this api_id already exists."
ID_CHANGED = "api_id cannot be changed."
UNKNOWN_PERSON = "Unknown person."
UNKNOWN_PACKAGE = "Unknown package."
MAX_ID_LENGTH = 255
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_NOT_A_SLUG = 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'


def text(value: object) -> str:
    """A required non-blank string; ValueError with DRF's message otherwise."""
    if value is None:
        raise ValueError(NOT_NULL)
    if not isinstance(value, str):
        raise ValueError(NOT_A_STRING)
    if not value.strip():
        raise ValueError(NOT_BLANK)
    return value


def _record_id(value: object) -> str | None:
    if value is None:
        return None
    api_id = text(value)
    if len(api_id) > MAX_ID_LENGTH:
        raise ValueError(f"Ensure this field has no more than {MAX_ID_LENGTH} characters.")
    if not _SLUG.fullmatch(api_id):
        raise ValueError(_NOT_A_SLUG)
    return api_id


def _instant(value: object) -> str | None:
    return None if value is None else parse_instant(value)


_READERS: dict[str, Callable[[object], str | None]] = {
    "api_id": _record_id,
    "person_api_id": text,
    "package_api_id": text,
    "date_started": _instant,
    "date_completed": _instant,
}


def read_fields(
    body: Mapping[str, Any],
    errors: FieldErrors,
    *,
    fields: Collection[str] = WRITABLE,
    required: Collection[str] = (),
    where: str = "",
) -> dict[str, str | None]:
    """The `fields` that `body` sends, each checked on its own; failures go to `errors`."""
    values: dict[str, str | None] = {}
    for name in WRITABLE:
        if name not in fields:
            continue
        if name not in body:
            if name in required:
                errors.add(where + name, REQUIRED)
            continue
        try:
            values[name] = _READERS[name](body[name])
        except ValueError as error:
            errors.add(where + name, str(error))
    return values


def check_references(
    values: Mapping[str, str | None],
    people: Collection[str],
    packages: Collection[str],
    errors: FieldErrors,
    *,
    where: str = "",
) -> None:
    """An unknown person or package is an error on its field."""
    person, package = values.get("person_api_id"), values.get("package_api_id")
    if person is not None and person not in people:
        errors.add(where + "person_api_id", UNKNOWN_PERSON)
    if package is not None and package not in packages:
        errors.add(where + "package_api_id", UNKNOWN_PACKAGE)
