"""The Versal emulator's courses (seeded, read-only): the listing and its filters, depth, the staged
(published) view, who may see what, and gadget config and user data."""

from __future__ import annotations

import re

import pytest

from tests.emulators.vendors import DATE, OTHER_KEY, OTHER_ORG, Versal, assert_error
from tests.emulators.vendors import seed_versal_world as seed_world


def test_the_listing_shows_the_orgs_courses_with_their_editors(versal: Versal) -> None:
    ids = seed_world(versal)
    intro, draft = versal.ok("GET", "/courses")
    assert [intro["id"], draft["id"]] == [ids["intro"], ids["draft"]]
    assert ids["intro"].isdigit() and int(ids["draft"]) > int(ids["intro"])
    assert intro == {
        "id": ids["intro"],
        "courseId": ids["intro"],
        "catalogs": ["sandbox", "labs"],
        "createdAt": "2024-01-02",
        "public": True,
        "shortDesc": "Basics",
        "tags": ["safety"],
        "title": "Intro to Safety",
        "users": [
            {
                "id": ids["cy"],
                "username": "cy",
                "email": "cy@example.com",
                "fullname": "Cy Young",
                "fn": "Cy Young",
                "displayname": "Cy Young",
            }
        ],
    }
    assert draft["users"] == [] and "longDesc" not in draft and "coverImage" not in draft
    assert re.fullmatch(DATE, draft["createdAt"])


def test_editors_are_authors_contributors_and_publishers_but_not_learners_or_admins(versal: Versal) -> None:
    users = [{"email": f"{name}@example.com"} for name in ("au", "co", "pu", "le")]
    seeded = versal.seed(
        {
            "users": [*users, {"email": "boss@example.com", "roles": ["admin"]}],
            "courses": [
                {
                    "title": "Roles",
                    "authors": ["au@example.com"],
                    "contributors": ["co@example.com", "au@example.com"],
                    "publishers": ["pu@example.com"],
                    "learners": ["le@example.com"],
                }
            ],
        }
    )
    [course] = versal.ok("GET", "/courses")
    assert [user["email"] for user in course["users"]] == [
        "au@example.com",
        "co@example.com",
        "pu@example.com",
    ]
    assert course["id"] == seeded["courses"][0]["id"]


def test_the_listing_filters_by_title_author_and_catalog(versal: Versal) -> None:
    ids = seed_world(versal)
    versal.seed(
        {"courses": [{"title": "Advanced SAFETY", "catalogs": ["sandbox"], "authors": ["bob@example.com"]}]}
    )

    def titles(**params: str) -> list[str]:
        return [course["title"] for course in versal.ok("GET", "/courses", params=params)]

    assert titles(title="safety") == ["Intro to Safety", "Advanced SAFETY"]
    assert titles(title="INTRO") == ["Intro to Safety"]
    assert titles(title="nothing") == []
    assert titles(author=ids["bob"]) == ["Advanced SAFETY"]
    assert titles(author=ids["cy"]) == ["Intro to Safety"]
    assert titles(author=ids["ada"]) == []
    assert titles(catalog="labs") == ["Intro to Safety"]
    assert titles(catalog="sandbox") == ["Draft Course", "Advanced SAFETY"]
    assert titles(catalog="sandbox", title="safety") == ["Advanced SAFETY"]
    assert_error(versal.get("/courses", params={"catalog": "published"}, malformed=True), 400)
    assert_error(versal.get("/courses", params={"author": "bob"}, malformed=True), 400)


