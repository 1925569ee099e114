"""The Versal emulator's state: it survives a restart on the same file, the reset hook keeps the org
and its key, seeding in-process and over HTTP, the state dump, the options, and the date switch."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lmsform.providers.versal.emulator import VersalEmulatorOptions, create_app, emulator_store, seed
from lmsform.providers.versal.emulator.errors import ApiError
from tests.emulators.vendors import DATETIME_MS, ORG, OTHER_KEY, OTHER_ORG, StartVersal, Versal, assert_error
from tests.emulators.vendors import VERSAL_KEY as KEY
from tests.emulators.vendors import VERSAL_WORLD as WORLD
from tests.emulators.vendors import seed_versal_world as seed_world


def _reads(emulator: Versal, ids: dict[str, Any]) -> dict[str, Any]:
    paths = [
        f"/orgs/{ORG}/members",
        "/courses",
        f"/courses/{ids['intro']}?depth=full",
        f"/courses/{ids['intro']}/userdata",
        f"/courses/{ids['intro']}/lessons/{ids['quiz']}/gadgets/{ids['quiz_gadget']}/userdata",
    ]
    return {path: emulator.ok("GET", path) for path in paths}


def test_state_survives_a_restart_on_the_same_file(start: StartVersal, tmp_path: Path) -> None:
    first = start()
    ids = seed_world(first)
    first.add_user("new@example.com", ["admin"], firstname="New")
    first.ok(
        "PATCH", f"/courses/{ids['draft']}/users/{ids['bob']}", json={"tracked": True, "roles": ["author"]}
    )
    session = first.session_for("bob@example.com")
    before, dump = _reads(first, ids), first.state()
    first.stop()

    second = start()
    assert _reads(second, ids) == before
    assert {k: v for k, v in second.state().items() if k != "sessions"} == {
        k: v for k, v in dump.items() if k != "sessions"
    }
    assert second.ok("GET", "/user", sid=session)["id"] == ids["bob"], "sessions survive too"
    [zed] = second.ok("GET", f"/orgs/{OTHER_ORG}/members", sid=OTHER_KEY)
    assert zed["user"]["id"] == ids["zed"], "seeded orgs and their keys survive too"
    newer = second.user_id("newer@example.com")
    assert int(newer) > max(int(user["id"]) for user in dump["users"]), "ids keep counting"
    again = second.seed({"courses": [{"title": "Later", "lessons": [{"title": "L"}]}]})["courses"][0]
    assert int(again["id"]) > int(ids["elsewhere"]) and again["lessons"][0]["id"] not in {
        ids["welcome"],
        ids["quiz"],
    }


def test_reset_empties_everything_but_the_org_and_its_key(versal: Versal) -> None:
    ids = seed_world(versal)
    versal.fault("GET", "/never")
    versal.fresh()
    state = versal.state()
    assert state["primaryOrg"] == {"id": ORG, "name": "Acme Learning"}
    assert [org["id"] for org in state["orgs"]] == [ORG]
    assert all(state[table] == [] for table in state if table not in ("orgs", "primaryOrg"))
    assert versal.ok("GET", "/courses") == [] and versal.members() == []
    assert_error(versal.get("/courses", sid=OTHER_KEY), 401)
    assert int(versal.user_id("after@example.com")) > int(ids["zed"]), "ids keep counting after a reset"
    assert int(versal.seed({"courses": [{"title": "C"}]})["courses"][0]["id"]) > int(ids["elsewhere"])


def test_the_seed_hook_answers_what_it_made(versal: Versal) -> None:
    seeded = versal.seed(WORLD)
    assert seeded["orgs"] == [{"id": 777, "name": "Other Org"}]
    assert [user["email"] for user in seeded["users"]] == [
        "ada@example.com",
        "bob@example.com",
        "cy@example.com",
        "zed@other.example",
    ]
    intro = seeded["courses"][0]
    assert intro["title"] == "Intro to Safety"
    assert [[g["type"] for g in lesson["gadgets"]] for lesson in intro["lessons"]] == [["text"], ["quiz"]]
    again = versal.seed({"users": [{"email": "ADA@example.com", "roles": ["learner"]}]})
    assert again["users"] == [{"id": seeded["users"][0]["id"], "email": "ada@example.com"}]
    assert versal.roles_of()["ada@example.com"] == ["learner"], "a seeded member's roles are replaced"


@pytest.mark.parametrize(
    "document",
    [
        {"users": "nope"},
        {"users": [{"firstname": "No email"}]},
        {"users": [{"email": "x@example.com", "roles": ["boss"]}]},
        {"users": [{"email": "x@example.com", "org": 999}]},
        {"orgs": [{"id": ORG, "api_key": "k"}]},
        {"orgs": [{"id": 5}]},
        {"courses": [{"title": "C", "authors": ["nobody@example.com"]}]},
        {"courses": [{"title": "C", "catalogs": ["published"]}]},
        {"courses": [{"title": "C", "createdAt": "yesterday"}]},
        {"courses": [{"title": "C", "lessons": [{"gadgets": []}]}]},
        {"courses": [{"title": "C", "lessons": [{"title": "L", "gadgets": [{"config": {}}]}]}]},
        {"courses": [{"title": "C", "progress": {"x@example.com": {"currentLesson": 0}}}]},
    ],
)
def test_a_bad_seed_document_writes_nothing(versal: Versal, document: dict[str, Any]) -> None:
    versal.seed({"users": [{"email": "x@example.com"}]})
    before = versal.state()
    assert_error(
        versal.post("/_emulator/seed", json={"users": [{"email": "y@example.com"}], **document}), 400
    )
    assert versal.state() == before


def test_seeding_in_process_matches_the_hook(tmp_path: Path) -> None:
    app = create_app(tmp_path / "state.sqlite3", api_key=KEY, options=VersalEmulatorOptions())
    store = emulator_store(app)
    try:
        made = seed(store, {"users": [{"email": "a@example.com"}], "courses": [{"title": "Intro"}]})
        assert made == {
            "orgs": [],
            "users": [{"id": "1001", "email": "a@example.com"}],
            "courses": [{"id": "501", "title": "Intro", "lessons": []}],
        }
        with pytest.raises(ApiError) as raised:
            seed(store, {"courses": [{"authors": ["b@example.com"]}]})
        assert raised.value.status == 400
        assert [course["title"] for course in store.dump()["courses"]] == ["Intro"]
    finally:
        store.close()


def test_the_default_dates_are_iso_datetimes_with_milliseconds(start: StartVersal) -> None:
    emulator = start(options=VersalEmulatorOptions(), check_responses=False)
    ids = seed_world(emulator)
    [intro] = emulator.ok("GET", "/courses", params={"catalog": "labs"})
    assert intro["createdAt"] == "2024-01-02T03:04:05.678Z"
    detail = emulator.ok("GET", f"/courses/{ids['draft']}")
    assert re.fullmatch(DATETIME_MS, detail["createdAt"])
    published = emulator.ok("GET", f"/courses/{ids['intro']}")
    assert published["lastPublished"] == "2024-01-02T03:04:05.678Z"
    cy = next(row for row in emulator.tracked(ids["intro"]) if row["id"] == ids["cy"])
    assert (cy["startDate"], cy["lastActivity"]) == ("2024-02-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z")


def test_the_org_id_and_name_come_from_the_options(start: StartVersal) -> None:
    emulator = start(options=VersalEmulatorOptions(org_id=31, org_name="Beta", date_fields="date"))
    emulator.ok("POST", "/orgs/31/users", 201, json={"roles": [], "user": {"email": "a@example.com"}})
    assert [m["user"]["email"] for m in emulator.ok("GET", "/orgs/31/members")] == ["a@example.com"]
    assert_error(emulator.get(f"/orgs/{ORG}/members"), 404, "Org not found")
    assert emulator.state()["primaryOrg"] == {"id": 31, "name": "Beta"}


@pytest.mark.parametrize(
    "options",
    [
        {"org_id": 0},
        {"org_name": " "},
        {"per_page_cap": 0},
        {"pagination_headers": "neither"},
        {"date_fields": "epoch"},
        {"session_days": 0},
    ],
)
def test_options_the_emulator_cannot_serve_are_refused(tmp_path: Path, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        create_app(tmp_path / "state.sqlite3", options=VersalEmulatorOptions(**options))
