"""Training records through the API: create, read, PUT, PATCH and DELETE, with the reference's rules on
ids, references, read-only fields and dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.emulators.vendors import (
    GENERATED_ID,
    RECORDS,
    UTC_SECONDS,
    WRONG_DATE,
    TrainingRecordsApi,
    assert_detail,
    assert_invalid,
)
from tests.emulators.vendors import seed_records_world as seed_world

REQUIRED = ["This field is required."]
ADA_FIRE = {"person_api_id": "p-ada", "package_api_id": "pkg-fire"}


@pytest.fixture
def api(records_api: TrainingRecordsApi) -> TrainingRecordsApi:
    """The shared emulator with the harness's three people and three packages."""
    seed_world(records_api)
    return records_api


def _path(api_id: str) -> str:
    return f"{RECORDS}{api_id}/"


# --- create ---


def test_create_with_a_client_id_answers_201_with_the_whole_record(api: TrainingRecordsApi) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    created = api.create(
        api_id="lmsform-3f9a2c",
        **ADA_FIRE,
        date_started="2024-05-01T09:30:00Z",
        date_completed=None,
    )
    after = datetime.now(UTC)
    assigned = created.pop("date_assigned")
    assert created == {
        "api_id": "lmsform-3f9a2c",
        "person_api_id": "p-ada",
        "package_api_id": "pkg-fire",
        "package_desc": "Fire safety awareness",
        "date_started": "2024-05-01T09:30:00Z",
        "date_completed": None,
    }
    assert re.fullmatch(UTC_SECONDS, assigned)
    assert before <= datetime.fromisoformat(assigned) <= after
    assert api.record("lmsform-3f9a2c") == {**created, "date_assigned": assigned}
    assert [record["api_id"] for record in api.state()["records"]] == ["lmsform-3f9a2c"]


def test_create_without_an_id_generates_a_unique_twelve_character_one(api: TrainingRecordsApi) -> None:
    made = [api.create(**ADA_FIRE) for _ in range(5)] + [api.create(api_id=None, **ADA_FIRE)]
    ids = [record["api_id"] for record in made]
    assert all(re.fullmatch(GENERATED_ID, api_id) for api_id in ids), ids
    assert len(set(ids)) == 6
    assert [api.record(api_id)["api_id"] for api_id in ids] == ids


def test_a_duplicate_client_id_answers_400_and_changes_nothing(api: TrainingRecordsApi) -> None:
    first = api.create(api_id="dup-1", **ADA_FIRE)
    response = api.post(
        RECORDS, json={"api_id": "dup-1", "person_api_id": "p-bob", "package_api_id": "pkg-gdpr"}
    )
    assert_invalid(response, {"api_id": ["record with this api_id already exists."]})
    assert api.listing() == [first]


def test_several_records_may_share_a_person_and_package(api: TrainingRecordsApi) -> None:
    ids = [api.create(**ADA_FIRE)["api_id"] for _ in range(3)]
    assert [record["api_id"] for record in api.listing()] == ids


def test_create_reports_every_missing_or_bad_field_at_once(api: TrainingRecordsApi) -> None:
    assert_invalid(api.post(RECORDS, json={}), {"person_api_id": REQUIRED, "package_api_id": REQUIRED})
    assert_invalid(
        api.post(RECORDS, json={"api_id": "x", "person_api_id": "p-ada", "date_started": "soon"}),
        {"package_api_id": REQUIRED, "date_started": [WRONG_DATE]},
    )
    assert_invalid(
        api.post(RECORDS, json={"person_api_id": None, "package_api_id": ""}),
        {
            "person_api_id": ["This field may not be null."],
            "package_api_id": ["This field may not be blank."],
        },
    )
    assert_invalid(
        api.post(RECORDS, json={"person_api_id": 42, "package_api_id": ["pkg-fire"]}),
        {"person_api_id": ["Not a valid string."], "package_api_id": ["Not a valid string."]},
    )
    assert api.state()["records"] == []


