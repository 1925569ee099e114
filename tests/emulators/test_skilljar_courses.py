"""Courses and labels in the Skilljar emulator; every 2xx exchange is checked against Skilljar's spec."""

from __future__ import annotations

from tests.emulators.vendors import DOMAIN, OBJECT_ID, OTHER_DOMAIN, TIMESTAMP, Emulator


def _label_names(emulator: Emulator, course_id: str) -> list[str]:
    listing = emulator.get(f"/v1/courses/{course_id}/labels").json()
    return [item["label"]["name"] for item in listing["results"]]


# --- courses --------------------------------------------------------------------------------------------


def test_course_create_read_and_defaults(emulator: Emulator) -> None:
    course = emulator.create_course(
        "Intro to Python", long_description_html="<p>Hi</p>", labels=["lmsform", "lmsform:intro"]
    )
    assert OBJECT_ID.fullmatch(course["id"])
    assert TIMESTAMP.fullmatch(course["created_at"]) and course["modified_at"] == course["created_at"]
    assert course == {
        "id": course["id"],
        "enforce_sequential_navigation": False,
        "long_description_html": "<p>Hi</p>",
        "short_description": "About Intro to Python",
        "title": "Intro to Python",
        "labels": ["lmsform", "lmsform:intro"],
        "promo_image_url": "",
        "display_course_and_lesson_time": False,
        "manual_course_time": "",
        "display_manual_course_time": False,
        "course_and_lesson_time_format": "HOURS_MINUTES_SECONDS",
        "course_time": "00:00:00",
        "created_at": course["created_at"],
        "modified_at": course["modified_at"],
    }
    assert emulator.get(f"/v1/courses/{course['id']}").json() == course
    # Labels named on a course become labels of their own.
    assert [label["name"] for label in emulator.get("/v1/labels").json()["results"]] == course["labels"]

    timed = emulator.create_course(
        "Timed",
        manual_course_time="About 2 h",
        display_manual_course_time=True,
        course_and_lesson_time_format="MINUTES_VERBOSE",
    )
    assert timed["course_time"] == "About 2 h"
    assert emulator.get("/v1/courses/nosuchcourse1").status_code == 404


def test_invalid_course_bodies_are_rejected_without_writes(emulator: Emulator) -> None:
    assert emulator.post("/v1/courses", json={}).json() == {
        "enforce_sequential_navigation": ["This field is required."],
        "short_description": ["This field is required."],
        "title": ["This field is required."],
    }
    base = {"title": "T", "short_description": "S", "enforce_sequential_navigation": True}
    assert emulator.post("/v1/courses", json={**base, "title": " "}).json() == {
        "title": ["This field may not be blank."]
    }
    assert emulator.post("/v1/courses", json={**base, "labels": "a,b"}).json() == {
        "labels": ['Expected a list of items but got type "str".']
    }
    assert emulator.post("/v1/courses", json={**base, "labels": ["ok", ""]}).json() == {
        "labels": {"1": ["This field may not be blank."]}
    }
    assert emulator.post("/v1/courses", json={**base, "course_and_lesson_time_format": "DAYS"}).json() == {
        "course_and_lesson_time_format": ['"DAYS" is not a valid choice.']
    }
    assert emulator.post("/v1/courses", json={**base, "manual_course_time": "x" * 16}).status_code == 400
    assert emulator.post("/v1/courses", json={**base, "manual_course_time": ""}).status_code == 400
    state = emulator.state()
    assert state["courses"] == [] and state["labels"] == []


def test_course_put_and_patch_are_partial_and_labels_replace_the_set(emulator: Emulator) -> None:
    course = emulator.create_course("Partial", labels=["a", "b"])
    path = f"/v1/courses/{course['id']}"

    patched = emulator.patch(path, json={"title": "Renamed"}).json()
    assert patched["title"] == "Renamed"
    assert patched["short_description"] == "About Partial"
    assert patched["labels"] == ["a", "b"]
    assert patched["modified_at"] > course["modified_at"]

    # PUT is partial too (skilljar.md D15), and writing `labels` replaces the whole set, in the order given.
    replaced = emulator.put(path, json={"labels": ["c", "a", "c"]}, check_request=False).json()
    assert replaced["title"] == "Renamed"
    assert replaced["labels"] == ["c", "a"]
    assert _label_names(emulator, course["id"]) == ["c", "a"]
    # Labels the course dropped still exist; a known name is reused, not duplicated.
    assert [label["name"] for label in emulator.get("/v1/labels").json()["results"]] == ["a", "b", "c"]

    emptied = emulator.patch(path, json={"labels": []}).json()
    assert emptied["labels"] == []
    assert emptied["modified_at"] > replaced["modified_at"]
    assert emulator.patch(path, json={"enforce_sequential_navigation": "maybe"}).status_code == 400
    assert emulator.patch("/v1/courses/nosuchcourse1", json={"title": "X"}).status_code == 404


def test_course_list_filters_by_exact_label_and_pages_by_100(emulator: Emulator) -> None:
    emulator.create_course("Tagged", labels=["lmsform"])
    emulator.create_course("Other", labels=["lmsform-other", "LMSFORM"])
    emulator.seed({"courses": [{"title": f"Bulk {index:03d}"} for index in range(99)]})

    def titles(query: str) -> list[str]:
        return [course["title"] for course in emulator.get(f"/v1/courses?{query}").json()["results"]]

    assert titles("label__name=lmsform") == ["Tagged"]
    assert titles("label__name=LMSFORM") == ["Other"]
    assert titles("label__name=nothing") == []

    first = emulator.get("/v1/courses?page_size=500").json()
    assert first["count"] == 101
    assert len(first["results"]) == 100
    assert [course["title"] for course in emulator.get(first["next"]).json()["results"]] == ["Bulk 098"]
    assert len(emulator.get("/v1/courses?page_size=7").json()["results"]) == 7


