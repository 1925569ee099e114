"""Convergence properties of Training Records: random manifests over a random account of records.

Every example seeds the emulator's people and packages registries (the vendor's sibling Directory and
Training Packages APIs) and some records "made elsewhere": several for one person and package, ones
of people and packages the manifests never name, and person ids that differ only in case (the API
treats ids as opaque strings, so `P-1` and `p-1` are two people). A manifest names some of those
people and packages and declares records with dates (bare dates, instants with UTC offsets, null,
or omitted). Then apply → the next plan is empty → the emulator's own store holds every declared
date on the newest record of each declared pair, and with `manage.enrollments: authoritative`
nothing else is left in the packages the manifests enroll in; with `additive` every record of an
undeclared pair is untouched. A second random manifest applied on top must do the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lmsform.providers.training_records.emulator import TrainingRecordsStore, emulator_store
from lmsform.providers.training_records.emulator.record_store import TrainingRecord
from tests.properties.harness import Convergence, Vendor, describe_project, instant, yaml_text

pytestmark = pytest.mark.properties

KEY = "tr-key-CANARY-5d1e"
VENDOR = Vendor(
    provider="training-records",
    settings="  username: lmsform\n  api_key: ${TRAINING_RECORDS_API_KEY}\n",
    key_variable="TRAINING_RECORDS_API_KEY",
    key=KEY,
)

# Person ids are opaque to the API: these differ only in case, or are not ASCII.
PEOPLE = ("P-1", "p-1", "P-2", "Ωmega-3", "p-4")
PACKAGES = {
    "pkg-fire": "Fire safety awareness",
    "PKG-FIRE": "Fire safety (2019 edition)",
    "pkg-ü": "Ünïcode ✓ package",
    "pkg-data": "Data privacy",
}
# Course titles a manifest may give a package: the key, compared exactly, so case variants are
# different courses; one is another package's id.
TITLES = ("Fire safety", "fire safety", "Ünïcode ✓", "Data privacy", "Données personnelles", "PKG-FIRE")
OFFSETS = (0, 8 * 60, -5 * 60, 5 * 60 + 30, 14 * 60, -12 * 60)
OMITTED = "omitted"


def email_of(person: str) -> str:
    return f"person{PEOPLE.index(person)}@acme.com"


# --- strategies -------------------------------------------------------------------------------------


def instants(year: int = 2026) -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda day, minute, offset: (
            datetime(year, 1, day, tzinfo=timezone(timedelta(minutes=offset))) + timedelta(minutes=minute)
        ),
        st.integers(1, 6),
        st.sampled_from((0, 9 * 60, 17 * 60 + 30, 23 * 60 + 59)),
        st.sampled_from(OFFSETS),
    )


def instant_texts() -> st.SearchStrategy[str]:
    """An instant as a person writes it: with its offset, or `Z` for UTC."""
    return st.builds(
        lambda moment, zulu: moment.isoformat().replace("+00:00", "Z") if zulu else moment.isoformat(),
        instants(),
        st.booleans(),
    )


# A declared date: omitted (left as it is), null (not started / completed), a day, or an instant.
moments: st.SearchStrategy[Any] = st.one_of(
    st.just(OMITTED),
    st.none(),
    st.builds(lambda day: date(2026, 1, day).isoformat(), st.integers(1, 6)),
    instant_texts(),
)


def as_instant(value: str) -> datetime:
    moment = instant(value)
    return moment if moment is not None else datetime.fromisoformat(value).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Manifest:
    """What one random manifest declares, in the vendor's terms, and its files."""

    users: dict[str, str]  # person api_id → the user's key as the manifests spell references to it
    courses: dict[str, str]  # package api_id → course title
    # (person, package) → declared vendor fields: date_started / date_completed (a date or an instant)
    records: dict[tuple[str, str], dict[str, str | None]]
    mode: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> set[str]:
        """The packages the manifests enroll in: with `authoritative`, they hold declared records only."""
        return {package for _, package in self.records}


def case_variant(text: str, flips: list[bool]) -> str:
    return "".join(
        char.swapcase() if flip else char
        for char, flip in zip(text, flips + [False] * len(text), strict=False)
    )


@st.composite
def manifests(draw: st.DrawFn) -> Manifest:
    people = draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=len(PEOPLE)))
    users: dict[str, str] = {}
    user_entries = []
    keys_taken: set[str] = set()
    for person in people:
        with_email = draw(st.booleans()) or person.lower() in keys_taken
        key = email_of(person) if with_email else person
        keys_taken.add(key.lower())
        users[person] = key
        entry = {"api_id": person}
        if with_email:
            entry = {"email": case_variant(email_of(person), draw(st.lists(st.booleans()))), **entry}
        user_entries.append(entry)
    packages = draw(st.lists(st.sampled_from(list(PACKAGES)), unique=True, max_size=len(TITLES)))
    titles = draw(st.permutations(TITLES))
    courses = dict(zip(packages, titles, strict=False))
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(people), st.sampled_from(packages)), unique=True)
        if people and packages
        else st.just([])
    )
    records = {pair: draw(record_dates()) for pair in pairs}
    mode = draw(st.sampled_from(("authoritative", "additive")))
    directory = {
        "users": user_entries,
        "courses": [{"title": title, "api_id": package} for package, title in courses.items()],
    }
    enrollments = enrollment_entries(draw, users, courses, records)
    files = {"directory.yaml": yaml_text({key: value for key, value in directory.items() if value})}
    if enrollments:
        files["training.yaml"] = yaml_text({"enrollments": enrollments})
    return Manifest(users, courses, records, mode, files)