def test_unknown_people_and_packages_answer_400_on_their_field(api: TrainingRecordsApi) -> None:
    assert_invalid(
        api.post(RECORDS, json={"person_api_id": "p-nobody", "package_api_id": "pkg-fire"}),
        {"person_api_id": ["Unknown person."]},
    )
    assert_invalid(
        api.post(RECORDS, json={"person_api_id": "p-ada", "package_api_id": "pkg-nothing"}),
        {"package_api_id": ["Unknown package."]},
    )
    assert_invalid(
        api.post(RECORDS, json={"person_api_id": "P-ADA", "package_api_id": "PKG-FIRE"}),
        {"person_api_id": ["Unknown person."], "package_api_id": ["Unknown package."]},
    )
    assert api.state()["records"] == []


@pytest.mark.parametrize(
    ("api_id", "message"),
    [
        ("has space", 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
        ("a/b", 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
        ("é", 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
        ("x" * 256, "Ensure this field has no more than 255 characters."),
        ("", "This field may not be blank."),
        (7, "Not a valid string."),
    ],
)
def test_a_client_id_must_be_a_slug_of_at_most_255_characters(
    api: TrainingRecordsApi, api_id: Any, message: str
) -> None:
    assert_invalid(api.post(RECORDS, json={"api_id": api_id, **ADA_FIRE}), {"api_id": [message]})
    assert api.state()["records"] == []


def test_the_longest_client_id_round_trips_through_the_path(api: TrainingRecordsApi) -> None:
    api_id = "Ab_-9" * 51
    assert api.create(api_id=api_id, **ADA_FIRE)["api_id"] == api_id
    assert api.record(api_id)["api_id"] == api_id


def test_read_only_and_unknown_fields_are_ignored(api: TrainingRecordsApi) -> None:
    created = api.create(
        **ADA_FIRE,
        package_desc="Made up",
        date_assigned="2001-01-01T00:00:00Z",
        status="completed",
    )
    assert created["package_desc"] == "Fire safety awareness"
    assert created["date_assigned"] > "2020"
    assert "status" not in created
    patched = api.ok(
        "PATCH", _path(created["api_id"]), json={"package_desc": "X", "date_assigned": "1999-01-01"}
    )
    assert patched == created


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2024-05-01T09:30:00Z", "2024-05-01T09:30:00Z"),
        ("2024-05-01T11:30:00+02:00", "2024-05-01T09:30:00Z"),
        ("2024-05-01T04:00:00-05:30", "2024-05-01T09:30:00Z"),
        ("2024-05-01T00:30:00+00:00", "2024-05-01T00:30:00Z"),
        ("2024-05-01T01:00:00+02:00", "2024-04-30T23:00:00Z"),
        ("2024-05-01T09:30:00", "2024-05-01T09:30:00Z"),
        ("2024-05-01T09:30Z", "2024-05-01T09:30:00Z"),
        ("2024-05-01", "2024-05-01T00:00:00Z"),
        ("2024-05-01T09:30:00.250+01:00", "2024-05-01T08:30:00.250000Z"),
        ("2024-05-01T09:30:00.000Z", "2024-05-01T09:30:00Z"),
    ],
)
def test_dates_are_stored_and_answered_in_utc_with_a_z(
    api: TrainingRecordsApi, sent: str, stored: str
) -> None:
    created = api.create(**ADA_FIRE, date_started=sent, date_completed=sent)
    assert created["date_started"] == stored and created["date_completed"] == stored
    assert api.record(created["api_id"])["date_started"] == stored
    [row] = api.state()["records"]
    assert row["date_started"] == stored


@pytest.mark.parametrize(
    "bad", ["yesterday", "2024-13-01T00:00:00Z", "2024-05-01T25:00:00Z", "", 1714555800, True, {}]
)
def test_an_unparsable_date_answers_400_wrong_format(api: TrainingRecordsApi, bad: Any) -> None:
    assert_invalid(
        api.post(RECORDS, json={**ADA_FIRE, "date_completed": bad}), {"date_completed": [WRONG_DATE]}
    )
    created = api.create(**ADA_FIRE)
    assert_invalid(
        api.patch(_path(created["api_id"]), json={"date_started": bad}), {"date_started": [WRONG_DATE]}
    )
    assert api.record(created["api_id"]) == created


def test_dates_are_not_checked_against_each_other(api: TrainingRecordsApi) -> None:
    completed_only = api.create(**ADA_FIRE, date_completed="2024-01-01T00:00:00Z")
    assert completed_only["date_started"] is None
    backwards = api.create(
        **ADA_FIRE, date_started="2024-06-01T00:00:00Z", date_completed="2024-01-01T00:00:00Z"
    )
    assert (backwards["date_started"], backwards["date_completed"]) == (
        "2024-06-01T00:00:00Z",
        "2024-01-01T00:00:00Z",
    )


# --- read ---


def test_reading_an_unknown_record_answers_404(api: TrainingRecordsApi) -> None:
    api.create(api_id="r-1", **ADA_FIRE)
    for api_id in ("r-2", "R-1", "r-1x", "%20"):
        assert_detail(api.get(_path(api_id)), 404, "Not found.")


# --- PUT ---


def test_put_replaces_every_writable_field_and_unsent_dates_become_null(api: TrainingRecordsApi) -> None:
    created = api.create(
        api_id="r-1", **ADA_FIRE, date_started="2024-01-01T00:00:00Z", date_completed="2024-02-01T00:00:00Z"
    )
    updated = api.ok("PUT", _path("r-1"), json={"person_api_id": "p-bob", "package_api_id": "pkg-fire"})
    assert updated == {**created, "person_api_id": "p-bob", "date_started": None, "date_completed": None}
    assert api.record("r-1") == updated
    again = api.ok(
        "PUT",
        _path("r-1"),
        json={
            "api_id": "r-1",
            **ADA_FIRE,
            "date_started": "2024-03-01T12:00:00+01:00",
            "date_completed": None,
        },
    )
    assert again == {**created, "date_started": "2024-03-01T11:00:00Z", "date_completed": None}


def test_put_requires_the_person_and_the_package(api: TrainingRecordsApi) -> None:
    created = api.create(api_id="r-1", **ADA_FIRE, date_started="2024-01-01T00:00:00Z")
    assert_invalid(
        api.put(_path("r-1"), json={"date_started": None}),
        {"person_api_id": REQUIRED, "package_api_id": REQUIRED},
    )
    assert_invalid(api.put(_path("r-1"), json={"person_api_id": "p-bob"}), {"package_api_id": REQUIRED})
    assert api.record("r-1") == created


def test_updates_of_an_unknown_record_answer_404_before_the_body_is_read(api: TrainingRecordsApi) -> None:
    for method in ("PUT", "PATCH"):
        assert_detail(api.call(method, _path("nobody"), json=ADA_FIRE), 404, "Not found.")
        response = api.call(
            method, _path("nobody"), data="{bad", headers={"Content-Type": "application/json"}
        )
        assert_detail(response, 404, "Not found.")
    assert api.state()["records"] == []


# --- PATCH ---


def test_patch_changes_only_what_it_sends(api: TrainingRecordsApi) -> None:
    created = api.create(api_id="r-1", **ADA_FIRE, date_started="2024-01-01T00:00:00Z")
    completed = api.ok("PATCH", _path("r-1"), json={"date_completed": "2024-01-05T10:00:00-02:00"})
    assert completed == {**created, "date_completed": "2024-01-05T12:00:00Z"}
    moved = api.ok("PATCH", _path("r-1"), json={"person_api_id": "p-cy"})
    assert moved == {**completed, "person_api_id": "p-cy"}
    cleared = api.ok("PATCH", _path("r-1"), json={"date_started": None})
    assert cleared == {**moved, "date_started": None}
    assert api.ok("PATCH", _path("r-1"), json={}) == cleared
    assert api.record("r-1") == cleared


def test_a_failed_patch_changes_nothing(api: TrainingRecordsApi) -> None:
    created = api.create(api_id="r-1", **ADA_FIRE)
    assert_invalid(
        api.patch(
            _path("r-1"), json={"package_api_id": "pkg-nothing", "date_started": "2024-01-01T00:00:00Z"}
        ),
        {"package_api_id": ["Unknown package."]},
    )
    assert_invalid(
        api.patch(_path("r-1"), json={"person_api_id": None}),
        {"person_api_id": ["This field may not be null."]},
    )
    assert api.record("r-1") == created


# --- api_id is immutable ---


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_the_same_api_id_is_accepted_and_another_refused(api: TrainingRecordsApi, method: str) -> None:
    created = api.create(api_id="r-1", **ADA_FIRE)
    api.create(api_id="r-2", **ADA_FIRE)
    body = {**ADA_FIRE, "date_started": "2024-01-01T00:00:00Z"}
    same = api.ok(method, _path("r-1"), json={**body, "api_id": "r-1"})
    assert same == {**created, "date_started": "2024-01-01T00:00:00Z"}
    for other in ("r-2", "r-3", "R-1", None, 1, ""):
        assert_invalid(
            api.call(method, _path("r-1"), json={**body, "api_id": other, "date_started": None}),
            {"api_id": ["api_id cannot be changed."]},
        )
    assert [record["api_id"] for record in api.listing()] == ["r-1", "r-2"]
    assert api.record("r-1") == same


def test_a_changed_api_id_is_reported_with_the_other_errors(api: TrainingRecordsApi) -> None:
    api.create(api_id="r-1", **ADA_FIRE)
    assert_invalid(
        api.put(_path("r-1"), json={"api_id": "r-9", "person_api_id": "p-nobody"}),
        {
            "api_id": ["api_id cannot be changed."],
            "person_api_id": ["Unknown person."],
            "package_api_id": REQUIRED,
        },
    )


# --- package_desc ---


def test_package_desc_follows_a_re_pointed_package_and_only_then(api: TrainingRecordsApi) -> None:
    api.create(api_id="r-1", **ADA_FIRE)
    moved = api.ok("PATCH", _path("r-1"), json={"package_api_id": "pkg-gdpr"})
    assert moved["package_desc"] == "Data protection (GDPR)"
    put = api.ok("PUT", _path("r-1"), json={"person_api_id": "p-ada", "package_api_id": "pkg-first-aid"})
    assert put["package_desc"] == "First aid basics"
    # The registry's description changes: the record keeps its copy until it is re-pointed.
    api.ok(
        "POST",
        "/_emulator/packages",
        201,
        json={"api_id": "pkg-first-aid", "description": "First aid, 2025 edition"},
    )
    assert (
        api.ok("PATCH", _path("r-1"), json={"package_api_id": "pkg-first-aid"})["package_desc"]
        == "First aid basics"
    )
    assert api.record("r-1")["package_desc"] == "First aid basics"
    api.ok("PATCH", _path("r-1"), json={"package_api_id": "pkg-fire"})
    back = api.ok("PATCH", _path("r-1"), json={"package_api_id": "pkg-first-aid"})
    assert back["package_desc"] == "First aid, 2025 edition"
    created = api.create(person_api_id="p-bob", package_api_id="pkg-first-aid")
    assert created["package_desc"] == "First aid, 2025 edition"


# --- DELETE ---


def test_delete_answers_204_empty_then_the_record_is_gone(api: TrainingRecordsApi) -> None:
    api.create(api_id="r-1", **ADA_FIRE)
    kept = api.create(api_id="r-2", **ADA_FIRE)
    response = api.delete(_path("r-1"))
    assert response.status_code == 204
    assert response.content == b"" and "Content-Type" not in response.headers
    assert_detail(api.get(_path("r-1")), 404, "Not found.")
    assert_detail(api.delete(_path("r-1")), 404, "Not found.")
    assert_detail(api.patch(_path("r-1"), json={}), 404, "Not found.")
    assert api.listing() == [kept]
    # The id is free again.
    assert api.create(api_id="r-1", **ADA_FIRE)["api_id"] == "r-1"
    assert [record["api_id"] for record in api.listing()] == ["r-2", "r-1"]


def test_date_assigned_stays_what_it_was_at_create(api: TrainingRecordsApi) -> None:
    old = (datetime.now(UTC) - timedelta(days=400)).replace(microsecond=0)
    seeded = api.seed({"records": [{"api_id": "old", **ADA_FIRE, "date_assigned": old.isoformat()}]})[
        "records"
    ][0]
    assert seeded["date_assigned"] == old.strftime("%Y-%m-%dT%H:%M:%SZ")
    api.ok("PUT", _path("old"), json={"person_api_id": "p-bob", "package_api_id": "pkg-gdpr"})
    api.ok("PATCH", _path("old"), json={"date_completed": "2024-01-01T00:00:00Z"})
    assert api.record("old")["date_assigned"] == seeded["date_assigned"]
