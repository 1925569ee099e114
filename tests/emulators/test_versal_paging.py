"""The Versal emulator's header-based paging: both header forms and each alone, defaults, the cap,
the last page, empty collections, pages past the end, bad values, and a whole org read at scale."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from lmsform.providers.versal.emulator import VersalEmulatorOptions
from tests.emulators.vendors import ORG, StartVersal, Versal, assert_error
from tests.emulators.vendors import seed_versal_world as seed_world

SEPARATE = ("count", "page", "pageCount", "perPage")


def _people(count: int, prefix: str = "p") -> list[dict[str, Any]]:
    return [{"email": f"{prefix}{index:05d}@example.com", "roles": ["learner"]} for index in range(count)]


def _metadata(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    metadata: dict[str, Any] = json.loads(response.headers["X-Pagination"])
    assert {name: int(response.headers[name]) for name in SEPARATE} == {
        name: metadata[name] for name in SEPARATE
    }, "both forms agree"
    return metadata


def test_pages_default_to_twenty_and_carry_both_header_forms(versal: Versal) -> None:
    versal.seed({"users": _people(45)})
    first = versal.get(f"/orgs/{ORG}/members")
    assert first.headers["X-Pagination"] == '{"count":45,"page":1,"nextPage":2,"perPage":20,"pageCount":3}'
    assert [first.headers[name] for name in SEPARATE] == ["45", "1", "3", "20"]
    assert len(first.json()) == 20
    last = versal.get(f"/orgs/{ORG}/members", params={"page": 3})
    assert _metadata(last) == {"count": 45, "page": 3, "nextPage": None, "perPage": 20, "pageCount": 3}
    assert [m["user"]["email"] for m in last.json()] == [
        f"p{index:05d}@example.com" for index in range(40, 45)
    ]


def test_walking_the_pages_yields_every_member_once_in_id_order(versal: Versal) -> None:
    versal.seed({"users": _people(23)})
    seen: list[str] = []
    page: int | None = 1
    while page is not None:
        response = versal.get(f"/orgs/{ORG}/members", params={"page": page, "perPage": 5})
        seen += [member["user"]["id"] for member in response.json()]
        page = _metadata(response)["nextPage"]
    assert len(seen) == 23 and seen == sorted(seen, key=int)


def test_a_page_past_the_end_is_empty_with_the_real_totals(versal: Versal) -> None:
    versal.seed({"users": _people(3)})
    response = versal.get(f"/orgs/{ORG}/members", params={"page": 9, "perPage": 2})
    assert response.json() == []
    assert _metadata(response) == {"count": 3, "page": 9, "nextPage": None, "perPage": 2, "pageCount": 2}


def test_an_empty_collection_has_no_pages(versal: Versal) -> None:
    response = versal.get(f"/orgs/{ORG}/members")
    assert response.json() == []
    assert (
        response.headers["X-Pagination"] == '{"count":0,"page":1,"nextPage":null,"perPage":20,"pageCount":0}'
    )
    assert [response.headers[name] for name in SEPARATE] == ["0", "1", "0", "20"]


def test_per_page_is_capped_and_the_headers_show_the_size_used(versal: Versal, start: StartVersal) -> None:
    versal.seed({"users": _people(120)})
    response = versal.get(f"/orgs/{ORG}/members", params={"perPage": 500})
    assert len(response.json()) == 100
    assert _metadata(response) == {"count": 120, "page": 1, "nextPage": 2, "perPage": 100, "pageCount": 2}
    small = start(options=VersalEmulatorOptions(date_fields="date", per_page_cap=7))
    small.seed({"users": _people(10)})
    capped = small.get(f"/orgs/{ORG}/members", params={"perPage": 8})
    assert len(capped.json()) == 7 and _metadata(capped)["pageCount"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {"perPage": 0},
        {"perPage": -5},
        {"perPage": "ten"},
        {"perPage": "2.5"},
        {"perPage": ""},
        {"page": 0},
        {"page": "two"},
    ],
)
def test_bad_page_values_answer_400_on_every_paged_operation(versal: Versal, params: dict[str, Any]) -> None:
    ids = seed_world(versal)
    for path in _paged_paths(ids):
        assert_error(versal.get(path, params=params, malformed=True), 400)


def _paged_paths(ids: dict[str, Any]) -> list[str]:
    return [
        f"/orgs/{ORG}/members",
        "/courses",
        f"/courses/{ids['intro']}/userdata",
        f"/courses/{ids['intro']}/lessons/{ids['quiz']}/gadgets/{ids['quiz_gadget']}/userdata",
    ]


def test_every_paged_operation_pages(versal: Versal) -> None:
    ids = seed_world(versal)
    for path in _paged_paths(ids):
        response = versal.get(path, params={"perPage": 1, "page": 2})
        assert len(response.json()) == 1, path
        metadata = _metadata(response)
        assert (metadata["page"], metadata["perPage"]) == (2, 1)
        assert metadata["pageCount"] == metadata["count"] >= 2


@pytest.mark.parametrize(
    ("form", "x_pagination", "separate"), [("x-pagination", True, False), ("separate", False, True)]
)
def test_each_header_form_can_be_sent_alone(
    start: StartVersal, form: Any, x_pagination: bool, separate: bool
) -> None:
    emulator = start(options=VersalEmulatorOptions(date_fields="date", pagination_headers=form))
    ids = seed_world(emulator)
    for path in _paged_paths(ids):
        response = emulator.get(path, params={"perPage": 1})
        assert response.status_code == 200
        assert ("X-Pagination" in response.headers) is x_pagination, path
        assert all((name in response.headers) is separate for name in SEPARATE), path
    one = emulator.get(f"/orgs/{ORG}/members", params={"perPage": 2})
    if x_pagination:
        assert json.loads(one.headers["X-Pagination"]) == {
            "count": 3,
            "page": 1,
            "nextPage": 2,
            "perPage": 2,
            "pageCount": 2,
        }
    else:
        assert [one.headers[name] for name in SEPARATE] == ["3", "1", "2", "2"]


def test_a_whole_org_at_scale_reads_in_the_floor_number_of_requests(versal: Versal) -> None:
    """5,000 members, 100 courses with 200 tracked learners each, read at 100 a page: 50 + 1 + 200."""
    versal.seed({"users": _people(5000)})
    courses = [
        {
            "title": f"Course {number}",
            "tracked": [f"p{(number * 37 + offset) % 5000:05d}@example.com" for offset in range(200)],
        }
        for number in range(100)
    ]
    versal.seed({"courses": courses})

    def read_all(path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page: int | None = 1
        while page is not None:
            response = versal.get(path, params={"page": page, "perPage": 100})
            rows += response.json()
            page = _metadata(response)["nextPage"]
        return rows

    members = read_all(f"/orgs/{ORG}/members")
    assert len({member["user"]["id"] for member in members}) == 5000
    listed = read_all("/courses")
    assert len(listed) == 100
    enrolments = sum(len(read_all(f"/courses/{course['id']}/userdata")) for course in listed)
    assert enrolments == 20_000
    assert (
        len([record for record in versal.server.requests if record.path.startswith("/api2/")]) == 50 + 1 + 200
    )
