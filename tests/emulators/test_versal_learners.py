"""The Versal emulator's course learners: the course-user PATCH (tracking and course roles) and the
progress report `GET /courses/{courseId}/userdata`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulators.vendors import OTHER_KEY, Versal, assert_error
from tests.emulators.vendors import seed_versal_world as seed_world


def _roles(versal: Versal, course_id: str, user_id: str) -> list[str]:
    return [
        row["role"]
        for row in versal.state()["course_roles"]
        if row["course_id"] == int(course_id) and row["user_id"] == int(user_id)
    ]


def test_the_patch_tracks_and_answers_tracked_and_the_user(versal: Versal) -> None:
    ids = seed_world(versal)
    path = f"/courses/{ids['intro']}/users/{ids['ada']}"
    answer = versal.ok("PATCH", path, json={"tracked": True, "roles": ["learner"]})
    assert answer == {
        "tracked": True,
        "user": {
            "id": ids["ada"],
            "username": "ada",
            "email": "ada@example.com",
            "firstname": "Ada",
            "lastname": "Lovelace",
            "fn": "Ada Lovelace",
            "displayname": "Ada Lovelace",
        },
    }
    assert [row["id"] for row in versal.tracked(ids["intro"])] == [ids["ada"], ids["bob"], ids["cy"]]
    assert versal.ok("PATCH", path, json={"tracked": True, "roles": ["learner"]}) == answer, "idempotent"
    assert versal.ok("PATCH", path, json={"tracked": False})["tracked"] is False
    assert [row["id"] for row in versal.tracked(ids["intro"])] == [ids["bob"], ids["cy"]]


def test_the_patch_is_partial_and_roles_replace(versal: Versal) -> None:
    ids = seed_world(versal)
    path = f"/courses/{ids['draft']}/users/{ids['bob']}"
    assert versal.ok("PATCH", path, json={"roles": ["author", "publisher"]})["tracked"] is False
    assert _roles(versal, ids["draft"], ids["bob"]) == ["author", "publisher"]
    assert versal.ok("PATCH", path, json={"tracked": True})["tracked"] is True
    assert _roles(versal, ids["draft"], ids["bob"]) == ["author", "publisher"], "roles kept when absent"
    assert versal.ok("PATCH", path, json={"roles": ["contributor"]})["tracked"] is True, "tracking kept"
    assert _roles(versal, ids["draft"], ids["bob"]) == ["contributor"]
    assert [u["id"] for u in versal.ok("GET", f"/courses/{ids['draft']}")["users"]] == [ids["bob"]]
    versal.ok("PATCH", path, json={"tracked": False, "roles": []})
    assert _roles(versal, ids["draft"], ids["bob"]) == []
    assert versal.ok("GET", f"/courses/{ids['draft']}")["users"] == []


def test_untracking_keeps_progress_for_when_tracking_resumes(versal: Versal) -> None:
    ids = seed_world(versal)
    path = f"/courses/{ids['intro']}/users/{ids['cy']}"
    [before] = versal.tracked(ids["intro"], userIds=ids["cy"])
    versal.ok("PATCH", path, json={"tracked": False})
    assert versal.tracked(ids["intro"], userIds=ids["cy"]) == []
    versal.ok("PATCH", path, json={"tracked": True})
    assert versal.tracked(ids["intro"], userIds=ids["cy"]) == [before]


@pytest.mark.parametrize(
    ("body", "malformed"),
    [
        ({}, False),
        ({"other": 1}, True),
        ({"tracked": "yes"}, True),
        ({"roles": ["admin"]}, True),
        ({"roles": "learner"}, True),
        ({"tracked": True, "roles": ["learner", "teacher"]}, True),
    ],
)
def test_the_patch_refuses_bodies_without_a_valid_change(
    versal: Versal, body: dict[str, Any], malformed: bool
) -> None:
    ids = seed_world(versal)
    before = versal.state()
    assert_error(
        versal.patch(f"/courses/{ids['draft']}/users/{ids['bob']}", json=body, malformed=malformed), 400
    )
    assert versal.state() == before


def test_the_patch_needs_a_member_of_the_courses_org(versal: Versal) -> None:
    ids = seed_world(versal)
    for user in (ids["zed"], "99999", "bob", ""):
        path = f"/courses/{ids['intro']}/users/{user}"
        assert_error(versal.patch(path, json={"tracked": True}, malformed=user == ""), 404)
    assert_error(versal.patch(f"/courses/999999/users/{ids['bob']}", json={"tracked": True}), 404)
    assert_error(versal.patch(f"/courses/{ids['elsewhere']}/users/{ids['bob']}", json={"tracked": True}), 403)
    zed = versal.ok(
        "PATCH", f"/courses/{ids['elsewhere']}/users/{ids['zed']}", sid=OTHER_KEY, json={"tracked": True}
    )
    assert zed["tracked"] is True


def test_userdata_lists_tracked_learners_with_their_progress(versal: Versal) -> None:
    ids = seed_world(versal)
    versal.seed(
        {
            "courses": [
                {
                    "title": "Progress",
                    "lessons": [{"title": "One"}, {"title": "Two"}],
                    "learners": ["ada@example.com"],
                    "progress": {
                        "bob@example.com": {
                            "startDate": "2024-03-01T08:00:00Z",
                            "lastActivity": "2024-03-05T09:30:00+02:00",
                            "courseCompleted": True,
                            "completeDate": "2024-03-06",
                            "currentLesson": 1,
                        },
                        "cy@example.com": {"tracked": False, "startDate": "2024-03-02"},
                    },
                }
            ]
        }
    )
    course = versal.ok("GET", "/courses", params={"title": "Progress"})[0]
    lesson_two = versal.ok("GET", f"/courses/{course['id']}", params={"depth": "lessons"})["lessons"][1]["id"]
    assert versal.tracked(course["id"]) == [
        {
            "id": ids["bob"],
            "email": "bob@example.com",
            "firstname": "Bob",
            "title": "Progress",
            "startDate": "2024-03-01",
            "lastActivity": "2024-03-05",
            "courseCompleted": True,
            "completeDate": "2024-03-06",
            "currentLesson": 1,
            "currentLessonId": lesson_two,
        }
    ], "learners without tracking and untracked progress are left out"
    assert versal.tracked(ids["intro"]) == [
        {
            "id": ids["bob"],
            "email": "bob@example.com",
            "firstname": "Bob",
            "title": "Intro to Safety",
            "courseCompleted": False,
        },
        {
            "id": ids["cy"],
            "email": "cy@example.com",
            "fullname": "Cy Young",
            "title": "Intro to Safety",
            "startDate": "2024-02-01",
            "lastActivity": "2024-02-01",
            "courseCompleted": False,
            "currentLesson": 1,
            "currentLessonId": ids["quiz"],
        },
    ]


def test_userdata_filters_by_user_ids(versal: Versal) -> None:
    ids = seed_world(versal)

    def listed(user_ids: str) -> list[str]:
        return [row["id"] for row in versal.tracked(ids["intro"], userIds=user_ids)]

    assert listed(ids["cy"]) == [ids["cy"]]
    assert listed(f"{ids['cy']},{ids['bob']}") == [ids["bob"], ids["cy"]]
    assert listed(f" {ids['bob']} ,,{ids['ada']},99999") == [ids["bob"]]
    assert listed("") == [ids["bob"], ids["cy"]]
    response = versal.get(f"/courses/{ids['intro']}/userdata", params={"userIds": ids["cy"]})
    assert (response.headers["count"], response.headers["pageCount"]) == ("1", "1")
    assert_error(versal.get(f"/courses/{ids['intro']}/userdata", params={"userIds": "1,bob"}), 400)


def test_userdata_errors(versal: Versal) -> None:
    ids = seed_world(versal)
    assert_error(versal.get("/courses/999999/userdata"), 404)
    assert_error(versal.get(f"/courses/{ids['elsewhere']}/userdata"), 403)
    assert versal.ok("GET", f"/courses/{ids['elsewhere']}/userdata", sid=OTHER_KEY) == []
