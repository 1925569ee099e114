"""Lessons in the Damstra emulator: seeded only, one row per lesson at its current version, the
`publishedStates`, `lessonIds` and `q` filters, and the thinner `/lessondetails` shape."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.emulators.vendors import F1, Damstra, page_ids

LESSONS: dict[str, Any] = {
    "lessons": [
        {
            "name": "Fire Safety",
            "duration": 133000,
            "questionnaireType": 18,
            "versions": [
                {"published": True},
                {
                    "published": True,
                    "customFields": [{"fieldId": "customField1", "description": "Area", "value": "Site"}],
                },
                {"published": False},
            ],
        },
        {"name": "Manual Handling", "status": "inactive"},
        {"name": "Draft Lesson", "status": "never", "versions": [{}, {}]},
        {"name": "Rendering Lesson", "status": "rendering", "inLibrary": True},
        {"name": "Broken Lesson", "status": "error"},
    ]
}


@pytest.fixture
def seeded(damstra: Damstra) -> dict[str, dict[str, Any]]:
    return {lesson["name"]: lesson for lesson in damstra.seed(LESSONS)["lessons"]}


def test_a_lesson_row_shows_its_latest_published_version(damstra: Damstra, seeded: dict[str, Any]) -> None:
    fire = seeded["Fire Safety"]
    [row] = damstra.ok("GET", "/lesson", params={"q": "fire"})["results"]
    second_version = fire["versions"][1]
    assert fire["currentVersionId"] == second_version["lessonVersionId"]
    assert {key: row[key] for key in ("lessonVersionId", "lessonId", "version", "status", "duration")} == {
        "lessonVersionId": second_version["lessonVersionId"],
        "lessonId": fire["lessonId"],
        "version": 2,
        "status": "active",
        "duration": 133000,
    }
    assert (row["inLibrary"], row["questionnaireType"], row["clientId"]) == (False, 18, 76)
    [field] = row["lessonVersionCustomFields"]
    assert {
        key: field[key] for key in ("lessonVersionId", "fieldId", "customFieldDescription", "type", "value")
    } == {
        "lessonVersionId": second_version["lessonVersionId"],
        "fieldId": "customField1",
        "customFieldDescription": "Area",
        "type": "string",
        "value": "Site",
    }
    assert all(
        re.fullmatch(F1, value) for value in (row["createdDate"], row["modifiedDate"], field["createdDate"])
    )


def test_a_never_published_lesson_shows_its_latest_draft(damstra: Damstra, seeded: dict[str, Any]) -> None:
    draft = seeded["Draft Lesson"]
    [row] = damstra.ok("GET", "/lesson", params={"q": "draft"})["results"]
    assert (row["version"], row["lessonVersionId"]) == (2, draft["versions"][1]["lessonVersionId"])


def test_published_states_filter_by_status(damstra: Damstra, seeded: dict[str, Any]) -> None:
    ids = {name: lesson["lessonId"] for name, lesson in seeded.items()}
    assert page_ids(damstra.get("/lesson"), "lessonId") == list(ids.values())
    assert page_ids(damstra.get("/lesson", params={"publishedStates": "active"}), "lessonId") == [
        ids["Fire Safety"]
    ]
    both = [ids["Fire Safety"], ids["Manual Handling"]]
    assert page_ids(damstra.get("/lesson", params={"publishedStates": "inactive,active"}), "lessonId") == both
    repeated = damstra.get("/lesson", params=[("publishedStates", "active"), ("publishedStates", "inactive")])
    assert page_ids(repeated, "lessonId") == both
    assert damstra.get("/lesson", params={"publishedStates": "published"}).status_code == 400


def test_lesson_ids_and_q_narrow_the_list(damstra: Damstra, seeded: dict[str, Any]) -> None:
    fire, manual = seeded["Fire Safety"]["lessonId"], seeded["Manual Handling"]["lessonId"]
    assert page_ids(damstra.get("/lesson", params={"lessonIds": f"{manual},{fire}"}), "lessonId") == [
        fire,
        manual,
    ]
    repeated = damstra.get("/lesson", params=[("lessonIds", fire), ("lessonIds", manual), ("q", "HANDLING")])
    assert page_ids(repeated, "lessonId") == [manual]
    assert page_ids(damstra.get("/lesson", params={"lessonIds": "1"}), "lessonId") == []
    assert damstra.get("/lesson", params={"lessonIds": "12a"}).status_code == 400
    page = damstra.get("/lesson", params={"startIndex": 4, "maxResults": 2}).json()
    assert page["meta"] == {"totalResultCount": 5, "startIndex": 4, "endIndex": 5}


def test_lesson_details_are_thinner_and_carry_the_published_code(
    damstra: Damstra, seeded: dict[str, Any]
) -> None:
    page = damstra.ok("GET", "/lessondetails", params={"maxResults": 10})
    codes = {row["name"]: row["published"] for row in page["results"]}
    assert codes == {
        "Fire Safety": 65,
        "Manual Handling": 66,
        "Draft Lesson": 67,
        "Rendering Lesson": 68,
        "Broken Lesson": 69,
    }
    fire = page["results"][0]
    assert set(fire) == {
        "lessonVersionId",
        "lessonId",
        "name",
        "published",
        "duration",
        "status",
        "inLibrary",
        "version",
        "clientId",
    }
    assert fire["lessonVersionId"] == seeded["Fire Safety"]["currentVersionId"]
    assert page["id"] == "null" and page["meta"]["id"] == "null"
    assert page["meta"]["totalResultCount"] == 5 and page["meta"]["endIndex"] == 5
    assert all(re.fullmatch(F1, date) for date in (page["createdDate"], page["meta"]["modifiedDate"]))
    assert damstra.get("/lessondetails", params={"publishedStates": "gone"}).status_code == 400


def test_lessons_cannot_be_written_through_the_api(damstra: Damstra) -> None:
    assert damstra.post("/lesson", json={"name": "New"}).status_code == 405
    assert damstra.ok("GET", "/lesson")["results"] == []