def test_depth_selects_lessons_and_gadgets(versal: Versal) -> None:
    ids = seed_world(versal)
    bare = versal.ok("GET", f"/courses/{ids['intro']}")
    assert "lessons" not in bare and bare["lastPublished"] == "2024-01-02"
    assert bare["users"][0]["id"] == ids["cy"]
    lessons = versal.ok("GET", f"/courses/{ids['intro']}", params={"depth": "lessons"})["lessons"]
    assert lessons == [{"id": ids["welcome"], "title": "Welcome"}, {"id": ids["quiz"], "title": "Quiz"}]
    assert all(re.fullmatch(r"[a-z0-9]{1,8}", lesson["id"]) for lesson in lessons)
    full = versal.ok("GET", f"/courses/{ids['intro']}", params={"depth": "full"})["lessons"]
    assert full == [
        {
            "id": ids["welcome"],
            "title": "Welcome",
            "gadgets": [{"id": ids["text"], "type": "text", "config": {"body": "Hi"}}],
        },
        {
            "id": ids["quiz"],
            "title": "Quiz",
            "gadgets": [{"id": ids["quiz_gadget"], "type": "quiz", "config": {"question": "2+2?"}}],
        },
    ]
    assert "lastPublished" not in versal.ok("GET", f"/courses/{ids['draft']}")
    assert_error(versal.get(f"/courses/{ids['intro']}", params={"depth": "deep"}, malformed=True), 400)
    assert_error(versal.get("/courses/999999"), 404)
    assert_error(versal.get("/courses/abc"), 404)


def test_the_staged_view_serves_published_courses_only(versal: Versal) -> None:
    ids = seed_world(versal)
    staged = versal.ok("GET", f"/catalogs/staged/courses/{ids['intro']}")
    assert staged == versal.ok("GET", f"/courses/{ids['intro']}", params={"depth": "full"})
    assert_error(versal.get(f"/catalogs/staged/courses/{ids['draft']}"), 404)
    assert_error(versal.get(f"/catalogs/staged/courses/{ids['elsewhere']}"), 403)
    assert_error(versal.get(f"/catalogs/staged/courses/{ids['intro']}", sid=None), 401)


def test_sessions_see_published_courses_and_those_they_can_edit(versal: Versal) -> None:
    ids = seed_world(versal)
    bob = versal.session_for("bob@example.com")
    assert [course["id"] for course in versal.ok("GET", "/courses", sid=bob)] == [ids["intro"]]
    assert_error(versal.get(f"/courses/{ids['draft']}", sid=bob), 403, "Permission denied")
    ada = versal.session_for("ada@example.com")  # an org admin
    assert [course["id"] for course in versal.ok("GET", "/courses", sid=ada)] == [ids["intro"], ids["draft"]]
    assert versal.ok("GET", f"/courses/{ids['draft']}", sid=ada)["title"] == "Draft Course"
    versal.ok("PATCH", f"/courses/{ids['draft']}/users/{ids['bob']}", json={"roles": ["publisher"]})
    assert [course["id"] for course in versal.ok("GET", "/courses", sid=bob)] == [ids["intro"], ids["draft"]]
    assert_error(versal.get(f"/courses/{ids['elsewhere']}", sid=bob), 403)


def test_sessions_get_their_position_and_status_keys_do_not(versal: Versal) -> None:
    ids = seed_world(versal)
    versal.seed(
        {
            "courses": [
                {
                    "title": "Done",
                    "catalogs": ["labs"],
                    "learners": ["bob@example.com"],
                    "lessons": [{"title": "Only"}],
                    "progress": {"bob@example.com": {"courseCompleted": True, "currentLesson": 0}},
                }
            ]
        }
    )
    cy = versal.ok("GET", f"/courses/{ids['intro']}", sid=versal.session_for("cy@example.com"))
    assert cy["currentPosition"] == {
        "currentLessonId": ids["quiz"],
        "currentLessonIndex": 1,
        "updatedAt": "2024-02-01",
    }
    assert "status" not in cy
    assert "currentPosition" not in versal.ok("GET", f"/courses/{ids['intro']}")
    done = versal.ok("GET", "/courses", params={"title": "Done"})[0]["id"]
    bob = versal.session_for("bob@example.com")
    assert versal.ok("GET", f"/courses/{done}", sid=bob)["status"] == "complete"
    assert "currentPosition" not in versal.ok("GET", f"/courses/{ids['intro']}", sid=bob)


# --- gadgets ---