def test_deleting_a_course_unpublishes_it_everywhere_with_its_enrollments(emulator: Emulator) -> None:
    doomed = emulator.create_course("Doomed", labels=["kept-label"])
    kept = emulator.create_course("Kept")
    user_id = emulator.member_id("learner@example.com")
    on_acme = emulator.publish(doomed["id"])
    emulator.publish(doomed["id"], domain=OTHER_DOMAIN)
    kept_publication = emulator.publish(kept["id"])
    for publication in (on_acme, kept_publication):
        enrollments = f"/v1/domains/{DOMAIN}/published-courses/{publication['id']}/enrollments"
        emulator.created(enrollments, {"user": {"id": user_id}})

    assert emulator.delete(f"/v1/courses/{doomed['id']}").status_code == 204
    assert emulator.get(f"/v1/courses/{doomed['id']}").status_code == 404
    assert emulator.delete(f"/v1/courses/{doomed['id']}").status_code == 404
    assert emulator.get(f"/v1/domains/{DOMAIN}/published-courses/{on_acme['id']}").status_code == 404
    state = emulator.state()
    assert [row["id"] for row in state["published_courses"]] == [kept_publication["id"]]
    assert [row["published_course_id"] for row in state["enrollments"]] == [kept_publication["id"]]
    assert state["course_labels"] == []
    assert [label["name"] for label in state["labels"]] == ["kept-label"]


# --- labels ---------------------------------------------------------------------------------------------


def test_label_create_rename_and_uniqueness(emulator: Emulator) -> None:
    label = emulator.created("/v1/labels", {"name": "beginner"})
    assert OBJECT_ID.fullmatch(label["id"])
    assert label == {"id": label["id"], "name": "beginner"}
    assert emulator.get(f"/v1/labels/{label['id']}").json() == label

    duplicate = emulator.post("/v1/labels", json={"name": "beginner"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"name": ["label with this name already exists."]}
    assert emulator.post("/v1/labels", json={"name": "Beginner"}).status_code == 201  # case-sensitive
    assert emulator.post("/v1/labels", json={"name": "x" * 256}).status_code == 400
    assert emulator.post("/v1/labels", json={}).json() == {"name": ["This field is required."]}

    course = emulator.create_course("Carrier", labels=["beginner"])
    renamed = emulator.patch(f"/v1/labels/{label['id']}", json={"name": "novice"}).json()
    assert renamed == {"id": label["id"], "name": "novice"}
    assert emulator.get(f"/v1/courses/{course['id']}").json()["labels"] == ["novice"]
    # PUT is partial (skilljar.md D15): an empty body changes nothing.
    assert emulator.put(f"/v1/labels/{label['id']}", json={}, check_request=False).json() == renamed
    assert emulator.put(f"/v1/labels/{label['id']}", json={"name": "Beginner"}).status_code == 400
    assert emulator.get("/v1/labels?page_size=1").json()["next"] is not None


def test_deleting_a_label_removes_it_from_every_course(emulator: Emulator) -> None:
    first = emulator.create_course("First", labels=["shared", "mine"])
    second = emulator.create_course("Second", labels=["shared"])
    shared_id = next(
        label["id"] for label in emulator.get("/v1/labels").json()["results"] if label["name"] == "shared"
    )

    assert emulator.delete(f"/v1/labels/{shared_id}").status_code == 204
    assert emulator.get(f"/v1/labels/{shared_id}").status_code == 404
    assert emulator.delete(f"/v1/labels/{shared_id}").status_code == 404
    assert emulator.get(f"/v1/courses/{first['id']}").json()["labels"] == ["mine"]
    assert emulator.get(f"/v1/courses/{second['id']}").json()["labels"] == []
    assert emulator.get("/v1/courses?label__name=shared").json()["count"] == 0


def test_course_label_associations_show_in_the_course_and_back(emulator: Emulator) -> None:
    course = emulator.create_course("Associated", labels=["first"])
    label = emulator.created("/v1/labels", {"name": "second"})
    labels_path = f"/v1/courses/{course['id']}/labels"

    added = emulator.created(labels_path, {"label": {"id": label["id"]}})
    assert added == {"label": {"id": label["id"], "name": "second"}}
    assert emulator.get(f"/v1/courses/{course['id']}").json()["labels"] == ["first", "second"]
    assert emulator.get("/v1/courses?label__name=second").json()["count"] == 1
    listing = emulator.get(labels_path).json()
    assert listing["count"] == 2
    assert listing["results"][1] == added
    assert emulator.get(f"{labels_path}/{label['id']}").json() == added

    duplicate = emulator.post(labels_path, json={"label": {"id": label["id"]}})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"non_field_errors": ["Label is already associated with this course."]}
    assert emulator.post(labels_path, json={"label": {"id": "nosuchlabel1"}}).json() == {
        "label": ["Invalid label id."]
    }
    assert emulator.post(labels_path, json={"label": {}}).json() == {
        "label": {"id": ["This field is required."]}
    }
    assert (
        emulator.post("/v1/courses/nosuchcourse1/labels", json={"label": {"id": label["id"]}}).status_code
        == 404
    )

    assert emulator.delete(f"{labels_path}/{label['id']}").status_code == 204
    assert emulator.get(f"{labels_path}/{label['id']}").status_code == 404
    assert emulator.delete(f"{labels_path}/{label['id']}").status_code == 404
    assert emulator.get(f"/v1/courses/{course['id']}").json()["labels"] == ["first"]
    assert emulator.get(f"/v1/labels/{label['id']}").status_code == 200  # only the association went
    assert emulator.get(f"{labels_path}?page_size=1").json()["next"] is None  # page_size is not declared here
