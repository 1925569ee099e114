"""Lesson schedules in the Damstra emulator: scheduling a user (current versions of active lessons,
grace periods, the all-or-nothing 409), status from the emulator clock, the per-user list without
`meta`, one schedule, manual completion and cancellation through the test hook."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.emulators.vendors import F2, Damstra

SEED: dict[str, Any] = {
    "users": [
        {"userName": "ada", "firstName": "Ada", "lastName": "Lovelace", "emailAddress": "ada@example.com"},
        {
            "userName": "bob",
            "firstName": "Bob",
            "lastName": "Gone",
            "emailAddress": "bob@example.com",
            "active": False,
        },
    ],
    "groups": [{"name": "Team", "members": ["ada"]}],
    "lessons": [
        {"name": "Fire Safety", "duration": 120000, "versions": [{}, {}]},
        {"name": "First Aid"},
        {"name": "Manual Handling", "status": "inactive"},
        {"name": "Draft Lesson", "status": "never"},
    ],
}
NOW = "2024-03-01T00:00:00Z"


class World:
    def __init__(self, damstra: Damstra, seeded: dict[str, Any]) -> None:
        self.damstra = damstra
        self.users = {user["userName"]: user["id"] for user in seeded["users"]}
        self.lessons = {lesson["name"]: lesson for lesson in seeded["lessons"]}
        self.team = seeded["groups"][0]["id"]

    def version(self, lesson: str, index: int = -1) -> int:
        version_id: int = self.lessons[lesson]["versions"][index]["lessonVersionId"]
        return version_id

    def schedule(self, user: str, *version_ids: int, **fields: Any) -> Any:
        return self.damstra.post(
            f"/user/{self.users[user]}/lesson_schedule",
            json={"lessonVersionIds": list(version_ids), **fields},
        )

    def listed(self, user: str, **params: Any) -> list[dict[str, Any]]:
        body = self.damstra.ok("GET", f"/user/{self.users[user]}/lesson_schedule", params=params)
        assert set(body) == {"results"}
        results: list[dict[str, Any]] = body["results"]
        return results


@pytest.fixture
def world(damstra: Damstra) -> World:
    damstra.set_clock(NOW)
    return World(damstra, damstra.seed(SEED))


def test_scheduling_creates_one_schedule_per_version_in_request_order(world: World) -> None:
    fire, aid = world.version("Fire Safety"), world.version("First Aid")
    response = world.schedule(
        "ada", aid, fire, scheduleDate="2024-03-05T08:00:00+0800", gracePeriod="14", gracePeriodUnit="days"
    )
    assert response.status_code == 200
    ids = response.json()["ids"]
    assert ids == sorted(ids) and len(ids) == 2

    listed = world.listed("ada")
    assert [item["id"] for item in listed] == ids
    first = listed[0]
    assert (first["lessonVersionId"], first["lessonId"]) == (aid, world.lessons["First Aid"]["lessonId"])
    assert (first["startDate"], first["endDate"]) == ("2024-03-05T00:00:00.000Z", "2024-03-19T00:00:00.000Z")
    assert (first["status"], first["statusId"], first["scheduleType"]) == ("scheduled", 90, "manual")
    assert (first["userFirstName"], first["userLastName"], first["userId"]) == (
        "Ada",
        "Lovelace",
        world.users["ada"],
    )
    assert listed[1]["version"] == 2 and listed[1]["lessonDuration"] == 120000
    assert all(
        re.fullmatch(F2, first[key]) for key in ("startDate", "endDate", "createdDate", "modifiedDate")
    )
    assert "active" not in first and "clientId" not in first


def test_defaults_are_now_and_fourteen_days_and_months_are_calendar_months(
    world: World, damstra: Damstra
) -> None:
    damstra.set_clock("2024-01-31T10:00:00Z")
    world.schedule("ada", world.version("Fire Safety"))
    world.schedule(
        "ada", world.version("First Aid"), scheduleDate="2024-01-31", gracePeriod=1, gracePeriodUnit="months"
    )
    fire, aid = world.listed("ada")
    assert (fire["startDate"], fire["endDate"]) == ("2024-01-31T10:00:00.000Z", "2024-02-14T10:00:00.000Z")
    assert (aid["startDate"], aid["endDate"]) == ("2024-01-31T00:00:00.000Z", "2024-02-29T00:00:00.000Z")


def test_status_follows_the_clock(world: World, damstra: Damstra) -> None:
    [schedule_id] = world.schedule(
        "ada", world.version("Fire Safety"), scheduleDate="2024-03-10T00:00:00Z"
    ).json()["ids"]

    def status() -> str:
        [item] = world.listed("ada")
        assert item["id"] == schedule_id
        return f"{item['status']}/{item['statusId']}"

    assert status() == "scheduled/90"
    damstra.set_clock("2024-03-10T00:00:00Z")
    assert status() == "due/91"
    damstra.set_clock("2024-03-24T00:00:00Z")
    assert status() == "due/91", "due up to and including the end date"
    damstra.set_clock("2024-03-24T00:00:01Z")
    assert status() == "overdue/92"
    assert damstra.ok("GET", f"/lesson_schedule/{schedule_id}")["active"] is True


def test_a_duplicate_open_schedule_rejects_the_whole_request(world: World, damstra: Damstra) -> None:
    fire, aid = world.version("Fire Safety"), world.version("First Aid")
    world.schedule("ada", fire)
    response = world.schedule("ada", aid, fire)
    assert (response.status_code, response.json()) == (409, {"error": "Lesson Schedule already exists"})
    assert [item["lessonVersionId"] for item in world.listed("ada")] == [fire]
    damstra.set_clock("2030-01-01T00:00:00Z")
    assert world.schedule("ada", fire).status_code == 409, "an overdue schedule is still open"


def test_completed_and_cancelled_schedules_do_not_block(world: World, damstra: Damstra) -> None:
    fire = world.version("Fire Safety")
    [first] = world.schedule("ada", fire).json()["ids"]
    cancelled = damstra.post(f"/_emulator/schedule/{first}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert damstra.post(f"/_emulator/schedule/{first}/cancel").status_code == 400
    [second] = world.schedule("ada", fire).json()["ids"]
    owner_id = damstra.owner()["id"]
    damstra.ok(
        "POST",
        f"/lesson_schedule/{world.users['ada']}/complete_lesson",
        json={"lessonVersionId": fire, "completedDate": NOW, "manuallyCompletedByUserId": owner_id},
    )
    [third] = world.schedule("ada", fire).json()["ids"]
    statuses = [(item["id"], item["status"], item["statusId"]) for item in world.listed("ada")]
    assert statuses == [(first, "cancelled", 93), (second, "completed", 94), (third, "due", 91)]
    assert [item["id"] for item in world.listed("ada", status="completed")] == [second]
    assert [item["id"] for item in world.listed("ada", status="all", startIndex=1, maxResults=1)] == [second]
    assert (
        damstra.get(f"/user/{world.users['ada']}/lesson_schedule", params={"status": "open"}).status_code
        == 400
    )
    assert damstra.post("/_emulator/schedule/1/cancel").status_code == 404


@pytest.mark.parametrize(
    ("lesson", "index", "status"),
    [
        ("Fire Safety", 0, 400),
        ("Manual Handling", -1, 400),
        ("Draft Lesson", -1, 400),
    ],
)
def test_only_the_current_version_of_an_active_lesson_can_be_scheduled(
    world: World, lesson: str, index: int, status: int
) -> None:
    response = world.schedule("ada", world.version("First Aid"), world.version(lesson, index))
    assert response.status_code == status
    assert response.json()["internalCode"] == 400
    assert world.listed("ada") == []


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"lessonVersionIds": [424242]}, 404),
        ({"lessonVersionIds": "1"}, 400),
        ({}, 400),
        ({"gracePeriod": "14"}, 400),
        ({"gracePeriodUnit": "days"}, 400),
        ({"gracePeriod": "0", "gracePeriodUnit": "days"}, 400),
        ({"gracePeriod": "two", "gracePeriodUnit": "days"}, 400),
        ({"gracePeriod": 2, "gracePeriodUnit": "weeks"}, 400),
        ({"scheduleDate": "next monday"}, 400),
    ],
)
def test_bad_schedule_requests_are_refused(world: World, fields: dict[str, Any], status: int) -> None:
    body = {"lessonVersionIds": [world.version("First Aid")], **fields}
    if fields == {}:
        body = {}
    response = world.damstra.post(f"/user/{world.users['ada']}/lesson_schedule", json=body)
    assert response.status_code == status, response.text
    assert world.listed("ada") == []


def test_same_version_twice_inactive_users_and_unknown_users_are_refused(
    world: World, damstra: Damstra
) -> None:
    aid = world.version("First Aid")
    assert world.schedule("ada", aid, aid).status_code == 400
    assert world.schedule("bob", aid).status_code == 400
    assert damstra.post("/user/4242/lesson_schedule", json={"lessonVersionIds": [aid]}).status_code == 404
    assert damstra.get("/user/4242/lesson_schedule").json()["message"] == "User with id 4242 not found"
    assert world.schedule("ada").json() == {"ids": []}


def test_one_schedule_has_the_full_shape_without_status(world: World, damstra: Damstra) -> None:
    [schedule_id] = world.schedule("ada", world.version("Fire Safety")).json()["ids"]
    schedule = damstra.ok("GET", f"/lesson_schedule/{schedule_id}")
    assert "status" not in schedule and "statusId" not in schedule
    assert (schedule["id"], schedule["userId"], schedule["active"]) == (schedule_id, world.users["ada"], True)
    assert (schedule["clientName"], schedule["clientId"], schedule["published"]) == ("Acme Safety", 76, 65)
    assert (schedule["userUserName"], schedule["userGroups"]) == ("ada", [{"id": world.team}])
    assert schedule["lessonCompletedDate"] is None and schedule["reminders"] == []
    missing = damstra.get("/lesson_schedule/77")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "Lesson Schedule with id 77 not found",
        "reason": "Lesson Schedule not found",
        "internalCode": 840,
        "error": "Lesson Schedule does not exist",
        "statusCode": 404,
    }


def test_manual_completion_completes_the_open_schedule(world: World, damstra: Damstra) -> None:
    [schedule_id] = world.schedule("ada", world.version("Fire Safety")).json()["ids"]
    owner_id = damstra.owner()["id"]
    answer = damstra.ok(
        "POST",
        f"/lesson_schedule/{world.users['ada']}/complete_lesson",
        json={
            "lessonId": world.lessons["Fire Safety"]["lessonId"],
            "completedDate": "2024-02-20T12:00:00+0000",
            "manuallyCompletedByUserId": owner_id,
        },
    )
    assert answer == {"ids": [schedule_id]}
    schedule = damstra.ok("GET", f"/lesson_schedule/{schedule_id}")
    assert schedule["active"] is False
    assert (schedule["lessonCompletedDate"], schedule["lessonCompletedBy"]) == (
        "2024-02-20T12:00:00.000Z",
        owner_id,
    )
    assert schedule["lessonCompletedByName"] == "Account Owner"


def test_manual_completion_without_an_open_schedule_creates_a_completed_one(
    world: World, damstra: Damstra
) -> None:
    manual = world.lessons["Manual Handling"]
    answer = damstra.ok(
        "POST",
        f"/lesson_schedule/{world.users['bob']}/complete_lesson",
        json={
            "lessonId": manual["lessonId"],
            "completedDate": "2019-05-01",
            "manuallyCompletedByUserId": world.users["ada"],
        },
    )
    [item] = world.listed("bob")
    assert item["id"] == answer["ids"][0]
    assert (item["status"], item["lessonVersionId"], item["lessonCompletedByName"]) == (
        "completed",
        manual["currentVersionId"],
        "Ada Lovelace",
    )
    assert item["startDate"] == item["endDate"] == item["lessonCompletedDate"] == "2019-05-01T00:00:00.000Z"


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"completedDate": None}, 400),
        ({"manuallyCompletedByUserId": None}, 400),
        ({"manuallyCompletedByUserId": "bob"}, 400),
        ({"lessonVersionId": None, "lessonId": None}, 400),
        ({"lessonId": 1}, 400),
        ({"lessonVersionId": 4242, "lessonId": None}, 404),
        ({"lessonVersionId": None, "lessonId": 4242}, 404),
        ({"lessonVersionId": None, "lessonId": "Draft Lesson"}, 400),
    ],
)
def test_bad_manual_completions_are_refused(world: World, fields: dict[str, Any], status: int) -> None:
    body: dict[str, Any] = {
        "lessonVersionId": world.version("First Aid"),
        "completedDate": NOW,
        "manuallyCompletedByUserId": world.users["ada"],
    }
    for name, value in fields.items():
        if value is None:
            body.pop(name, None)
        elif value == "bob":
            body[name] = world.users["bob"]
        elif value == "Draft Lesson":
            body[name] = world.lessons["Draft Lesson"]["lessonId"]
        else:
            body[name] = value
    response = world.damstra.post(f"/lesson_schedule/{world.users['ada']}/complete_lesson", json=body)
    assert response.status_code == status, response.text
    assert world.listed("ada") == []


def test_complete_lesson_reads_its_path_id_as_a_user_id(world: World, damstra: Damstra) -> None:
    [schedule_id] = world.schedule("ada", world.version("First Aid")).json()["ids"]
    body = {
        "lessonVersionId": world.version("First Aid"),
        "completedDate": NOW,
        "manuallyCompletedByUserId": world.users["ada"],
    }
    response = damstra.post(f"/lesson_schedule/{schedule_id}/complete_lesson", json=body)
    assert response.status_code == 404 and response.json()["reason"] == "User not found"
