"""The Training Records emulator's state: it survives a restart on the same file, every request is one
transaction, a lost answer leaves a committed record behind, and the test hooks (seed, people,
packages, reset, state, requests) and the in-process `seed`."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.training_records.emulator import create_app, emulator_store, seed
from lmsform.providers.training_records.emulator.errors import ApiError
from tests.emulators.vendors import (
    GENERATED_ID,
    RECORDS,
    WRONG_DATE,
    StartRecordsApi,
    TrainingRecordsApi,
    assert_detail,
    assert_invalid,
)
from tests.emulators.vendors import RECORDS_WORLD as WORLD
from tests.emulators.vendors import seed_records_world as seed_world

ADA_FIRE = {"person_api_id": "p-ada", "package_api_id": "pkg-fire"}


def test_state_survives_a_restart_on_the_same_file(start_records_api: StartRecordsApi) -> None:
    first = start_records_api()
    seed_world(first)
    first.create(api_id="r-1", **ADA_FIRE, date_started="2024-05-01T09:30:00Z")
    generated = first.create(person_api_id="p-bob", package_api_id="pkg-gdpr")["api_id"]
    first.create(api_id="r-gone", **ADA_FIRE)
    first.delete(f"{RECORDS}r-gone/")
    listed, dump = first.listing(), first.state()
    first.stop()

    second = start_records_api()
    assert second.listing() == listed
    assert second.state() == dump
    assert second.record(generated) == listed[1]
    assert_invalid(
        second.post(RECORDS, json={"api_id": "r-1", **ADA_FIRE}),
        {"api_id": ["record with this api_id already exists."]},
    )
    later = second.create(api_id="r-0", **ADA_FIRE)
    assert second.listing() == [*listed, later], "creation order goes on across restarts"


def test_reset_empties_every_table_and_order_keeps_counting(records_api: TrainingRecordsApi) -> None:
    seed_world(records_api)
    records_api.create(api_id="before", **ADA_FIRE)
    records_api.fresh()
    assert records_api.state() == {"people": [], "packages": [], "records": []}
    assert records_api.listing() == []
    assert_invalid(
        records_api.post(RECORDS, json={"api_id": "before", **ADA_FIRE}),
        {"person_api_id": ["Unknown person."], "package_api_id": ["Unknown package."]},
    )
    seed_world(records_api)
    assert records_api.create(api_id="before", **ADA_FIRE)["api_id"] == "before", (
        "the id is free after a reset"
    )


def test_the_seed_hook_makes_people_packages_and_records_and_answers_them(
    records_api: TrainingRecordsApi,
) -> None:
    seeded = records_api.seed(
        {
            **WORLD,
            "records": [
                {
                    "api_id": "old",
                    "person_api_id": "p-ada",
                    "package_api_id": "pkg-gdpr",
                    "date_assigned": "2020-02-03T04:05:06+01:00",
                },
                {
                    "person_api_id": "p-bob",
                    "package_api_id": "pkg-fire",
                    "date_completed": "2024-01-01",
                    "package_desc": "ignored",
                },
            ],
        }
    )
    assert seeded["people"] == [
        {"api_id": "p-ada", "name": "Ada Lovelace", "email": "ada@example.com"},
        {"api_id": "p-bob", "name": "Bob Builder", "email": None},
        {"api_id": "p-cy", "name": "Cy Straße", "email": None},
    ]
    assert seeded["packages"] == WORLD["packages"]
    old, new = seeded["records"]
    assert old == {
        "api_id": "old",
        "person_api_id": "p-ada",
        "package_api_id": "pkg-gdpr",
        "package_desc": "Data protection (GDPR)",
        "date_assigned": "2020-02-03T03:05:06Z",
        "date_started": None,
        "date_completed": None,
    }
    assert new["package_desc"] == "Fire safety awareness" and new["date_completed"] == "2024-01-01T00:00:00Z"
    assert new["date_assigned"] > "2024"
    assert len(new["api_id"]) == 12
    assert records_api.listing() == seeded["records"]
    assert records_api.state() == {
        "people": seeded["people"],
        "packages": seeded["packages"],
        "records": seeded["records"],
    }


def test_seeding_upserts_people_and_packages_by_id(records_api: TrainingRecordsApi) -> None:
    seed_world(records_api)
    records_api.seed(
        {
            "people": [{"api_id": "p-bob", "name": "Robert Builder", "email": "bob@example.com"}],
            "packages": [{"api_id": "pkg-new", "description": "New"}],
        }
    )
    state = records_api.state()
    assert [person["api_id"] for person in state["people"]] == ["p-ada", "p-bob", "p-cy"]
    assert state["people"][1] == {"api_id": "p-bob", "name": "Robert Builder", "email": "bob@example.com"}
    assert [package["api_id"] for package in state["packages"]] == [
        "pkg-fire",
        "pkg-first-aid",
        "pkg-gdpr",
        "pkg-new",
    ]
    assert records_api.listing(search="robert") == []
    records_api.create(person_api_id="p-bob", package_api_id="pkg-new")
    assert len(records_api.listing(search="robert")) == 1


@pytest.mark.parametrize(
    ("document", "errors"),
    [
        ({"person": []}, {"person": ["Unknown section; a seed document has people, packages and records."]}),
        ({"people": {"api_id": "x"}}, {"people": ["Expected a list of objects."]}),
        ({"records": ["r-1"]}, {"records": ["Expected a list of objects."]}),
        (
            {"people": [{"api_id": "p-1"}, {"name": "N", "email": 5}]},
            {
                "people[0].name": ["This field is required."],
                "people[1].api_id": ["This field is required."],
                "people[1].email": ["Not a valid string."],
            },
        ),
        (
            {"packages": [{"api_id": " ", "description": "D"}]},
            {"packages[0].api_id": ["This field may not be blank."]},
        ),
        (
            {
                **WORLD,
                "records": [
                    {**ADA_FIRE, "api_id": "r-1"},
                    {**ADA_FIRE, "api_id": "r-1"},
                    {"person_api_id": "p-nobody", "package_api_id": "pkg-fire", "date_assigned": "later"},
                    {"package_api_id": "pkg-none", "date_started": "x"},
                ],
            },
            {
                "records[1].api_id": ["record with this api_id already exists."],
                "records[2].person_api_id": ["Unknown person."],
                "records[2].date_assigned": [WRONG_DATE],
                "records[3].person_api_id": ["This field is required."],
                "records[3].package_api_id": ["Unknown package."],
                "records[3].date_started": [WRONG_DATE],
            },
        ),
    ],
)
def test_a_bad_seed_document_answers_400_with_every_problem_and_writes_nothing(
    records_api: TrainingRecordsApi, document: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    records_api.seed({"people": [{"api_id": "p-keep", "name": "Keep"}]})
    before = records_api.state()
    assert_invalid(records_api.post("/_emulator/seed", json=document), errors)
    assert records_api.state() == before


def test_a_seeded_record_id_must_be_new_to_the_store(records_api: TrainingRecordsApi) -> None:
    seed_world(records_api)
    records_api.create(api_id="r-1", **ADA_FIRE)
    before = records_api.state()
    response = records_api.post(
        "/_emulator/seed",
        json={"people": [{"api_id": "p-new", "name": "New"}], "records": [{"api_id": "r-1", **ADA_FIRE}]},
    )
    assert_invalid(response, {"records[0].api_id": ["record with this api_id already exists."]})
    assert records_api.state() == before, "the people written before the records failed are rolled back"


def test_the_people_and_packages_hooks_take_one_object_or_an_array(records_api: TrainingRecordsApi) -> None:
    one = records_api.ok(
        "POST", "/_emulator/people", 201, json={"api_id": "p-1", "name": "One", "email": "one@example.com"}
    )
    assert one == [{"api_id": "p-1", "name": "One", "email": "one@example.com"}]
    two = records_api.ok(
        "POST",
        "/_emulator/people",
        201,
        json=[{"api_id": "p-2", "name": "Two"}, {"api_id": "p-1", "name": "Uno"}],
    )
    assert two == [
        {"api_id": "p-2", "name": "Two", "email": None},
        {"api_id": "p-1", "name": "Uno", "email": None},
    ]
    packages = records_api.ok(
        "POST",
        "/_emulator/packages",
        201,
        data='{"api_id": "k-1", "description": "K"}',
        headers={"Content-Type": "text/plain"},
    )
    assert packages == [{"api_id": "k-1", "description": "K"}]
    state = records_api.state()
    assert state["people"] == [
        {"api_id": "p-1", "name": "Uno", "email": None},
        {"api_id": "p-2", "name": "Two", "email": None},
    ]
    assert records_api.create(person_api_id="p-2", package_api_id="k-1")["package_desc"] == "K"

    before = records_api.state()
    assert_invalid(
        records_api.post("/_emulator/people", json=[{"api_id": "p-3", "name": "Three"}, {"api_id": "p-4"}]),
        {"people[1].name": ["This field is required."]},
    )
    assert_invalid(
        records_api.post("/_emulator/packages", json=["k-2"]), {"packages": ["Expected a list of objects."]}
    )
    assert_detail(records_api.post("/_emulator/packages", data="{bad"), 400)
    assert records_api.state() == before


def test_hooks_need_no_credentials_and_refuse_other_methods(records_api: TrainingRecordsApi) -> None:
    assert records_api.get("/_emulator/state", auth=None).status_code == 200
    assert_detail(records_api.get("/_emulator/reset"), 405, 'Method "GET" not allowed.')
    assert_detail(records_api.post("/_emulator/state"), 405)
    assert_detail(records_api.delete("/_emulator/people"), 405)


def test_seed_in_process_does_what_the_hook_does(tmp_path: Path) -> None:
    app = create_app(tmp_path / "state.sqlite3", api_key=None)
    store = emulator_store(app)
    try:
        made = seed(store, {**WORLD, "records": [ADA_FIRE, {**ADA_FIRE, "api_id": "mine"}]})
        assert [record["api_id"] for record in made["records"]][1] == "mine"
        assert store.dump()["records"] == made["records"]
        with pytest.raises(ApiError) as raised:
            seed(store, {"records": [{**ADA_FIRE, "api_id": "mine"}]})
        assert raised.value.status == 400
        assert raised.value.body == {"records[0].api_id": ["record with this api_id already exists."]}
        with pytest.raises(ApiError):
            seed(store, ["not", "a", "mapping"])  # type: ignore[arg-type]
        assert len(store.records()) == 2
    finally:
        store.close()


def test_a_crash_mid_request_rolls_back_what_it_wrote_and_the_emulator_goes_on(
    start_records_api: StartRecordsApi, tmp_path: Path
) -> None:
    emulator = start_records_api()
    seed_world(emulator)
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON records WHEN NEW.api_id = 'boom'"
            " BEGIN SELECT RAISE(ABORT, 'boom'); END"
        )
    before = emulator.state()
    # The seed writes the new person, then fails on the record: the person must not stay behind.
    crashed = emulator.post(
        "/_emulator/seed",
        json={"people": [{"api_id": "p-new", "name": "New"}], "records": [{"api_id": "boom", **ADA_FIRE}]},
    )
    assert_detail(crashed, 500, "A server error occurred.")
    assert_detail(emulator.post(RECORDS, json={"api_id": "boom", **ADA_FIRE}), 500)
    assert emulator.state() == before
    assert emulator.create(api_id="fine", **ADA_FIRE)["api_id"] == "fine", "no transaction was left open"


def test_a_lost_create_answer_leaves_the_record_and_the_repeat_answers_duplicate(
    records_api: TrainingRecordsApi,
) -> None:
    seed_world(records_api)
    body = {"api_id": "lmsform-3f9a2c", **ADA_FIRE, "date_started": "2024-05-01T09:30:00Z"}
    records_api.server.recorder.drop_answers("POST", r"/training/record/?")
    with pytest.raises(requests.ConnectionError):
        records_api.post(RECORDS, json=body)
    *_, dropped = records_api.server.requests
    assert dropped.path == RECORDS
    assert dropped.dropped and dropped.status == 201
    existing = records_api.record("lmsform-3f9a2c")
    assert existing["date_started"] == "2024-05-01T09:30:00Z"
    assert_invalid(
        records_api.post(RECORDS, json=body), {"api_id": ["record with this api_id already exists."]}
    )
    assert records_api.listing() == [existing]


def test_concurrent_creates_of_one_id_make_one_record(records_api: TrainingRecordsApi) -> None:
    seed_world(records_api)
    statuses: list[int] = []
    lock = threading.Lock()

    def create() -> None:
        with requests.Session() as session:
            session.trust_env = False
            response = session.post(
                f"{records_api.url}{RECORDS}",
                json={"api_id": "once", **ADA_FIRE},
                auth=records_api.auth,
                timeout=30,
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=create) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [400] * 11
    assert [record["api_id"] for record in records_api.listing()] == ["once"]


def test_generated_ids_stay_unique_across_a_big_seed_and_creates(records_api: TrainingRecordsApi) -> None:
    seed_world(records_api)
    seeded = records_api.seed({"records": [ADA_FIRE] * 2000})["records"]
    created = [records_api.create(**ADA_FIRE) for _ in range(20)]
    ids = [record["api_id"] for record in seeded + created]
    assert len(set(ids)) == 2020
    assert all(re.fullmatch(GENERATED_ID, api_id) for api_id in ids)
    assert set(ids) == {record["api_id"] for record in records_api.state()["records"]}
