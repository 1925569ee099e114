"""Read an organisation's training records into lmsform's State.

People and packages live in sibling APIs lmsform does not read: the manifests name them (users and
courses with their `api_id`), and records are keyed by those names. A record of a person or package
the manifests do not name is keyed by its raw api id. Several records of one person and package
stand for one enrollment: the newest (by `date_assigned`) is compared, and removal deletes them all.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from lmsform.errors import ProviderError
from lmsform.kinds import COURSES, ENROLLMENTS, USERS, Key
from lmsform.providers.training_records.client import TrainingRecordsClient
from lmsform.providers.vendor_answers import malformed_items
from lmsform.specs import canonical_instant
from lmsform.state import Resource, State

TARGET_TYPE = "package"
# Record fields as the manifests name them.
DATES = {"started": "date_started", "completed": "date_completed"}
_NEVER = datetime.min.replace(tzinfo=UTC)


def read_state(client: TrainingRecordsClient, desired: State, *, everything: bool = False) -> State:
    vendor = client.http.vendor
    with malformed_items(vendor, item="a record", kind=ENROLLMENTS.name):
        records = client.records()
        return _build(records, desired, everything, vendor)


def names_by_id(resources: Iterable[Resource]) -> dict[str, str]:
    """The vendor id → the name the manifests give it."""
    return {resource.ids["id"]: resource.key[0] for resource in resources if "id" in resource.ids}


def instant(value: Any) -> str | None:
    return None if value in (None, "") else canonical_instant(str(value))


def _build(records: list[dict[str, Any]], desired: State, everything: bool, vendor: str) -> State:
    people = names_by_id(desired.of(USERS.name).values())
    packages = names_by_id(desired.of(COURSES.name).values())
    live = State()
    if everything:
        people, packages = _name_everything(records, live, vendor)
    people = {**_unnamed((str(r["person_api_id"]) for r in records), people, fold=str.lower), **people}
    packages = {**_unnamed((str(r["package_api_id"]) for r in records), packages, fold=str), **packages}
    newest_first = sorted(enumerate(records), key=_age, reverse=True)
    pairs: dict[Key, list[dict[str, Any]]] = {}
    for _, record in newest_first:
        person, package = str(record["person_api_id"]), str(record["package_api_id"])
        key = ENROLLMENTS.key_of({"type": TARGET_TYPE, "target": packages[package], "user": people[person]})
        pairs.setdefault(key, []).append(record)
    for key, same_pair in pairs.items():
        newest, older = same_pair[0], same_pair[1:]
        fields = {
            "type": TARGET_TYPE,
            "target": key[1],
            "user": key[2],
            **{name: instant(newest.get(vendor_name)) for name, vendor_name in DATES.items()},
            "date_assigned": instant(newest.get("date_assigned")),
            "package_desc": newest.get("package_desc"),
        }
        ids = {"id": str(newest["api_id"])}
        if older:
            ids["older"] = ",".join(str(record["api_id"]) for record in older)
        live.add(Resource(ENROLLMENTS.name, key, fields, ids=ids))
    return live


def _unnamed(ids: Iterable[str], named: Mapping[str, str], *, fold: Callable[[str], str]) -> dict[str, str]:
    """A name for each id the manifests do not name (a person, a package): the id itself, folded as
    keys of its kind are (user keys are lower-cased).

    The API's ids are opaque, so `P-1` and `p-1` are two people, and a package's id may be another
    package's title in the manifests; folded ids that meet each other or a name from the manifests
    would let one person's or package's records pass for another's. Such an id gets a suffix made from
    its exact spelling (`p-1~5c2d9e0a`) that no other id shares.
    """
    unnamed = set(ids) - set(named)
    spellings = Counter([*(fold(item) for item in unnamed), *named.values()])
    return {
        item: fold(item) if spellings[fold(item)] == 1 else f"{fold(item)}~{_digest(item)}"
        for item in unnamed
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _age(position_and_record: tuple[int, Mapping[str, Any]]) -> tuple[datetime, int]:
    """Newer records sort later: by `date_assigned`, then by their place in the list (creation order)."""
    position, record = position_and_record
    assigned = instant(record.get("date_assigned"))
    return (datetime.fromisoformat(assigned) if assigned else _NEVER, position)


def _refuse_folded_twins(people: Mapping[str, str], vendor: str) -> None:
    """An export names a person by their api id, and user keys ignore case: two ids that differ only
    in case would become one user, and one person's records would be left out of the manifests (and
    removed by an authoritative plan). Say so instead, with what to do."""
    by_key: dict[str, list[str]] = {}
    for person, key in people.items():
        by_key.setdefault(key, []).append(person)
    twins = sorted(sorted(ids) for ids in by_key.values() if len(ids) > 1)
    if twins:
        shown = "; ".join(", ".join(ids) for ids in twins)
        raise ProviderError(
            vendor=vendor,
            kind=USERS.name,
            message=f"people whose api ids differ only in case cannot be exported ({shown}): lmsform's "
            "user keys ignore case. Declare them in the manifests with an `email:` each as their key, "
            "and export the other kinds",
        )


def _name_everything(
    records: list[dict[str, Any]], live: State, vendor: str
) -> tuple[dict[str, str], dict[str, str]]:
    """For an export: every person and package the records mention, named as readably as the API allows
    (a person by their api id; a package by its description where no other package shares it)."""
    descriptions: dict[str, str] = {}
    for record in records:
        descriptions.setdefault(str(record["package_api_id"]), str(record.get("package_desc") or ""))
    shared = Counter(descriptions.values())
    packages = {
        package: description if description and shared[description] == 1 else package
        for package, description in descriptions.items()
    }
    people: dict[str, str] = {}
    for record in records:
        person = str(record["person_api_id"])
        people[person] = person.lower()
    _refuse_folded_twins(people, vendor)
    for person, name in people.items():
        live.add(Resource(USERS.name, (name,), {"api_id": person}, ids={"id": person}))
    for package, title in packages.items():
        live.add(Resource(COURSES.name, (title,), {"title": title, "api_id": package}, ids={"id": package}))
    return people, packages
