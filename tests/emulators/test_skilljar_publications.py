"""Published courses, published paths and plans in the Skilljar emulator; every 2xx exchange is checked
against Skilljar's spec."""

from __future__ import annotations

from tests.emulators.vendors import DOMAIN, OBJECT_ID, OTHER_DOMAIN, TIMESTAMP, Emulator

PUBLISHED = f"/v1/domains/{DOMAIN}/published-courses"
PATHS = f"/v1/domains/{DOMAIN}/published-paths"


# --- published courses ----------------------------------------------------------------------------------


def test_publishing_a_course_answers_the_publication_with_a_free_open_offer(emulator: Emulator) -> None:
    course = emulator.create_course("Intro to Python!", long_description_html="<p>Long</p>")
    publication = emulator.publish(
        course["id"], hidden=True, registration_starts_at="2030-01-01T09:00:00+01:00"
    )
    assert OBJECT_ID.fullmatch(publication["id"])
    offer = publication["offer"]
    assert OBJECT_ID.fullmatch(offer["id"])
    assert publication == {
        "id": publication["id"],
        "course": {
            "id": course["id"],
            "title": "Intro to Python!",
            "lesson_count": 0,
            "required_lesson_count": 0,
        },
        "slug": "intro-to-python",
        "course_url": f"https://{DOMAIN}/intro-to-python",
        "hidden": True,
        "strict_enforce_group_visibility": False,
        "registration_required": True,
        "registration_starts_at": "2030-01-01T08:00:00.000000Z",
        "restrict_access_start_end_dates": False,
        "allow_self_service_reenroll": False,
        "unique_progress_per_enrollment": False,
        "require_all_prerequisites": False,
        "timezone": None,
        "offer": {
            "id": offer["id"],
            "registration_open": True,
            "registration_url": f"https://{DOMAIN}/checkout/{offer['id']}",
            "price": {"amount": "0.00", "currency_code": "USD"},
        },
    }
    detail = emulator.get(f"{PUBLISHED}/{publication['id']}").json()
    assert detail["course"] == {
        **publication["course"],
        "short_description": "About Intro to Python!",
        "long_description_html": "<p>Long</p>",
    }
    assert {key: value for key, value in detail.items() if key != "course"} == {
        key: value for key, value in publication.items() if key != "course"
    }
    # The same course on another domain is another publication, with the same default slug.
    elsewhere = emulator.publish(course["id"], domain=OTHER_DOMAIN)
    assert elsewhere["slug"] == "intro-to-python" and elsewhere["id"] != publication["id"]
    assert emulator.get(f"{PUBLISHED}/{elsewhere['id']}").status_code == 404


def test_default_slugs_match_the_specs_two_word_pattern(emulator: Emulator) -> None:
    one_word = emulator.create_course("Kubernetes")
    no_word = emulator.create_course("!!!")
    accented = emulator.create_course("Café Basics")
    assert emulator.publish(one_word["id"])["slug"] == "kubernetes-course"
    assert emulator.publish(no_word["id"])["slug"] == "course-course"
    assert emulator.publish(accented["id"])["slug"] == "cafe-basics"


def test_publication_conflicts_and_bad_bodies_are_rejected(emulator: Emulator) -> None:
    course = emulator.create_course("Data Science")
    twin = emulator.create_course("Data Science")
    emulator.publish(course["id"])

    again = emulator.post(PUBLISHED, json={"course": {"id": course["id"]}})
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["Course is already published to this domain."]}
    clash = emulator.post(PUBLISHED, json={"course": {"id": twin["id"]}})  # same title, same default slug
    assert clash.status_code == 400
    assert list(clash.json()) == ["slug"]
    assert emulator.post(PUBLISHED, json={"course": {"id": "nosuchcourse1"}}).json() == {
        "course": ["Invalid course id."]
    }
    assert emulator.post(PUBLISHED, json={"course": {"id": twin["id"]}, "slug": "single"}).json() == {
        "slug": ["This value does not match the required pattern."]
    }
    assert (
        emulator.post(PUBLISHED, json={"course": {"id": twin["id"]}, "slug": "Upper-Case"}).status_code == 400
    )
    assert (
        emulator.post(PUBLISHED, json={"course": {"id": twin["id"]}, "slug": "a-" + "b" * 99}).status_code
        == 400
    )
    assert emulator.post(PUBLISHED, json={}).json() == {"course": ["This field is required."]}
    assert emulator.post("/v1/domains/nowhere.example.com/published-courses", json={}).status_code == 404

    assert emulator.publish(twin["id"], slug="data-science-two")["slug"] == "data-science-two"
    assert emulator.get(PUBLISHED).json()["count"] == 2