@st.composite
def record_dates(draw: st.DrawFn) -> dict[str, str | None]:
    started, completed = draw(moments), draw(moments)
    both = started not in (OMITTED, None) and completed not in (OMITTED, None)
    if both and as_instant(completed) < as_instant(started):
        started, completed = completed, started
    dates = {"date_started": started, "date_completed": completed}
    return {name: value for name, value in dates.items() if value != OMITTED}


def enrollment_entries(
    draw: st.DrawFn,
    users: Mapping[str, str],
    courses: Mapping[str, str],
    records: Mapping[tuple[str, str], Mapping[str, str | None]],
) -> list[dict[str, Any]]:
    """One entry per package and set of dates; users referred to by their key in any case."""
    grouped: dict[tuple[str, tuple[tuple[str, str | None], ...]], list[str]] = {}
    for (person, package), dates in records.items():
        grouped.setdefault((package, tuple(sorted(dates.items()))), []).append(person)
    entries = []
    for (package, same_dates), people in grouped.items():
        references = [case_variant(users[person], draw(st.lists(st.booleans()))) for person in people]
        entry: dict[str, Any] = {"course": courses[package], "users": references}
        for name, value in same_dates:
            entry[{"date_started": "started", "date_completed": "completed"}[name]] = value
        entries.append(entry)
    return entries


@st.composite
def accounts(draw: st.DrawFn) -> dict[str, Any]:
    """The registries, and records made elsewhere (any person, any package, several per pair)."""
    records = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "person_api_id": st.sampled_from(PEOPLE),
                    "package_api_id": st.sampled_from(list(PACKAGES)),
                    "date_assigned": instants(2025).map(datetime.isoformat),
                    "date_started": st.one_of(st.none(), instants().map(datetime.isoformat)),
                    "date_completed": st.one_of(st.none(), instants().map(datetime.isoformat)),
                }
            ),
            max_size=8,
        )
    )
    return {
        "people": [
            {"api_id": person, "name": f"Person {n}", "email": f"person{n}@acme.com"}
            for n, person in enumerate(PEOPLE)
        ],
        "packages": [{"api_id": package, "description": text} for package, text in PACKAGES.items()],
        "records": records,
    }


# --- what the store holds ---------------------------------------------------------------------------


def stored_records(store: TrainingRecordsStore) -> list[TrainingRecord]:
    """Every record in the emulator's store, in creation order."""
    return store.records()


def newest(records: list[TrainingRecord]) -> TrainingRecord:
    """The record the vendor's document says stands for a pair: the newest by `date_assigned` (ties:
    the one made last)."""
    order = {record.api_id: position for position, record in enumerate(records)}
    return max(records, key=lambda record: (as_instant(record.date_assigned), order[record.api_id]))


def holds_date(declared: str | None, stored: str | None) -> bool:
    """A declared day is any time on that day in UTC (lmsform's rule, which the vendor document leaves
    to the client); a declared instant is that instant whatever the offset; null is null."""
    if declared is None or stored is None:
        return declared is stored
    if instant(declared) is None:
        return as_instant(stored).astimezone(UTC).date().isoformat() == declared
    return as_instant(declared) == as_instant(stored)


def assert_store_converged(
    store: TrainingRecordsStore, manifest: Manifest, before: list[TrainingRecord]
) -> None:
    records = stored_records(store)
    context = describe_project(manifest.files, {"enrollments": manifest.mode})
    for (person, package), dates in manifest.records.items():
        pair = [
            record for record in records if (record.person_api_id, record.package_api_id) == (person, package)
        ]
        assert pair, f"record of {person} in {package}: declared, but the store holds none\n{context}"
        held = newest(pair).as_json()
        for name, value in dates.items():
            assert holds_date(value, held[name]), (
                f"record of {person} in {package}: declared {name} {value!r}, the newest record holds "
                f"{held[name]!r}\n{context}"
            )
    declared = set(manifest.records)
    undeclared = [
        record for record in records if (record.person_api_id, record.package_api_id) not in declared
    ]
    if manifest.mode == "authoritative":
        left = [record.as_json() for record in undeclared if record.package_api_id in manifest.scope]
        assert not left, (
            f"authoritative, yet undeclared records remain in enrolled packages: {left}\n{context}"
        )
    else:
        was = [record for record in before if (record.person_api_id, record.package_api_id) not in declared]
        assert undeclared == was, f"additive, yet undeclared records changed: {was} → {undeclared}\n{context}"


# --- the properties ---------------------------------------------------------------------------------


@pytest.fixture
def training_records(tmp_path: Path) -> Iterator[Convergence]:
    with Convergence(VENDOR, tmp_path) as convergence:
        yield convergence


def converge_and_check(convergence: Convergence, manifest: Manifest) -> None:
    store = emulator_store(convergence.app)  # type: ignore[arg-type]
    before = stored_records(store)
    convergence.converge(manifest.files, manage={"enrollments": manifest.mode})
    assert_store_converged(store, manifest, before)


@given(account=accounts(), first=manifests(), second=manifests())
def test_records_converge_and_the_store_holds_every_declared_date(
    training_records: Convergence, account: dict[str, Any], first: Manifest, second: Manifest
) -> None:
    training_records.reset()
    training_records.seed(account)
    converge_and_check(training_records, first)
    converge_and_check(training_records, second)
