"""Instructor-led sessions in the Damstra emulator (damstra.md Sessions): create and update with their
documented shapes and F4 dates, the time-derived `state`, registration needing an open schedule,
deregistration, progress, completion and cancellation, and the terse E806S on the reads."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.emulators.vendors import DAMSTRA_API, E806S, Damstra

F4 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}"
NOW = "2030-01-01T00:00:00Z"
START, END = "2030-02-01T09:00:00.000+0800", "2030-02-01T12:00:00.000+0800"


class World:
    def __init__(self, damstra: Damstra, seeded: dict[str, Any]) -> None:
        self.damstra = damstra
        self.users = {user["userName"]: user["id"] for user in seeded["users"]}
        self.lesson = seeded["lessons"][0]

    def create(self, **fields: Any) -> requests.Response:
        body = {"lessonId": self.lesson["lessonId"], "startDatetime": START, "endDatetime": END}
        body |= {"location": "Depot", "instructorId": self.users["ian"], **fields}
        return self.damstra.post("/ilt_session", json=body)

    def schedule(self, user: str) -> None:
        body = {"lessonVersionIds": [self.lesson["versions"][-1]["lessonVersionId"]]}
        self.damstra.ok("POST", f"/user/{self.users[user]}/lesson_schedule", json=body)


@pytest.fixture
def world(damstra: Damstra) -> World:
    damstra.set_clock(NOW)
    users = [
        {"userName": name, "firstName": name.title(), "lastName": "X", "emailAddress": f"{name}@example.com"}
        for name in ("ian", "ann", "bob")
    ]
    return World(damstra, damstra.seed({"users": users, "lessons": [{"name": "Forklifts"}]}))


def test_a_session_is_created_as_a_summary_and_read_in_full_with_f4_dates(world: World) -> None:
    created = world.create(notes="Boots")

    assert created.status_code == 200, created.text
    summary = created.json()
    assert (summary["statusId"], summary["numberOfPlaces"], summary["notes"]) == (1, 1, "Boots")
    assert (summary["startDatetime"], summary["endDatetime"]) == (START, END)
    assert "state" not in summary and all(
        re.fullmatch(F4, summary[key]) for key in ("createdDate", "modifiedDate")
    )
    full = world.damstra.ok("GET", f"/ilt_session/{summary['id']}")
    assert (full["state"], full["lessonName"], full["instructorLed"], full["numberOfAttendees"]) == (
        "upcoming",
        "Forklifts",
        True,
        0,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"endDatetime": "2030-02-01T08:00:00.000+0800"}, "endDatetime is before startDatetime"),
        ({"instructorId": 1}, "instructorId 1 is not an active user"),
        ({"location": None}, "location must be a string"),
    ],
)
def test_a_create_the_document_does_not_allow_answers_400(
    world: World, fields: dict[str, Any], message: str
) -> None:
    response = world.create(**fields)

    assert (response.status_code, response.json()["message"]) == (400, message)


def test_an_update_needs_instructor_and_location_and_leaves_the_times(world: World) -> None:
    session = world.create().json()["id"]
    refused = world.damstra.patch(f"/ilt_session/{session}", json={"location": "Yard"})
    assert refused.status_code == 400

    body = {"instructorId": world.users["ian"], "location": "Yard", "numberOfPlaces": 9, "startDatetime": NOW}
    updated = world.damstra.ok("PATCH", f"/ilt_session/{session}", json=body)

    assert (updated["location"], updated["numberOfPlaces"], updated["startDatetime"]) == ("Yard", 9, START)


def test_registering_needs_an_open_schedule_and_the_attendees_are_listed(world: World) -> None:
    session = world.create().json()["id"]
    refused = world.damstra.post(
        f"/ilt_session/{session}/bulk_register", json={"userIds": [world.users["ann"]]}
    )
    assert refused.status_code == 400
    world.schedule("ann")
    world.schedule("bob")

    for _ in range(2):  # registering again changes nothing
        world.damstra.ok(
            "POST", f"/ilt_session/{session}/bulk_register", json={"userIds": [world.users["ann"]]}
        )
    world.damstra.ok("POST", f"/ilt_session/{session}/bulk_register", json={"userIds": [world.users["bob"]]})
    world.damstra.ok(
        "POST", f"/ilt_session/{session}/bulk_deregister", json={"userIds": [world.users["bob"], 1]}
    )

    listed = world.damstra.ok("GET", f"/ilt_session/{session}/attendees")
    assert [item["userName"] for item in listed["results"]] == ["ann"]
    assert listed["meta"] == {"totalResultCount": 1, "startIndex": 0, "endIndex": 1}
    attendee = listed["results"][0]
    assert (attendee["passed"], attendee["attended"], attendee["registeringUserId"]) == (
        False,
        False,
        world.damstra.owner()["id"],
    )
    progress = {"attendees": [{"id": attendee["id"], "attended": True}]}
    world.damstra.ok("POST", f"/ilt_session/{session}/save_progress", json=progress)
    full = world.damstra.ok("GET", f"/ilt_session/{session}")
    assert (full["attendanceRate"], full["passRate"]) == (100, 0)


def test_cancelling_keeps_the_flags_is_idempotent_and_a_completed_session_cannot_be_cancelled(
    world: World,
) -> None:
    flags = {
        "iltSessionCancellationTraineeNotificationEnabled": True,
        "iltSessionCancellationInstructorNotificationEnabled": False,
    }
    cancelled, completed = world.create().json()["id"], world.create().json()["id"]
    for _ in range(2):
        world.damstra.ok("POST", f"/ilt_session/{cancelled}/cancel_session", json=flags)
    world.damstra.ok("POST", f"/ilt_session/{completed}/complete")

    full = world.damstra.ok("GET", f"/ilt_session/{cancelled}")
    assert (full["statusId"], full["iltSessionCancellationInstructorNotificationEnabled"]) == (3, False)
    assert world.damstra.post(f"/ilt_session/{completed}/cancel_session", json=flags).status_code == 400
    assert world.damstra.post(f"/ilt_session/{cancelled}/cancel_session", json={}).status_code == 400
    listed = world.damstra.ok("GET", "/ilt_session", params={"status": 3})
    assert [item["id"] for item in listed["results"]] == [cancelled]


@pytest.mark.parametrize("path", ["/ilt_session", "/ilt_session/1", "/ilt_session/1/attendees"])
def test_the_session_reads_answer_a_bad_key_tersely(damstra: Damstra, path: str) -> None:
    response = requests.get(f"{damstra.url}{DAMSTRA_API}{path}", headers={"AccessKey": "wrong"}, timeout=10)

    assert (response.status_code, response.json()) == (403, E806S)
