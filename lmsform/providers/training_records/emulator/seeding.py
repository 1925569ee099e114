"""Put a starting state into the store in one go: the `/_emulator/seed` hook, callable in-process.

The document (every section optional):

    {"people":   [{"api_id": <required>, "name": <required>, "email": <str or null> = null}],
     "packages": [{"api_id": <required>, "description": <required>}],
     "records":  [{"api_id": <generated if absent or null>, "person_api_id": <required>,
                   "package_api_id": <required>, "date_assigned": <ISO 8601> = now,
                   "date_started": null, "date_completed": null}]}

People and packages are upserted by `api_id` (a known one is updated, keeping its place). Records
follow the API's rules for a create (`record_fields`), may name people and packages of the same
document, and may carry `date_assigned` so tests can seed old records; they are created in document
order. A section this does not know is an error, so a misspelt one cannot pass unseen.

Everything is checked and written in one transaction: on a 400 (every failure at once, keyed like
`records[3].person_api_id`) nothing is written. The answer lists what was made or updated:
`{"people": [...], "packages": [...], "records": [<records as the API shows them>]}`. Records are
validated in bulk and written with one `executemany`, so 20,000 take well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lmsform.providers.training_records.emulator.dates import now_stored, parse_instant
from lmsform.providers.training_records.emulator.errors import NOT_A_STRING, FieldErrors, not_an_object
from lmsform.providers.training_records.emulator.record_fields import (
    DUPLICATE_ID,
    REFERENCES,
    check_references,
    read_fields,
    text,
)
from lmsform.providers.training_records.emulator.record_store import TrainingRecord
from lmsform.providers.training_records.emulator.registry_store import Package, Person
from lmsform.providers.training_records.emulator.store import TrainingRecordsStore

SECTIONS = ("people", "packages", "records")
_UNKNOWN_SECTION = "Unknown section; a seed document has people, packages and records."
_NOT_A_LIST = "Expected a list of objects."


def seed(store: TrainingRecordsStore, document: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and write `document` in one transaction; answers what was made (400 `ApiError` if bad)."""
    if not isinstance(document, Mapping):
        raise not_an_object(document)
    errors = FieldErrors()
    for name in document:
        if name not in SECTIONS:
            errors.add(str(name), _UNKNOWN_SECTION)
    sections = {name: _section(document, name, errors) for name in SECTIONS}
    people = [_person(item, f"people[{i}].", errors) for i, item in enumerate(sections["people"])]
    packages = [_package(item, f"packages[{i}].", errors) for i, item in enumerate(sections["packages"])]
    errors.raise_any()
    with store.transaction():
        store.put_people([person for person in people if person is not None])
        store.put_packages([package for package in packages if package is not None])
        records = _records(store, sections["records"], errors)
        errors.raise_any()
        store.insert_records(records)
    return {
        "people": [person.as_json() for person in people if person is not None],
        "packages": [package.as_json() for package in packages if package is not None],
        "records": [record.as_json() for record in records],
    }


def _section(document: Mapping[str, Any], name: str, errors: FieldErrors) -> list[dict[str, Any]]:
    items = document.get(name, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        errors.add(name, _NOT_A_LIST)
        return []
    return items


def _required_text(item: Mapping[str, Any], name: str, where: str, errors: FieldErrors) -> str | None:
    if name not in item:
        errors.add(where + name, "This field is required.")
        return None
    try:
        return text(item[name])
    except ValueError as error:
        errors.add(where + name, str(error))
        return None


def _person(item: Mapping[str, Any], where: str, errors: FieldErrors) -> Person | None:
    api_id = _required_text(item, "api_id", where, errors)
    name = _required_text(item, "name", where, errors)
    email = item.get("email")
    if email is not None and not isinstance(email, str):
        errors.add(where + "email", NOT_A_STRING)
        return None
    if api_id is None or name is None:
        return None
    return Person(api_id, name, email)


def _package(item: Mapping[str, Any], where: str, errors: FieldErrors) -> Package | None:
    api_id = _required_text(item, "api_id", where, errors)
    description = _required_text(item, "description", where, errors)
    if api_id is None or description is None:
        return None
    return Package(api_id, description)


def _records(
    store: TrainingRecordsStore, items: Sequence[Mapping[str, Any]], errors: FieldErrors
) -> list[TrainingRecord]:
    """The records of the document, checked against the store (after its people and packages)."""
    wheres = [f"records[{i}]." for i in range(len(items))]
    values = [
        read_fields(item, errors, required=REFERENCES, where=where)
        for item, where in zip(items, wheres, strict=True)
    ]
    assigned = [_date_assigned(item, where, errors) for item, where in zip(items, wheres, strict=True)]
    people = store.known_people(_sent(values, "person_api_id"))
    descriptions = store.package_descriptions(_sent(values, "package_api_id"))
    for value, where in zip(values, wheres, strict=True):
        check_references(value, people, descriptions, errors, where=where)
    _check_ids(store, values, wheres, errors)
    if errors:
        return []
    generated = iter(store.new_record_ids(sum(1 for v in values if v.get("api_id") is None)))
    now = now_stored()
    return [
        TrainingRecord(
            api_id=value.get("api_id") or next(generated),
            person_api_id=str(value["person_api_id"]),
            package_api_id=str(value["package_api_id"]),
            package_desc=descriptions[str(value["package_api_id"])],
            date_assigned=when or now,
            date_started=value.get("date_started"),
            date_completed=value.get("date_completed"),
        )
        for value, when in zip(values, assigned, strict=True)
    ]


def _sent(values: Sequence[Mapping[str, str | None]], name: str) -> list[str]:
    return [sent for value in values if (sent := value.get(name)) is not None]


def _date_assigned(item: Mapping[str, Any], where: str, errors: FieldErrors) -> str | None:
    value = item.get("date_assigned")
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as error:
        errors.add(where + "date_assigned", str(error))
        return None


def _check_ids(
    store: TrainingRecordsStore,
    values: Sequence[Mapping[str, str | None]],
    wheres: Sequence[str],
    errors: FieldErrors,
) -> None:
    """A client id must be new to the store and appear once in the document."""
    ids = [value.get("api_id") for value in values]
    taken = store.taken_record_ids([api_id for api_id in ids if api_id is not None])
    seen: set[str] = set()
    for api_id, where in zip(ids, wheres, strict=True):
        if api_id is None:
            continue
        if api_id in taken or api_id in seen:
            errors.add(where + "api_id", DUPLICATE_ID)
        seen.add(api_id)