def test_gadget_config_shows_private_fields_to_editing_sessions_only(versal: Versal) -> None:
    ids = seed_world(versal)
    path = f"/courses/{ids['intro']}/gadgets/{ids['quiz_gadget']}/config"
    staged = f"/catalogs/staged{path}"
    public, private = {"question": "2+2?"}, {"question": "2+2?", "answer": "4"}
    assert versal.ok("GET", path) == versal.ok("GET", staged) == public
    bob = versal.session_for("bob@example.com")
    assert versal.ok("GET", path, sid=bob) == versal.ok("GET", staged, sid=bob) == public
    cy = versal.session_for("cy@example.com")  # the course's author
    assert versal.ok("GET", path, sid=cy) == versal.ok("GET", staged, sid=cy) == private
    full = versal.ok("GET", f"/courses/{ids['intro']}", sid=cy, params={"depth": "full"})
    assert full["lessons"][1]["gadgets"][0]["config"] == private
    assert_error(versal.get(f"/courses/{ids['intro']}/gadgets/nope/config"), 404)
    assert_error(versal.get(f"/courses/{ids['elsewhere']}/gadgets/{ids['text']}/config"), 403)


def test_gadget_config_of_a_draft_needs_edit_rights_and_has_no_staged_version(versal: Versal) -> None:
    seeded = versal.seed(
        {
            "users": [{"email": "le@example.com"}],
            "courses": [
                {
                    "title": "Draft",
                    "lessons": [{"title": "L", "gadgets": [{"type": "poll", "config": {"q": 1}}]}],
                }
            ],
        }
    )
    course = seeded["courses"][0]
    gadget = course["lessons"][0]["gadgets"][0]["id"]
    assert versal.ok("GET", f"/courses/{course['id']}/gadgets/{gadget}/config") == {"q": 1}
    session = versal.session_for("le@example.com")
    assert_error(versal.get(f"/courses/{course['id']}/gadgets/{gadget}/config", sid=session), 403)
    assert_error(versal.get(f"/catalogs/staged/courses/{course['id']}/gadgets/{gadget}/config"), 404)


def test_gadget_user_data_is_paged_and_private_to_non_editing_sessions(versal: Versal) -> None:
    ids = seed_world(versal)
    path = f"/courses/{ids['intro']}/lessons/{ids['quiz']}/gadgets/{ids['quiz_gadget']}/userdata"
    rows = versal.ok("GET", path)
    assert [(row["user"]["email"], row["state"]) for row in rows] == [
        ("bob@example.com", {"answer": "4"}),
        ("cy@example.com", {"answer": "5"}),
    ]
    assert rows[0]["user"]["displayname"] == "Bob"
    first = versal.get(path, params={"perPage": 1})
    assert first.headers["X-Pagination"] == '{"count":2,"page":1,"nextPage":2,"perPage":1,"pageCount":2}'
    assert [row["user"]["id"] for row in first.json()] == [ids["bob"]]
    bob = versal.session_for("bob@example.com")
    assert [row["user"]["id"] for row in versal.ok("GET", path, sid=bob)] == [ids["bob"]]
    cy = versal.session_for("cy@example.com")
    assert len(versal.ok("GET", path, sid=cy)) == 2
    empty = versal.get(f"/courses/{ids['intro']}/lessons/{ids['welcome']}/gadgets/{ids['text']}/userdata")
    assert empty.json() == [] and empty.headers["count"] == "0"


@pytest.mark.parametrize(
    "path",
    [
        "/courses/{intro}/lessons/{welcome}/gadgets/{quiz_gadget}/userdata",
        "/courses/{intro}/lessons/nope/gadgets/{quiz_gadget}/userdata",
        "/courses/{intro}/lessons/{quiz}/gadgets/nope/userdata",
        "/courses/999999/lessons/{quiz}/gadgets/{quiz_gadget}/userdata",
    ],
)
def test_gadget_user_data_needs_the_gadget_in_that_lesson(versal: Versal, path: str) -> None:
    ids = seed_world(versal)
    assert_error(versal.get(path.format(**ids)), 404)


def test_another_orgs_key_reads_its_own_courses(versal: Versal) -> None:
    ids = seed_world(versal)
    [course] = versal.ok("GET", "/courses", sid=OTHER_KEY)
    assert course["id"] == ids["elsewhere"]
    assert versal.ok("GET", f"/courses/{ids['elsewhere']}", sid=OTHER_KEY)["title"] == "Elsewhere"
    assert versal.state()["courses"][2]["org_id"] == OTHER_ORG
