"""The Skilljar emulator's whole state: seeding it (over HTTP and in-process), resetting and dumping it,
and opening a state file an older emulator wrote."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.skilljar.emulator import SkilljarStore, seed
from lmsform.providers.skilljar.emulator.errors import ValidationFailed
from lmsform.providers.skilljar.emulator.people_store import PEOPLE_TABLES
from tests.emulators.vendors import DOMAIN, OTHER_DOMAIN, Emulator, StartEmulator

DOCUMENT: dict[str, Any] = {
    "users": [
        {"email": "ada@example.com", "domains": [{"name": DOMAIN}]},
        {"email": "bob@example.com", "domains": [{"name": DOMAIN, "active": False}]},
    ],
    "groups": [{"name": "Team", "members": ["ada@example.com"]}],
    "courses": [
        {"title": "Intro Course", "labels": ["lmsform"], "published_on": [DOMAIN, OTHER_DOMAIN]},
        {"title": "Draft Course", "short_description": "Not yet published"},
    ],
    "paths": [{"domain": DOMAIN, "slug": "onboarding", "title": "Onboarding"}],
    "plans": [{"domain": DOMAIN, "name": "All Access", "slug": "all-access"}],
    "enrollments": [
        {
            "domain": DOMAIN,
            "course": "Intro Course",
            "email": "ada@example.com",
            "enrolled_at": "2030-01-01T00:00:00Z",
        },
        {"domain": DOMAIN, "path": "onboarding", "email": "bob@example.com", "active": False},
        {
            "domain": DOMAIN,
            "plan": "All Access",
            "email": "ada@example.com",
            "expires_at": "2031-01-01T00:00:00Z",
        },
    ],
    "webhooks": [{"target_url": "https://hooks.example.com/a", "event_type": "COURSE_ENROLLMENT"}],
}


def test_seeding_a_whole_account_answers_the_ids(emulator: Emulator) -> None:
    seeded = emulator.seed(DOCUMENT)

    intro, draft = seeded["courses"]
    assert intro["title"] == "Intro Course" and set(intro["published"]) == {DOMAIN, OTHER_DOMAIN}
    assert draft["published"] == {}
    course = emulator.get(f"/v1/courses/{intro['id']}").json()
    assert course["labels"] == ["lmsform"]
    assert emulator.get(f"/v1/courses/{draft['id']}").json()["short_description"] == "Not yet published"

    publication_id = intro["published"][DOMAIN]
    course_enrollments = f"/v1/domains/{DOMAIN}/published-courses/{publication_id}/enrollments"
    [enrollment] = emulator.get(course_enrollments).json()["results"]
    assert enrollment["id"] == seeded["enrollments"][0]["id"]
    assert enrollment["enrolled_at"] == "2030-01-01T00:00:00.000000Z"

    [path] = seeded["paths"]
    path_enrollments = f"/v1/domains/{DOMAIN}/published-paths/{path['id']}/published-path-enrollments"
    assert emulator.get(path_enrollments).json()["results"][0]["active"] is False
    [plan] = seeded["plans"]
    plan_enrollments = f"/v1/domains/{DOMAIN}/plan/{plan['id']}/plan-enrollments"
    assert emulator.get(plan_enrollments).json()["results"][0]["expires_at"] == "2031-01-01T00:00:00.000000Z"
    [hook] = seeded["webhooks"]
    assert emulator.get(f"/v1/webhooks/{hook['id']}").json()["event_type"] == "COURSE_ENROLLMENT"

    # Seeding again reuses what has a natural key: only the undated enrollments and the webhook are new.
    again = emulator.seed(DOCUMENT)
    assert again["courses"] == seeded["courses"] and again["paths"] == seeded["paths"]
    assert again["enrollments"][0] == seeded["enrollments"][0]
    state = emulator.state()
    assert (len(state["courses"]), len(state["published_courses"]), len(state["plans"])) == (2, 2, 1)
    assert (len(state["enrollments"]), len(state["webhooks"])) == (5, 2)


@pytest.mark.parametrize(
    ("document", "section"),
    [
        ({"courses": [{"title": "C", "published_on": ["nowhere.example.com"]}]}, "courses"),
        ({"paths": [{"domain": DOMAIN, "slug": "Bad Slug", "title": "P"}]}, "paths"),
        (
            {"enrollments": [{"domain": DOMAIN, "course": "Missing", "email": "ada@example.com"}]},
            "enrollments",
        ),
        ({"enrollments": [{"domain": DOMAIN, "email": "ada@example.com"}]}, "enrollments"),
        ({"webhooks": [{"event_type": "COURSE_ENROLLMENT"}]}, "webhooks"),
    ],
)
def test_a_bad_seed_document_writes_nothing(
    emulator: Emulator, document: dict[str, Any], section: str
) -> None:
    # A course and a plan come first, so a failure later in the document must roll them back.
    response = emulator.post(
        "/_emulator/seed",
        json={"courses": [{"title": "Rolled back"}], "plans": [{"domain": DOMAIN, "name": "P"}], **document},
    )
    assert response.status_code == 400
    assert list(response.json()) == [section]
    state = emulator.state()
    assert state["courses"] == [] and state["plans"] == [] and state["webhooks"] == []


def test_enrollments_are_seeded_only_for_members(emulator: Emulator) -> None:
    document = {
        "users": [{"email": "outsider@example.com", "domains": [{"name": OTHER_DOMAIN}]}],
        "plans": [{"domain": DOMAIN, "name": "All Access"}],
        "enrollments": [{"domain": DOMAIN, "plan": "All Access", "email": "outsider@example.com"}],
    }
    response = emulator.post("/_emulator/seed", json=document)
    assert response.json() == {"enrollments": [f"outsider@example.com is not a member of {DOMAIN}."]}


def test_seed_runs_in_process_on_a_store(tmp_path: Path) -> None:
    store = SkilljarStore(tmp_path / "state.sqlite3")
    try:
        store.ensure_domain(DOMAIN)
        seeded = seed(store, {"courses": [{"title": "In Process", "published_on": [DOMAIN]}]})
        assert store.get_published_course(DOMAIN, seeded["courses"][0]["published"][DOMAIN]) is not None
        with pytest.raises(ValidationFailed) as failed:
            seed(store, {"plans": [{"domain": "nowhere.example.com", "name": "P"}]})
        assert failed.value.body == {"plans": ["Unknown domain 'nowhere.example.com'."]}
        assert store.dump()["plans"] == []
    finally:
        store.close()


def test_reset_empties_every_table_but_the_domains(emulator: Emulator) -> None:
    emulator.seed(DOCUMENT)
    user_id = emulator.state()["users"][0]["id"]
    emulator.put(
        f"/v1/domains/{DOMAIN}/users/{user_id}/manager-access",
        json={"group_name": "Team", "course_access_level": "ALL", "path_access_level": "ALL"},
    )
    assert requests.post(f"{emulator.url}/_emulator/reset", timeout=10).status_code == 204
    state = emulator.state()
    assert {key for key, rows in state.items() if rows} == {"domains"}
    assert set(state) >= {
        "courses",
        "labels",
        "course_labels",
        "published_courses",
        "published_paths",
        "plans",
        "enrollments",
        "webhooks",
        "manager_access",
    }


def test_a_state_file_from_schema_version_1_opens_and_gains_the_new_tables(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    old = sqlite3.connect(tmp_path / "state.sqlite3")
    for statement in PEOPLE_TABLES:  # the people tables are exactly what version 1 had
        old.execute(statement)
    old.execute("INSERT INTO domains (id, name) VALUES ('d0000000000001', ?)", (DOMAIN,))
    old.execute(
        "INSERT INTO users (id, email, email_key, signed_up_at) "
        "VALUES ('u0000000000001', 'old@example.com', 'old@example.com', '2020-01-01T00:00:00.000000Z')"
    )
    old.execute(
        "INSERT INTO domain_users (domain_name, user_id, active, enrolled_at) "
        "VALUES (?, 'u0000000000001', 1, '2020-01-01T00:00:00.000000Z')",
        (DOMAIN,),
    )
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()

    emulator = start_emulator()
    assert (
        emulator.get(f"/v1/domains/{DOMAIN}/users/u0000000000001").json()["user"]["email"]
        == "old@example.com"
    )
    course = emulator.create_course("New Course")
    publication = emulator.publish(course["id"])
    emulator.created(
        f"/v1/domains/{DOMAIN}/published-courses/{publication['id']}/enrollments",
        {"user": {"id": "u0000000000001"}},
    )
    assert len(emulator.state()["enrollments"]) == 1
    emulator.server.stop()
    with sqlite3.connect(tmp_path / "state.sqlite3") as reopened:
        assert reopened.execute("PRAGMA user_version").fetchone()[0] == 2
