"""Planned changes to Training Records API calls: one function per (kind, action).

lmsform names the records it creates itself (`api_id`), from the person and the package, so a create
re-sent after a lost answer cannot make a second record: the vendor refuses the id as taken, and
lmsform then reads the record under that id and carries on from what is there.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from lmsform.errors import ProviderError
from lmsform.kinds import COURSES, ENROLLMENTS, USERS
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext, Operation
from lmsform.providers.training_records.client import TrainingRecordsClient
from lmsform.providers.training_records.reader import DATES, instant
from lmsform.specs import canonical_instant

log = logging.getLogger("lmsform.training-records")

ID_PREFIX = "lmsform-"
BAD_REQUEST = 400


def record_id(person: str, package: str) -> str:
    """The api_id lmsform gives the record of `person` taking `package`: the same on every run."""
    digest = hashlib.sha256(f"{person}\n{package}".encode()).hexdigest()
    return ID_PREFIX + digest[:24]


def vendor_date(value: str | None) -> str | None:
    """A manifest's date (the start of that day, UTC) or instant, as the API takes it."""
    if value is None:
        return None
    return canonical_instant(f"{value}T00:00:00Z" if len(value) == len("2024-01-31") else value)


def _dates(fields: Mapping[str, Any], names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {DATES[name]: vendor_date(fields[name]) for name in names if name in DATES and name in fields}


def create_record(client: TrainingRecordsClient, change: Change, context: ApplyContext) -> None:
    after = change.after or {}
    _, package_name, person_name = change.key
    person = context.id_of(USERS.name, (person_name,))
    package = context.id_of(COURSES.name, (package_name,))
    api_id = record_id(person, package)
    dates = _dates(after, list(DATES))
    body = {"api_id": api_id, "person_api_id": person, "package_api_id": package, **dates}
    try:
        client.create(body, key=change.address)
    except ProviderError as error:
        if error.status != BAD_REQUEST:
            raise
        # Our id taken means an earlier attempt got through (its answer was lost): check it is ours.
        existing = client.get(api_id, key=change.address)
        if existing is None:
            raise
        if (existing.get("person_api_id"), existing.get("package_api_id")) != (person, package):
            raise ProviderError(
                vendor=client.http.vendor,
                message=f"record {api_id} exists but for another person or package "
                "(changed outside lmsform); delete it or point it back",
                kind=ENROLLMENTS.name,
                key=change.address,
            ) from None
        stale = {name: value for name, value in dates.items() if instant(existing.get(name)) != value}
        log.info("%s: record %s was already created; carrying on from it", change.address, api_id)
        if stale:
            client.patch(api_id, stale, key=change.address)
    context.record(ENROLLMENTS.name, change.key, api_id)


def update_record(client: TrainingRecordsClient, change: Change, context: ApplyContext) -> None:
    """The changed dates, and any the record cannot show (`Change.sends`; today every date reads back)."""
    client.patch(change.ids["id"], _dates(change.after or {}, change.sends), key=change.address)


def delete_records(client: TrainingRecordsClient, change: Change, context: ApplyContext) -> None:
    """The record, and any older ones of the same person and package; ones already gone are fine."""
    older = change.ids.get("older", "")
    for api_id in [change.ids["id"], *filter(None, older.split(","))]:
        if not client.delete(api_id, key=change.address):
            log.info("%s: record %s was already gone", change.address, api_id)


OPERATIONS: Mapping[tuple[str, Action], Operation[TrainingRecordsClient]] = {
    (ENROLLMENTS.name, Action.CREATE): create_record,
    (ENROLLMENTS.name, Action.UPDATE): update_record,
    (ENROLLMENTS.name, Action.DELETE): delete_records,
}