def test_publication_put_and_patch_are_partial(emulator: Emulator) -> None:
    first = emulator.publish(emulator.create_course("First Course")["id"])
    second = emulator.publish(emulator.create_course("Second Course")["id"])
    path = f"{PUBLISHED}/{first['id']}"

    patched = emulator.patch(
        path, json={"hidden": True, "registration_ends_at": "2031-01-01T00:00:00Z"}
    ).json()
    assert patched["hidden"] is True
    assert patched["registration_ends_at"] == "2031-01-01T00:00:00.000000Z"
    assert patched["slug"] == "first-course"
    assert "registration_starts_at" not in patched  # unset dates are left out, not null

    put = emulator.put(path, json={"slug": "renamed-course"}).json()
    assert put["slug"] == "renamed-course" and put["hidden"] is True
    assert put["course_url"] == f"https://{DOMAIN}/renamed-course"
    assert emulator.put(path, json={"slug": "renamed-course"}).status_code == 200  # its own slug is no clash
    assert list(emulator.patch(path, json={"slug": second["slug"]}).json()) == ["slug"]
    assert emulator.patch(path, json={"registration_ends_at": None}).json() == {
        "registration_ends_at": ["This field may not be null."]
    }
    assert emulator.patch(f"{PUBLISHED}/nosuchpub123", json={"hidden": False}).status_code == 404


def test_publication_list_filters_by_course_and_search(emulator: Emulator) -> None:
    python = emulator.create_course("Python Basics")
    rust = emulator.create_course("Rust Basics")
    for course in (python, rust):
        emulator.publish(course["id"])

    def titles(query: str) -> list[str]:
        return [item["course"]["title"] for item in emulator.get(f"{PUBLISHED}?{query}").json()["results"]]

    assert titles("") == ["Python Basics", "Rust Basics"]
    assert titles(f"course__id={rust['id']}") == ["Rust Basics"]
    assert titles("course__id=nosuchcourse1") == []
    assert titles("search=PYTHON") == ["Python Basics"]
    assert titles("page_size=1") == ["Python Basics", "Rust Basics"]  # page_size is not declared here


def test_unpublishing_removes_the_enrollments_and_republishing_makes_a_new_id(emulator: Emulator) -> None:
    course = emulator.create_course("Ephemeral Course")
    user_id = emulator.member_id("learner@example.com")
    publication = emulator.publish(course["id"])
    emulator.created(f"{PUBLISHED}/{publication['id']}/enrollments", {"user": {"id": user_id}})

    assert emulator.delete(f"{PUBLISHED}/{publication['id']}").status_code == 204
    assert emulator.get(f"{PUBLISHED}/{publication['id']}").status_code == 404
    assert emulator.get(f"{PUBLISHED}/{publication['id']}/enrollments").status_code == 404
    assert emulator.delete(f"{PUBLISHED}/{publication['id']}").status_code == 404
    assert emulator.state()["enrollments"] == []
    assert emulator.get(f"/v1/courses/{course['id']}").status_code == 200  # the course stays

    again = emulator.publish(course["id"])
    assert again["id"] != publication["id"]
    assert emulator.get(f"{PUBLISHED}/{again['id']}/enrollments").json()["count"] == 0


# --- published paths ------------------------------------------------------------------------------------


def test_publishing_a_path_creates_the_path(emulator: Emulator) -> None:
    published = emulator.publish_path("onboarding", "Onboarding", hidden=True)
    assert OBJECT_ID.fullmatch(published["id"]) and OBJECT_ID.fullmatch(published["path"]["id"])
    assert published["path"]["id"] != published["id"]
    assert TIMESTAMP.fullmatch(published["created_at"])
    assert published == {
        "id": published["id"],
        "slug": "onboarding",
        "path": {
            "id": published["path"]["id"],
            "title": "Onboarding",
            "promo_image_url": "",
            "short_description": "",
            "long_description_html": "",
            "header_html": "",
            "course_name_singular": "Course",
            "course_name_plural": "Courses",
            "path_item_count": 0,
        },
        "path_url": f"https://{DOMAIN}/path/onboarding",
        "hidden": True,
        "strict_enforce_group_visibility": False,
        "offer": published["offer"],
        "unique_progress_per_enrollment": False,
        "created_at": published["created_at"],
        "modified_at": published["created_at"],
    }
    assert published["offer"]["registration_open"] is True
    assert emulator.get(f"{PATHS}/{published['id']}").json() == published
    assert emulator.get(f"/v1/domains/{OTHER_DOMAIN}/published-paths/{published['id']}").status_code == 404


