"""The Versal emulator's users: org membership and roles, profiles, sessions, and removal with its
cascade over the org's courses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulators.vendors import ORG, OTHER_KEY, OTHER_ORG, Versal, assert_error
from tests.emulators.vendors import seed_versal_world as seed_world

# --- POST /orgs/{orgId}/users ---


def test_adding_a_user_answers_201_with_the_roles_and_the_full_user(versal: Versal) -> None:
    created = versal.add_user(
        "jane.doe@example.com",
        ["instructor"],
        firstname="Jane",
        lastname="Doe",
        longDesc="A paragraph",
        shortDesc="Brief",
    )
    assert created == {
        "roles": ["instructor"],
        "user": {
            "id": created["user"]["id"],
            "username": "jane.doe",
            "email": "jane.doe@example.com",
            "firstname": "Jane",
            "lastname": "Doe",
            "fn": "Jane Doe",
            "displayname": "Jane Doe",
            "longDesc": "A paragraph",
            "shortDesc": "Brief",
        },
    }
    assert created["user"]["id"].isdigit()
    assert versal.members() == [
        {
            "user": {
                "id": created["user"]["id"],
                "firstname": "Jane",
                "lastname": "Doe",
                "email": "jane.doe@example.com",
            },
            "roles": ["instructor"],
        }
    ]


def test_user_ids_are_increasing_decimal_strings_and_usernames_unique(versal: Versal) -> None:
    first = versal.add_user("sam@example.com")["user"]
    second = versal.add_user("sam@other.example")["user"]
    third = versal.add_user("sam@third.example", fullname="Samuel")["user"]
    assert int(first["id"]) < int(second["id"]) < int(third["id"])
    assert [first["username"], second["username"], third["username"]] == ["sam", "sam2", "sam3"]
    assert (first["displayname"], third["displayname"], third["fn"]) == ("sam", "Samuel", "Samuel")


def test_member_means_no_role_and_roles_are_deduplicated_in_precedence_order(versal: Versal) -> None:
    assert versal.add_user("m@example.com", ["member"])["roles"] == []
    assert versal.add_user("none@example.com", [])["roles"] == []
    mixed = versal.add_user("mix@example.com", ["learner", "admin", "member", "learner"])
    assert mixed["roles"] == ["admin", "learner"]
    assert versal.roles_of() == {
        "m@example.com": [],
        "none@example.com": [],
        "mix@example.com": ["admin", "learner"],
    }


def test_an_email_already_in_the_org_answers_400_ignoring_case(versal: Versal) -> None:
    versal.add_user("dup@example.com", firstname="First")
    for email in ("dup@example.com", "DUP@Example.com"):
        response = versal.post(f"/orgs/{ORG}/users", json={"roles": ["admin"], "user": {"email": email}})
        assert_error(response, 400, "User already exists in organization")
    assert versal.roles_of() == {"dup@example.com": ["learner"]}


def test_an_email_known_elsewhere_adds_the_same_user_without_renaming_it(versal: Versal) -> None:
    ids = seed_world(versal)
    zed = {"roles": ["instructor"], "user": {"email": "zed@other.example", "firstname": "Changed"}}
    added = versal.ok("POST", f"/orgs/{ORG}/users", 201, json=zed)
    assert added["user"]["id"] == ids["zed"] and "firstname" not in added["user"]
    assert added["roles"] == ["instructor"]
    # Removed earlier: re-adding brings back the same account.
    versal.ok("DELETE", f"/orgs/{ORG}/users/{ids['bob']}")
    back = versal.ok(
        "POST", f"/orgs/{ORG}/users", 201, json={"roles": [], "user": {"email": "bob@example.com"}}
    )
    assert (back["user"]["id"], back["user"]["firstname"], back["roles"]) == (ids["bob"], "Bob", [])
    [zed_there] = versal.ok("GET", f"/orgs/{OTHER_ORG}/members", sid=OTHER_KEY)
    assert zed_there["roles"] == ["learner"], "membership elsewhere is untouched"


@pytest.mark.parametrize(
    "body",
    [
        {"user": {"email": "x@example.com"}},
        {"roles": ["learner"]},
        {"roles": ["learner"], "user": {}},
        {"roles": ["learner"], "user": {"email": "not-an-email"}},
        {"roles": "learner", "user": {"email": "x@example.com"}},
        {"roles": ["owner"], "user": {"email": "x@example.com"}},
        {"roles": ["learner"], "user": "x@example.com"},
        {"roles": ["learner"], "user": {"email": "x@example.com", "firstname": 7}},
    ],
)
def test_adding_a_user_needs_roles_and_a_valid_email(versal: Versal, body: dict[str, Any]) -> None:
    assert_error(versal.post(f"/orgs/{ORG}/users", json=body, malformed=True), 400)
    assert versal.members() == []


def test_an_unknown_role_is_named_in_the_message(versal: Versal) -> None:
    body = {"roles": ["owner"], "user": {"email": "x@example.com"}}
    assert_error(versal.post(f"/orgs/{ORG}/users", json=body, malformed=True), 400, "Invalid role: owner")


# --- PUT /users/{userId} ---


def test_the_profile_update_is_a_patch_answering_201_with_the_full_user(versal: Versal) -> None:
    user_id = versal.user_id("pat@example.com", firstname="Pat", lastname="Smith", shortDesc="Old")
    updated = versal.ok("PUT", f"/users/{user_id}", 201, json={"lastname": "Jones", "longDesc": "New"})
    assert updated == {
        "id": user_id,
        "username": "pat",
        "email": "pat@example.com",
        "firstname": "Pat",
        "lastname": "Jones",
        "fn": "Pat Jones",
        "displayname": "Pat Jones",
        "longDesc": "New",
        "shortDesc": "Old",
    }
    assert versal.ok("PUT", f"/users/{user_id}", 201, json={}) == updated, "{} changes nothing"
    cleared = versal.ok("PUT", f"/users/{user_id}", 201, json={"shortDesc": "", "fullname": "P. J."})
    assert "shortDesc" not in cleared and cleared["displayname"] == "P. J."


def test_the_profile_update_ignores_the_email(versal: Versal) -> None:
    user_id = versal.user_id("keep@example.com")
    body = {"email": "changed@example.com", "firstname": "K"}
    updated = versal.ok("PUT", f"/users/{user_id}", 201, json=body, malformed=True)
    assert (updated["email"], updated["firstname"]) == ("keep@example.com", "K")


def test_the_profile_update_by_session_only_for_oneself(versal: Versal) -> None:
    ids = seed_world(versal)
    bob = versal.session_for("bob@example.com")
    assert (
        versal.ok("PUT", f"/users/{ids['bob']}", 201, sid=bob, json={"firstname": "Bobby"})["firstname"]
        == "Bobby"
    )
    assert_error(versal.put(f"/users/{ids['ada']}", sid=bob, json={"firstname": "X"}), 403)
    assert_error(versal.put(f"/users/{ids['zed']}", json={"firstname": "X"}), 404, "User not found")
    assert_error(versal.put("/users/99999", json={}), 404)
    assert_error(versal.put(f"/users/{ids['bob']}", json={"firstname": None}, malformed=True), 400)


# --- PUT /orgs/{orgId}/users/{userId} ---


def test_setting_org_roles_replaces_the_set_and_answers_201(versal: Versal) -> None:
    user_id = versal.user_id("r@example.com", ["learner"], firstname="R")
    changed = versal.ok("PUT", f"/orgs/{ORG}/users/{user_id}", 201, json={"roles": ["admin"]})
    assert changed["roles"] == ["admin"] and changed["user"]["id"] == user_id
    assert changed["user"]["firstname"] == "R"
    assert versal.roles_of() == {"r@example.com": ["admin"]}
    both = versal.ok("PUT", f"/orgs/{ORG}/users/{user_id}", 201, json={"roles": ["learner", "instructor"]})
    assert both["roles"] == ["instructor", "learner"]
    assert versal.ok("PUT", f"/orgs/{ORG}/users/{user_id}", 201, json={"roles": []})["roles"] == []
    assert versal.roles_of() == {"r@example.com": []}, "an empty set leaves a role-less member"


def test_setting_org_roles_refuses_member_unknown_roles_and_non_members(versal: Versal) -> None:
    ids = seed_world(versal)
    path = f"/orgs/{ORG}/users/{ids['bob']}"
    assert_error(versal.put(path, json={"roles": ["member"]}, malformed=True), 400, "Invalid role: member")
    assert_error(versal.put(path, json={"roles": ["boss"]}, malformed=True), 400, "Invalid role: boss")
    assert_error(versal.put(path, json={}), 400)
    assert_error(versal.put(path, json={"roles": "admin"}, malformed=True), 400)
    assert_error(
        versal.put(f"/orgs/{ORG}/users/{ids['zed']}", json={"roles": []}), 404, "Org or User not found"
    )
    assert_error(versal.put(f"/orgs/{ORG}/users/99999", json={"roles": []}), 404)
    assert versal.roles_of()["bob@example.com"] == ["learner"]


# --- sessions ---


def test_a_session_is_made_by_email_or_user_id_for_members_of_the_keys_org(versal: Versal) -> None:
    ids = seed_world(versal)
    by_email = versal.ok("POST", "/sessions", 201, json={"email": "BOB@example.com"})
    by_id = versal.ok("POST", "/sessions", 201, json={"userId": ids["bob"]})
    assert by_email["user"]["id"] == by_id["user"]["id"] == ids["bob"]
    assert by_email["sessionId"] != by_id["sessionId"]
    assert versal.ok("GET", "/user", sid=by_id["sessionId"])["email"] == "bob@example.com"
    numeric = versal.ok("POST", "/sessions", 201, json={"userId": int(ids["ada"])}, malformed=True)
    assert numeric["user"]["email"] == "ada@example.com"
    for body in ({"email": "zed@other.example"}, {"userId": ids["zed"]}, {"email": "nobody@example.com"}):
        assert_error(versal.post("/sessions", json=body), 404, "User not found")
    for body in ({}, {"userId": "abc"}, {"email": "no-at-sign"}, {"userId": True}):
        assert_error(versal.post("/sessions", json=body, malformed=True), 400)


# --- DELETE /orgs/{orgId}/users/{userId} and the cascade ---


def _course_footprint(versal: Versal, ids: dict[str, Any], user_key: str) -> dict[str, Any]:
    state = versal.state()
    user_id = int(ids[user_key])
    return {
        table: [row for row in state[table] if row["user_id"] == user_id]
        for table in ("course_roles", "course_learners", "gadget_userdata", "sessions")
    }


def test_removing_a_user_clears_its_roles_tracking_progress_and_sessions_in_the_org(versal: Versal) -> None:
    ids = seed_world(versal)
    elsewhere = versal.seed({"courses": [{"org": OTHER_ORG, "learners": ["zed@other.example"]}]})
    versal.ok(
        "POST",
        f"/orgs/{OTHER_ORG}/users",
        201,
        sid=OTHER_KEY,
        json={"roles": [], "user": {"email": "cy@example.com"}},
    )
    versal.ok(
        "PATCH",
        f"/courses/{elsewhere['courses'][0]['id']}/users/{ids['cy']}",
        sid=OTHER_KEY,
        json={"tracked": True},
    )
    cy_session = versal.session_for("cy@example.com")
    before = _course_footprint(versal, ids, "cy")
    assert all(before.values()), before
    assert [u["email"] for u in versal.ok("GET", f"/courses/{ids['intro']}")["users"]] == ["cy@example.com"]

    assert versal.ok("DELETE", f"/orgs/{ORG}/users/{ids['cy']}") == {}

    after = _course_footprint(versal, ids, "cy")
    assert [row["course_id"] for row in after["course_learners"]] == [int(elsewhere["courses"][0]["id"])]
    assert after["course_roles"] == after["gadget_userdata"] == after["sessions"] == []
    assert "cy@example.com" not in versal.roles_of()
    assert versal.ok("GET", f"/courses/{ids['intro']}")["users"] == []
    assert [row["id"] for row in versal.tracked(ids["intro"])] == [ids["bob"]]
    rows = versal.ok(
        "GET", f"/courses/{ids['intro']}/lessons/{ids['quiz']}/gadgets/{ids['quiz_gadget']}/userdata"
    )
    assert [row["user"]["id"] for row in rows] == [ids["bob"]]
    assert_error(versal.get("/user", sid=cy_session), 401)
    assert any(user["email"] == "cy@example.com" for user in versal.state()["users"]), "the account stays"
    assert_error(versal.delete(f"/orgs/{ORG}/users/{ids['cy']}"), 404, "Org or User not found")
    assert_error(versal.delete(f"/orgs/{ORG}/users/{ids['zed']}"), 404)


# --- POST /orgs/{orgId}/delete_users ---


@pytest.mark.parametrize(
    "users",
    [
        ["{bob}", "{cy}"],
        ["{bob}", "{cy}", "{bob}"],
        "{bob},{cy}",
        " {bob} , {cy} ",
        '["{bob}", "{cy}"]',
        "[{bob}, {cy}]",
    ],
)
def test_batch_removal_accepts_every_documented_form(versal: Versal, users: Any) -> None:
    ids = seed_world(versal)
    if isinstance(users, list):
        users = [item.format(**ids) for item in users]
        malformed = True  # the spec types `users` as a string
    else:
        users, malformed = users.format(**ids), False
    assert versal.ok("POST", f"/orgs/{ORG}/delete_users", json={"users": users}, malformed=malformed) == {}
    assert sorted(versal.roles_of()) == ["ada@example.com"]
    assert versal.tracked(ids["intro"]) == [] and versal.ok("GET", f"/courses/{ids['intro']}")["users"] == []


def test_batch_removal_accepts_integers(versal: Versal) -> None:
    ids = seed_world(versal)
    body = {"users": [int(ids["bob"])]}
    assert versal.ok("POST", f"/orgs/{ORG}/delete_users", json=body, malformed=True) == {}
    assert "bob@example.com" not in versal.roles_of()


def test_batch_removal_is_all_or_nothing(versal: Versal) -> None:
    ids = seed_world(versal)
    before = versal.state()
    for users in (f"{ids['bob']},{ids['zed']}", f"{ids['bob']},99999"):
        assert_error(
            versal.post(f"/orgs/{ORG}/delete_users", json={"users": users}), 404, "Org or User not found"
        )
    assert versal.state() == before


@pytest.mark.parametrize(
    "users", [[], "", " , ", "[]", "abc", "1001,x", "[1001", '{"a": 1}', None, 7, [True], ["-1"]]
)
def test_batch_removal_refuses_an_empty_or_unparseable_list(versal: Versal, users: Any) -> None:
    seed_world(versal)
    before = versal.state()
    assert_error(versal.post(f"/orgs/{ORG}/delete_users", json={"users": users}, malformed=True), 400)
    assert_error(versal.post(f"/orgs/{ORG}/delete_users", json={}), 400)
    assert versal.state() == before


# --- GET /orgs/{orgId}/members ---


def test_members_are_listed_by_id_with_short_records(versal: Versal) -> None:
    ids = seed_world(versal)
    members = versal.members()
    assert [m["user"]["id"] for m in members] == [ids["ada"], ids["bob"], ids["cy"]]
    assert members[2] == {
        "user": {"id": ids["cy"], "fullname": "Cy Young", "email": "cy@example.com"},
        "roles": [],
    }
    assert all(set(m["user"]) <= {"id", "firstname", "lastname", "fullname", "email"} for m in members)
