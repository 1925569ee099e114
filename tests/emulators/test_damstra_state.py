"""The Damstra emulator's state: it survives a restart on the same file, the reset hook keeps (and
restores) the owner, seeding in-process and over HTTP, the state dump and the clock hook, and the
options that shape the organisation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, DamstraStore, seed
from lmsform.providers.damstra.emulator.errors import ApiError
from tests.emulators.vendors import Damstra, page_ids, start_damstra

DOCUMENT: dict[str, Any] = {
    "users": [
        {
            "userName": "ada",
            "firstName": "Ada",
            "lastName": "L",
            "emailAddress": "ada@example.com",
            "roles": [5],
        },
        {
            "userName": "bob",
            "firstName": "Bob",
            "lastName": "B",
            "emailAddress": "bob@example.com",
            "active": False,
        },
    ],
    "groups": [
        {"name": "Site", "supervisors": ["ada", "owner"]},
        {"name": "Crew", "parent": "Site", "members": ["ada", "bob"]},
        {"name": "Closed", "members": ["ada"], "active": False},
    ],
    "lessons": [{"name": "Fire Safety"}],
    "schedules": [
        {"userName": "ada", "lesson": "Fire Safety", "completedDate": "2023-06-01T00:00:00Z"},
        {
            "userName": "ada",
            "lesson": "Fire Safety",
            "startDate": "2024-01-01",
            "gracePeriod": 1,
            "gracePeriodUnit": "months",
        },
        {"userName": "bob", "lesson": "Fire Safety", "cancelled": True},
    ],
}


def test_state_survives_a_restart_on_the_same_file(tmp_path: Path) -> None:
    state_path = tmp_path / "state.sqlite3"
    first = start_damstra(state_path)
    try:
        first.set_clock("2024-01-10T00:00:00Z")
        seeded = first.seed(DOCUMENT)
        user_id = first.create_user("cy", sendWelcomeEmail=True)
        group_id = first.create_group("Later")
        first.ok("POST", f"/group/{group_id}/add_members", json={"userIds": [user_id]})
        before = {path: first.ok("GET", path) for path in _reads(first, user_id, group_id)}
        dump = first.state()
    finally:
        first.stop()

    second = start_damstra(state_path)
    try:
        assert {path: second.ok("GET", path) for path in before} == before
        assert second.state() == dump
        assert second.state()["outbox"] == [{"to": "cy@example.com", "userName": "cy"}]
        assert len([user for user in second.users(activeValue="all") if 7 in user["roles"]]) == 1
        newer = second.create_user("dee")
        assert newer > user_id, "ids keep counting after a restart"
        assert seeded["users"][0]["id"] in page_ids(
            second.get("/group/" + str(seeded["groups"][0]["id"]) + "/supervisor")
        )
    finally:
        second.stop()


def _reads(damstra: Damstra, user_id: int, group_id: int) -> list[str]:
    return [
        "/user?activeValue=all&maxResults=100",
        f"/user/{user_id}",
        "/group",
        f"/group/{group_id}/member",
        "/lesson",
        "/lessondetails",
        f"/user/{user_id}/lesson_schedule",
    ]


def test_seeding_answers_the_ids_and_builds_the_relations(damstra: Damstra) -> None:
    damstra.set_clock("2024-01-10T00:00:00Z")
    seeded = damstra.seed(DOCUMENT)
    ada, bob = (user["id"] for user in seeded["users"])
    site, crew, closed = (group["id"] for group in seeded["groups"])
    owner_id = damstra.owner()["id"]

    assert page_ids(damstra.get("/group")) == [site, crew]
    assert damstra.group(crew)["parentId"] == site and damstra.group(crew)["memberCount"] == 1
    assert page_ids(damstra.get(f"/group/{site}/supervisor")) == [owner_id, ada]
    assert damstra.user(ada)["groups"] == [{"id": crew}] and damstra.user(ada)["roles"] == [5]
    assert damstra.user(bob)["clientStatusId"] == 57
    assert damstra.get(f"/group/{closed}").status_code == 404
    assert damstra.state()["outbox"] == [], "seeded users get no welcome e-mail"

    statuses = [item["status"] for item in damstra.ok("GET", f"/user/{ada}/lesson_schedule")["results"]]
    assert statuses == ["completed", "due"]
    [bobs] = damstra.ok("GET", f"/user/{bob}/lesson_schedule")["results"]
    assert bobs["status"] == "cancelled"
    assert [item["id"] for item in seeded["schedules"]] == sorted(item["id"] for item in seeded["schedules"])

    again = damstra.seed(
        {"users": DOCUMENT["users"], "groups": DOCUMENT["groups"][:2], "lessons": DOCUMENT["lessons"]}
    )
    assert again["users"] == seeded["users"] and again["groups"] == seeded["groups"][:2]
    assert again["lessons"] == seeded["lessons"]


@pytest.mark.parametrize(
    "document",
    [
        {"users": [{"userName": "x", "firstName": "X"}]},
        {
            "users": [
                {"userName": "x", "firstName": "X", "lastName": "Y", "emailAddress": "x@y.io", "roles": [7]}
            ]
        },
        {"groups": [{"name": "G", "members": ["nobody"]}]},
        {"groups": [{"name": "G", "parent": "Nowhere"}]},
        {"lessons": [{"name": "L", "status": "published"}]},
        {"schedules": [{"userName": "owner", "lesson": "Nothing"}]},
        {"users": "not a list"},
    ],
)
def test_a_bad_seed_document_writes_nothing(damstra: Damstra, document: dict[str, Any]) -> None:
    damstra.set_clock("2024-01-01T00:00:00Z")
    before = damstra.state()
    good = {
        "users": [{"userName": "ok", "firstName": "O", "lastName": "K", "emailAddress": "ok@example.com"}]
    }
    response = damstra.post(
        "/_emulator/seed", json={**good, **document} if "users" not in document else document
    )
    assert response.status_code in (400, 403), response.text
    assert damstra.state() == before


def test_seed_runs_in_process_on_a_store(tmp_path: Path) -> None:
    store = DamstraStore(tmp_path / "state.sqlite3")
    try:
        store.open_organisation("Acme", "Australia/Perth", "owner")
        seeded = seed(store, DOCUMENT)
        assert [user["userName"] for user in seeded["users"]] == ["ada", "bob"]
        with pytest.raises(ApiError) as failure:
            seed(store, {"groups": [{"name": "G", "members": ["nobody"]}]})
        assert failure.value.status == 400
        assert [group["name"] for group in store.dump()["groups"]] == ["Site", "Crew", "Closed"]
    finally:
        store.close()


def test_reset_keeps_only_the_owner_as_it_first_was(damstra: Damstra) -> None:
    owner = damstra.owner()
    damstra.seed(DOCUMENT)
    damstra.ok("POST", f"/user/{owner['id']}", json=damstra.update_body(owner["id"], firstName="Changed"))
    damstra.set_clock("2020-01-01T00:00:00Z")
    damstra.create_user("cy", sendWelcomeEmail=True)

    assert damstra.post("/_emulator/reset").status_code == 204

    state = damstra.state()
    assert [user["id"] for user in state["users"]] == [owner["id"]]
    assert state["users"][0]["first_name"] == "Account" and state["users"][0]["roles"] == [3, 7]
    for table in (
        "groups",
        "memberships",
        "supervisions",
        "lessons",
        "lessonVersions",
        "lessonSchedules",
        "outbox",
    ):
        assert state[table] == [], table
    assert state["clock"]["fixed"] is False


def test_the_clock_hook_reads_fixes_and_releases_the_clock(damstra: Damstra) -> None:
    assert damstra.ok("GET", "/_emulator/clock")["fixed"] is False
    answer = damstra.ok("POST", "/_emulator/clock", json={"now": "2024-05-01T10:00:00+0800"})
    assert answer == {"now": "2024-05-01T02:00:00.000Z", "fixed": True}
    assert (
        damstra.create_user("ada")
        and damstra.user(damstra.users()[1]["id"])["createdDate"] == "2024-05-01T02:00:00+0000"
    )
    assert damstra.post("/_emulator/clock", json={"now": "soon"}).status_code == 400
    assert damstra.post("/_emulator/clock", json={}).status_code == 400
    assert damstra.ok("POST", "/_emulator/clock", json={"now": None})["fixed"] is False


def test_hooks_need_no_key(damstra: Damstra) -> None:
    damstra.session.headers.pop("AccessKey")
    assert damstra.get("/_emulator/state").status_code == 200
    assert damstra.get("/user").status_code == 403


def test_options_shape_the_organisation_and_its_owner(tmp_path: Path) -> None:
    options = DamstraEmulatorOptions(
        organisation="Beta Mining", owner_username="chief", time_zone="Australia/Brisbane"
    )
    emulator = start_damstra(tmp_path / "state.sqlite3", options=options)
    try:
        owner = emulator.owner()
        assert (owner["userName"], owner["timeZone"]) == ("chief", "Australia/Brisbane")
        user_id = emulator.create_user("ada")
        assert emulator.user(user_id)["timeZone"] == "Australia/Brisbane"
        assert emulator.state()["organisation"]["name"] == "Beta Mining"
    finally:
        emulator.stop()
    # Reopened with other options: the organisation takes the new name; the owner stays who it was.
    reopened = start_damstra(tmp_path / "state.sqlite3", options=DamstraEmulatorOptions(organisation="Gamma"))
    try:
        assert reopened.owner()["userName"] == "chief"
        assert reopened.state()["organisation"]["name"] == "Gamma"
    finally:
        reopened.stop()