def test_published_path_rules(emulator: Emulator) -> None:
    emulator.publish_path("onboarding", "Onboarding")
    assert emulator.post(PATHS, json={"path": {"title": "No slug"}}).json() == {
        "slug": ["This field is required."]
    }
    assert emulator.post(PATHS, json={"slug": "two--dashes", "path": {"title": "T"}}).json() == {
        "slug": ["This value does not match the required pattern."]
    }
    assert emulator.post(PATHS, json={"slug": "ok", "path": {}}).json() == {
        "path": {"title": ["This field is required."]}
    }
    assert emulator.post(PATHS, json={"slug": "ok", "path": {"title": "x" * 501}}).status_code == 400
    clash = emulator.post(PATHS, json={"slug": "onboarding", "path": {"title": "Again"}})
    assert clash.status_code == 400 and list(clash.json()) == ["slug"]
    # Another domain has its own slugs.
    assert emulator.publish_path("onboarding", "Elsewhere", domain=OTHER_DOMAIN)["slug"] == "onboarding"


def test_published_path_updates_are_partial_and_delete_cascades(emulator: Emulator) -> None:
    published = emulator.publish_path("compliance", "Compliance")
    other = emulator.publish_path("security", "Security")
    path = f"{PATHS}/{published['id']}"

    patched = emulator.patch(path, json={"hidden": True}).json()
    assert patched["hidden"] is True and patched["slug"] == "compliance"
    # The PUT schema requires `slug`, but the text calls PUT partial (skilljar.md D15).
    put = emulator.put(path, json={"unique_progress_per_enrollment": True}, check_request=False).json()
    assert put["hidden"] is True and put["unique_progress_per_enrollment"] is True
    assert (
        emulator.put(path, json={"slug": "compliance-2024"}).json()["path_url"].endswith("/compliance-2024")
    )
    assert list(emulator.patch(path, json={"slug": other["slug"]}).json()) == ["slug"]

    user_id = emulator.member_id("learner@example.com")
    emulator.created(f"{path}/published-path-enrollments", {"user": {"id": user_id}})
    assert emulator.delete(path).status_code == 204
    assert emulator.get(path).status_code == 404
    assert emulator.delete(path).status_code == 404
    state = emulator.state()
    assert state["enrollments"] == []
    assert [row["slug"] for row in state["published_paths"]] == ["security"]


def test_published_path_list(emulator: Emulator) -> None:
    for slug in ("alpha", "beta", "gamma"):
        emulator.publish_path(slug, slug.title())
    listing = emulator.get(PATHS).json()
    assert [item["slug"] for item in listing["results"]] == ["alpha", "beta", "gamma"]
    assert [item["slug"] for item in emulator.get(f"{PATHS}?search=ET").json()["results"]] == ["beta"]
    assert emulator.get(f"{PATHS}?label__name=any").json()["count"] == 0  # paths carry no labels here
    assert emulator.get(f"{PATHS}?page=2").status_code == 404


# --- plans ----------------------------------------------------------------------------------------------


def test_plans_come_from_the_seed_and_are_read_only(emulator: Emulator) -> None:
    seeded = emulator.seed(
        {
            "plans": [
                {"domain": DOMAIN, "name": "All Access", "slug": "all-access"},
                {"domain": DOMAIN, "name": "Pro Tier!", "short_description": "For pros", "hidden": True},
                {"domain": OTHER_DOMAIN, "name": "All Access"},
            ]
        }
    )
    plan_id = seeded["plans"][0]["id"]
    plan = emulator.get(f"/v1/domains/{DOMAIN}/plan/{plan_id}").json()
    assert plan == {
        "id": plan_id,
        "name": "All Access",
        "slug": "all-access",
        "plan_url": f"https://{DOMAIN}/plan/all-access",
        "offer": plan["offer"],
        "hidden": False,
        "short_description": None,
    }
    listing = emulator.get(f"/v1/domains/{DOMAIN}/plan").json()
    assert [item["slug"] for item in listing["results"]] == ["all-access", "pro-tier"]
    assert listing["results"][1]["short_description"] == "For pros"
    assert emulator.get(f"/v1/domains/{OTHER_DOMAIN}/plan/{plan_id}").status_code == 404
    assert emulator.post(f"/v1/domains/{DOMAIN}/plan", json={"name": "New"}).status_code == 405
    assert emulator.delete(f"/v1/domains/{DOMAIN}/plan/{plan_id}").status_code == 405
    assert emulator.get("/v1/domains/nowhere.example.com/plan").status_code == 404
