"""Listing training records: a bare array without `limit`, DRF's envelope with it, the links, the cap,
bad parameters, `search`, and a 20,000-record organisation read in the floor number of requests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from lmsform.providers.training_records.emulator import TrainingRecordsEmulatorOptions
from tests.emulators.vendors import RECORDS, StartRecordsApi, TrainingRecordsApi, assert_invalid
from tests.emulators.vendors import RECORDS_WORLD as WORLD
from tests.emulators.vendors import seed_records_world as seed_world

PAIRS = [("p-ada", "pkg-fire"), ("p-bob", "pkg-first-aid"), ("p-cy", "pkg-gdpr")]


def _seed_records(emulator: TrainingRecordsApi, count: int) -> list[str]:
    """`count` records `r-000`… cycling through the three people and packages; answers their ids."""
    records = [
        {
            "api_id": f"r-{number:03d}",
            "person_api_id": PAIRS[number % 3][0],
            "package_api_id": PAIRS[number % 3][1],
        }
        for number in range(count)
    ]
    emulator.seed({**WORLD, "records": records})
    return [record["api_id"] for record in records]


def _ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["api_id"] for record in records]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_without_limit_the_list_is_a_bare_array_of_everything_in_creation_order(
    records_api: TrainingRecordsApi,
) -> None:
    assert records_api.listing() == []
    seed_world(records_api)
    created = [
        records_api.create(api_id=name, person_api_id="p-ada", package_api_id="pkg-fire")
        for name in ("z", "a", "m")
    ]
    assert records_api.listing() == created
    records_api.delete(f"{RECORDS}a/")
    later = records_api.create(api_id="a", person_api_id="p-bob", package_api_id="pkg-gdpr")
    assert _ids(records_api.listing()) == ["z", "m", "a"]
    assert records_api.listing()[-1] == later


def test_with_limit_the_list_is_drfs_envelope_with_absolute_links(records_api: TrainingRecordsApi) -> None:
    ids = _seed_records(records_api, 5)
    first = records_api.listing(limit=2)
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 5 and _ids(first["results"]) == ids[:2]
    assert first["next"] == f"{records_api.url}{RECORDS}?limit=2&offset=2"
    assert first["previous"] is None
    middle = records_api.listing(limit=2, offset=2)
    assert _ids(middle["results"]) == ids[2:4]
    assert middle["next"] == f"{records_api.url}{RECORDS}?limit=2&offset=4"
    assert middle["previous"] == f"{records_api.url}{RECORDS}?limit=2", "offset 0 is dropped, as DRF does"
    last = records_api.listing(limit=2, offset=4)
    assert _ids(last["results"]) == ids[4:] and last["next"] is None
    assert last["previous"] == f"{records_api.url}{RECORDS}?limit=2&offset=2"
    odd = records_api.listing(limit=2, offset=3)
    assert odd["previous"] == f"{records_api.url}{RECORDS}?limit=2&offset=1"
    assert records_api.listing(limit=10) == {
        "count": 5,
        "next": None,
        "previous": None,
        "results": first["results"] + middle["results"] + last["results"],
    }


def test_an_empty_list_with_limit_is_an_empty_envelope(records_api: TrainingRecordsApi) -> None:
    assert records_api.listing(limit=5, offset=0) == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 10, 11])
def test_following_next_collects_every_record_exactly_once(
    records_api: TrainingRecordsApi, limit: int
) -> None:
    ids = _seed_records(records_api, 10)
    assert _ids(records_api.read_all(limit)) == ids
    assert records_api.counts()["routes"] == {"GET /training/record/": -(-10 // limit)}


def test_links_keep_the_other_query_parameters(records_api: TrainingRecordsApi) -> None:
    ids = _seed_records(records_api, 9)
    page = records_api.listing(limit=2, search="fire", extra="x y")
    assert page["count"] == 3
    assert _query(page["next"]) == {"extra": ["x y"], "limit": ["2"], "offset": ["2"], "search": ["fire"]}
    assert urlsplit(page["next"]).path == RECORDS
    assert _ids(records_api.read_all(2, search="fire")) == ids[0::3]


def test_a_limit_above_the_cap_is_served_as_the_cap(records_api: TrainingRecordsApi) -> None:
    ids = _seed_records(records_api, 150)
    page = records_api.listing(limit=1000)
    assert len(page["results"]) == 100 and page["count"] == 150
    assert _query(page["next"])["limit"] == ["100"]
    assert _ids(records_api.read_all(500)) == ids


def test_the_cap_is_an_option(start_records_api: StartRecordsApi) -> None:
    emulator = start_records_api(options=TrainingRecordsEmulatorOptions(limit_cap=7))
    ids = _seed_records(emulator, 20)
    page = emulator.listing(limit=100, offset=14)
    assert _ids(page["results"]) == ids[14:] and page["next"] is None
    assert _query(page["previous"]) == {"limit": ["7"], "offset": ["7"]}
    assert len(emulator.listing()) == 20, "the cap does not apply without a limit"


def test_an_offset_past_the_end_answers_no_results(records_api: TrainingRecordsApi) -> None:
    _seed_records(records_api, 5)
    for offset in (5, 6, 1000, 10**30):
        page = records_api.listing(limit=2, offset=offset)
        assert page["count"] == 5 and page["results"] == [] and page["next"] is None
        assert _query(page["previous"]) == {"limit": ["2"], "offset": [str(offset - 2)]}


def test_offset_without_limit_is_checked_but_not_applied(records_api: TrainingRecordsApi) -> None:
    ids = _seed_records(records_api, 4)
    assert _ids(records_api.listing(offset=2)) == ids
    assert_invalid(
        records_api.get(RECORDS, params={"offset": "-1"}),
        {"offset": ["Ensure this value is greater than or equal to 0."]},
    )


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"limit": "0"}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"limit": "-5"}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"limit": "abc"}, {"limit": ["A valid integer is required."]}),
        ({"limit": "1.5"}, {"limit": ["A valid integer is required."]}),
        ({"limit": ""}, {"limit": ["A valid integer is required."]}),
        ({"limit": " 5"}, {"limit": ["A valid integer is required."]}),
        ({"limit": "5", "offset": "-1"}, {"offset": ["Ensure this value is greater than or equal to 0."]}),
        ({"limit": "5", "offset": "two"}, {"offset": ["A valid integer is required."]}),
        (
            {"limit": "-1", "offset": "x"},
            {
                "limit": ["Ensure this value is greater than or equal to 1."],
                "offset": ["A valid integer is required."],
            },
        ),
    ],
)
def test_bad_limit_or_offset_answers_400(
    records_api: TrainingRecordsApi, params: dict[str, str], errors: dict[str, list[str]]
) -> None:
    _seed_records(records_api, 2)
    assert_invalid(records_api.get(RECORDS, params=params), errors)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("fire", ["r-000"]),  # package_desc
        ("FIRST AID", ["r-001"]),  # package_desc, two terms, any case
        ("pkg-gdpr", ["r-002"]),  # package_api_id
        ("P-BOB", ["r-001"]),  # person_api_id
        ("lovelace", ["r-000"]),  # the person's name
        ("STRASSE", ["r-002"]),  # case folding beyond ASCII: ß folds to ss
        ("pkg-f", ["r-000", "r-001"]),
        ("ada,fire", ["r-000"]),  # terms split on commas too, and all must match
        ("ada gdpr", []),
        ("p-", ["r-000", "r-001", "r-002"]),
        ("nothing", []),
        ("", ["r-000", "r-001", "r-002"]),
        ("   ", ["r-000", "r-001", "r-002"]),
        ("%", []),
        ("_", []),
    ],
)
def test_search_matches_substrings_of_the_four_fields_ignoring_case(
    records_api: TrainingRecordsApi, search: str, expected: list[str]
) -> None:
    _seed_records(records_api, 3)
    assert _ids(records_api.listing(search=search)) == expected
    page = records_api.listing(search=search, limit=1)
    assert page["count"] == len(expected) and _ids(page["results"]) == expected[:1]


def test_search_does_not_match_the_email_or_the_dates(records_api: TrainingRecordsApi) -> None:
    _seed_records(records_api, 1)
    records_api.ok("PATCH", f"{RECORDS}r-000/", json={"date_started": "2024-05-01T09:30:00Z"})
    assert records_api.listing(search="example.com") == []
    assert records_api.listing(search="2024") == []


def test_twenty_thousand_records_seed_fast_and_read_in_the_floor_number_of_requests(
    records_api: TrainingRecordsApi,
) -> None:
    people = [{"api_id": f"p{number:04d}", "name": f"Person {number}"} for number in range(2000)]
    packages = [{"api_id": f"pkg{number:02d}", "description": f"Package {number}"} for number in range(40)]
    records = [
        {
            "person_api_id": f"p{number % 2000:04d}",
            "package_api_id": f"pkg{number % 40:02d}",
            "date_started": "2024-05-01T09:30:00+02:00",
        }
        for number in range(20_000)
    ]
    seeded = records_api.seed({"people": people, "packages": packages, "records": records})["records"]
    assert len(seeded) == 20_000 and seeded[0]["date_started"] == "2024-05-01T07:30:00Z"

    everything = records_api.listing()
    assert everything == seeded

    paged = records_api.read_all(100)
    assert paged == seeded
    searched = records_api.listing(search="Person 1999")
    assert len(searched) == 10 and all(record["person_api_id"] == "p1999" for record in searched)
    assert records_api.counts() == {"total": 1 + 200 + 1, "routes": {"GET /training/record/": 202}}
