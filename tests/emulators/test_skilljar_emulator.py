"""The Skilljar emulator over real HTTP: transport, people, bulk-create and persistence. Every 2xx
exchange is checked against Skilljar's own spec. Courses, publications, enrollments, webhooks,
manager access and whole-state hooks have their own modules."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions
from tests.emulators.vendors import (
    DOMAIN,
    OBJECT_ID,
    OTHER_DOMAIN,
    TIMESTAMP,
    Emulator,
    StartEmulator,
    collect_pages,
    seed_members,
)
from tests.emulators.vendors import SKILLJAR_KEY as KEY

# --- authentication ------------------------------------------------------------------------------------


def test_credentials_are_checked_before_anything_else(emulator: Emulator) -> None:
    missing = requests.get(f"{emulator.url}/v1/ping", timeout=10)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Basic realm="api"'
    assert missing.json() == {"detail": "Authentication credentials were not provided."}

    wrong = requests.get(f"{emulator.url}/v1/groups", auth=("not-the-key", ""), timeout=10)
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Invalid username/password."}

    bearer = requests.get(f"{emulator.url}/v1/ping", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert bearer.status_code == 401

    # The key goes in the username; a key sent as the password is not a key.
    as_password = requests.get(f"{emulator.url}/v1/ping", auth=("", KEY), timeout=10)
    assert as_password.status_code == 401

    ping = emulator.get("/v1/ping")
    assert ping.status_code == 200
    assert ping.content == b""

    # Any password is ignored.
    assert emulator.get("/v1/ping", auth=(KEY, "whatever")).status_code == 200


def test_any_non_empty_key_is_accepted_when_no_key_is_configured(flipped: Emulator) -> None:
    assert flipped.get("/v1/domains").status_code == 200
    assert flipped.get("/v1/ping", auth=("other", "")).status_code == 200
    assert requests.get(f"{flipped.url}/v1/ping", auth=("", ""), timeout=10).status_code == 401
    assert requests.get(f"{flipped.url}/v1/ping", timeout=10).status_code == 401


# --- routing -------------------------------------------------------------------------------------------


def test_only_the_spec_paths_are_served(emulator: Emulator) -> None:
    trailing = emulator.get("/v1/groups/")
    assert trailing.status_code == 404
    assert trailing.json() == {"detail": "Not found."}
    assert trailing.headers["Content-Type"] == "application/json"
    assert emulator.get(f"/v1/domains/{DOMAIN}/users/").status_code == 404
    assert emulator.get("/v1/plans").json() == {"detail": "Not found."}
    # Ids outside the spec's path pattern do not match a route.
    assert emulator.get("/v1/groups/ABC").status_code == 404

    not_allowed = emulator.delete("/v1/users")
    assert not_allowed.status_code == 405
    assert not_allowed.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert emulator.get(f"/v1/domains/{DOMAIN}/users/bulk-create").status_code == 405


def test_method_check_comes_after_authentication(emulator: Emulator) -> None:
    response = requests.delete(f"{emulator.url}/v1/users", timeout=10)
    assert response.status_code == 401


def test_trailing_slash_is_served_when_the_switch_is_on(flipped: Emulator) -> None:
    response = flipped.session.get(f"{flipped.url}/v1/domains/", timeout=10)
    flipped.checked += 1  # not a spec path, by design; the same body is checked without the slash below
    assert response.status_code == 200
    assert response.json() == flipped.get("/v1/domains").json()
    assert response.json()["next"] is None


# --- domains ------------------------------------------------------------------------------------------


def test_domains_are_the_configured_ones(emulator: Emulator) -> None:
    listing = emulator.get("/v1/domains").json()
    assert listing["count"] == 2
    assert [domain["name"] for domain in listing["results"]] == [DOMAIN, OTHER_DOMAIN]
    assert listing["next"] is None and listing["previous"] is None

    domain = emulator.get(f"/v1/domains/{OTHER_DOMAIN}").json()
    assert domain["name"] == OTHER_DOMAIN
    assert OBJECT_ID.fullmatch(domain["id"])
    assert domain["access"] == "PUBLIC" and domain["private"] is False
    assert emulator.get("/v1/domains/unknown.example.com").status_code == 404
    assert emulator.get("/v1/domains/unknown.example.com/users").status_code == 404
    assert emulator.get(f"/v1/domains/{DOMAIN.upper()}").status_code == 404


# --- domain users -------------------------------------------------------------------------------------


def test_creating_a_domain_user_with_a_new_email_creates_the_user(emulator: Emulator) -> None:
    created = emulator.add_domain_user(
        "ada@example.com", first_name="Ada", last_name="Lovelace", expires_at="2030-01-01T10:00:00+02:00"
    )
    user = created["user"]
    assert OBJECT_ID.fullmatch(user["id"])
    assert user == {
        "id": user["id"],
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
    }
    assert created["active"] is True
    assert created["marketing_optin"] is None
    assert TIMESTAMP.fullmatch(created["enrolled_at"])
    assert created["expires_at"] == "2030-01-01T08:00:00.000000Z"
    assert created["signup_fields"] == []
    assert "login_token" not in created

    detail = emulator.get(f"/v1/domains/{DOMAIN}/users/{user['id']}").json()
    assert detail["user"] == user
    assert detail["enrolled_at"] == created["enrolled_at"]
    overview = emulator.get(f"/v1/users/{user['id']}").json()
    assert overview["user"] == {k: user[k] for k in ("id", "email", "first_name", "last_name")}
    assert overview["inactive_at"] is None


def test_an_existing_user_joins_another_domain_with_the_body_but_keeps_the_names(emulator: Emulator) -> None:
    first = emulator.add_domain_user("grace@example.com", first_name="Grace", last_name="Hopper")

    response = emulator.post(
        "/v1/domains/beta.skilljar.com/users",
        json={
            "user": {"email": "GRACE@Example.com", "first_name": "Other", "last_name": "Name"},
            "active": False,
            "marketing_optin": True,
        },
    )
    assert response.status_code == 201
    second = response.json()
    assert second["user"] == first["user"]
    assert second["active"] is False
    assert second["marketing_optin"] is True
    # The first membership is untouched.
    assert emulator.get(f"/v1/domains/{DOMAIN}/users/{first['user']['id']}").json()["active"] is True
    assert len(emulator.state()["users"]) == 1


def test_creating_an_existing_member_returns_the_membership_unchanged(emulator: Emulator) -> None:
    created = emulator.add_domain_user("linus@example.com", first_name="Linus")
    user_id = created["user"]["id"]
    assert emulator.patch(f"/v1/domains/{DOMAIN}/users/{user_id}", json={"active": False}).status_code == 200

    again = emulator.post(
        f"/v1/domains/{DOMAIN}/users",
        json={"user": {"email": "Linus@EXAMPLE.com", "first_name": "Changed"}, "active": True},
    )
    assert again.status_code == 201
    body = again.json()
    assert body["user"]["id"] == user_id
    assert body["user"]["email"] == "linus@example.com"
    assert body["user"]["first_name"] == "Linus"
    assert body["active"] is False
    assert body["enrolled_at"] == created["enrolled_at"]
    assert emulator.get(f"/v1/domains/{DOMAIN}/users").json()["count"] == 1


def test_invalid_domain_user_bodies_are_rejected_without_writes(emulator: Emulator) -> None:
    path = f"/v1/domains/{DOMAIN}/users"
    assert emulator.post(path, json={"active": True}).json() == {"user": ["This field is required."]}
    assert emulator.post(path, json={"user": {"email": "not-an-email"}}).json() == {
        "user": {"email": ["Enter a valid email address."]}
    }
    too_long = emulator.post(path, json={"user": {"email": "a@example.com", "first_name": "x" * 51}})
    assert too_long.status_code == 400
    assert too_long.json() == {"user": {"first_name": ["Ensure this field has no more than 50 characters."]}}
    bad_date = emulator.post(path, json={"user": {"email": "a@example.com"}, "expires_at": "soon"})
    assert bad_date.status_code == 400 and list(bad_date.json()) == ["expires_at"]
    assert emulator.post(path, json=["not", "an", "object"]).status_code == 400
    assert (
        emulator.post(
            "/v1/domains/nowhere.example.com/users", json={"user": {"email": "a@example.com"}}
        ).status_code
        == 404
    )
    assert emulator.state()["users"] == []


def test_domain_user_list_filters(emulator: Emulator) -> None:
    emulator.add_domain_user("Alice@Example.com", first_name="Alice", last_name="Smith")
    emulator.add_domain_user("bob@example.com", first_name="Bob", last_name="Smith", active=False)
    emulator.add_domain_user("carol@example.com", first_name="carol", last_name="Jones")
    path = f"/v1/domains/{DOMAIN}/users"

    def emails(query: str) -> list[str]:
        return [item["user"]["email"] for item in emulator.get(f"{path}?{query}").json()["results"]]

    assert emails("user__email=alice@EXAMPLE.com") == ["Alice@Example.com"]
    assert emails("user__first_name=Alice") == ["Alice@Example.com"]
    assert emails("user__first_name=alice") == []
    assert emails("user__last_name=Smith") == ["Alice@Example.com", "bob@example.com"]
    for true_value in ("true", "True", "1"):
        assert emails(f"active={true_value}") == ["Alice@Example.com", "carol@example.com"]
    for false_value in ("false", "False", "0"):
        assert emails(f"active={false_value}") == ["bob@example.com"]
    assert emails("user__last_name=Smith&active=false") == ["bob@example.com"]
    assert emulator.get(f"{path}?active=maybe").status_code == 400

    listed = emulator.get(path).json()["results"][0]
    assert "signup_fields" not in listed
    assert emulator.get(f"{path}?include_signup_field_data=true").json()["results"][0]["signup_fields"] == []


def test_put_and_patch_of_a_domain_user_are_partial(emulator: Emulator) -> None:
    user_id = emulator.add_domain_user("dan@example.com", expires_at="2031-05-01T00:00:00Z")["user"]["id"]
    path = f"/v1/domains/{DOMAIN}/users/{user_id}"

    patched = emulator.patch(path, json={"active": False})
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    assert patched.json()["expires_at"] == "2031-05-01T00:00:00.000000Z"
    assert "access_code" not in patched.json()

    put = emulator.put(path, json={"expires_at": None})
    assert put.status_code == 200
    assert put.json()["active"] is False
    assert put.json()["expires_at"] is None
    # The spec means `access_code: null` to be valid (the text says null clears the code), but it
    # writes it as a nullable `allOf`, which openapi-core reads as not nullable.
    assert emulator.patch(path, json={"access_code": None}, check_request=False).status_code == 200

    assert emulator.patch(path, json={"access_code": {"id": "abc"}}).status_code == 400
    assert emulator.patch(path, json={"active": "sometimes"}).json() == {
        "active": ["Must be a valid boolean."]
    }
    assert emulator.get(path).json()["active"] is False
    assert emulator.patch(f"/v1/domains/{DOMAIN}/users/unknown1", json={"active": True}).status_code == 404


def test_a_user_who_is_not_on_the_domain_is_not_found_there(emulator: Emulator) -> None:
    user_id = emulator.add_domain_user("erin@example.com")["user"]["id"]
    assert emulator.get(f"/v1/domains/beta.skilljar.com/users/{user_id}").status_code == 404
    assert emulator.get("/v1/domains/beta.skilljar.com/users").json()["count"] == 0


# --- bulk create --------------------------------------------------------------------------------------


def test_bulk_create_applies_each_row_as_a_single_create(emulator: Emulator) -> None:
    existing = emulator.add_domain_user("kept@example.com", first_name="Kept", active=False)
    response = emulator.post(
        f"/v1/domains/{DOMAIN}/users/bulk-create",
        json={
            "users": [
                {"email": "new1@example.com", "first_name": "New", "last_name": "One"},
                {"email": "new2@example.com", "active": False, "expires_at": "2030-01-01T00:00:00Z"},
                {"email": "KEPT@example.com", "first_name": "Renamed", "active": True},
            ]
        },
        check_response=False,  # the spec declares 200 only; the emulator answers 202 as the text says
    )
    assert response.status_code == 202
    assert response.json() == {}

    members = {
        item["user"]["email"]: item for item in emulator.get(f"/v1/domains/{DOMAIN}/users").json()["results"]
    }
    assert list(members) == ["kept@example.com", "new1@example.com", "new2@example.com"]
    assert members["new1@example.com"]["user"]["full_name"] == "New One"
    assert members["new2@example.com"]["active"] is False
    assert members["new2@example.com"]["expires_at"] == "2030-01-01T00:00:00.000000Z"
    assert members["kept@example.com"] == {k: v for k, v in existing.items() if k != "signup_fields"}


def test_bulk_create_is_all_or_nothing(emulator: Emulator) -> None:
    path = f"/v1/domains/{DOMAIN}/users/bulk-create"
    rejected = emulator.post(path, json={"users": [{"email": "good@example.com"}, {"email": "bad"}]})
    assert rejected.status_code == 400
    assert rejected.json() == {"users": [{}, {"email": ["Enter a valid email address."]}]}

    too_many = [{"email": f"u{index}@example.com"} for index in range(1001)]
    assert emulator.post(path, json={"users": too_many}).status_code == 400
    assert emulator.post(path, json={"users": []}).status_code == 400
    assert emulator.post(path, json={}).json() == {"users": ["This field is required."]}
    assert emulator.state()["users"] == []

    exactly_enough = [{"email": f"u{index}@example.com"} for index in range(1000)]
    assert emulator.post(path, json={"users": exactly_enough}, check_response=False).status_code == 202
    assert emulator.get(f"/v1/domains/{DOMAIN}/users?page_size=1").json()["count"] == 1000


def test_bulk_create_can_answer_200_with_the_first_row(flipped: Emulator) -> None:
    response = flipped.post(
        f"/v1/domains/{DOMAIN}/users/bulk-create",
        json={"users": [{"email": "first@example.com"}, {"email": "second@example.com"}]},
    )
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "first@example.com"


def _wait_for_members(emulator: Emulator, count: int, *, timeout_s: float = 5.0) -> float:
    """Poll the member list until it holds `count` rows; answers how long that took."""
    started = time.monotonic()
    while emulator.get(f"/v1/domains/{DOMAIN}/users").json()["count"] != count:
        assert time.monotonic() - started < timeout_s, f"still not {count} members"
        time.sleep(0.02)
    return time.monotonic() - started


def test_delayed_bulk_create_answers_at_once_and_adds_the_rows_later(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(SkilljarEmulatorOptions(bulk_create_delay_s=0.3))
    path = f"/v1/domains/{DOMAIN}/users/bulk-create"
    rows = [{"email": f"late{index}@example.com"} for index in range(3)]

    rejected = emulator.post(path, json={"users": [*rows, {"email": "bad"}]})
    assert rejected.status_code == 400  # still validated before answering, all or nothing

    accepted = emulator.post(path, json={"users": rows}, check_response=False)  # the spec declares 200
    assert accepted.status_code == 202
    assert accepted.json() == {}
    assert emulator.get(f"/v1/domains/{DOMAIN}/users").json()["count"] == 0
    assert _wait_for_members(emulator, 3) > 0.1
    members = emulator.get(f"/v1/domains/{DOMAIN}/users").json()["results"]
    assert [item["user"]["email"] for item in members] == [row["email"] for row in rows]


def test_reset_drops_a_bulk_create_that_has_not_run_yet(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(SkilljarEmulatorOptions(bulk_create_delay_s=0.2))
    response = emulator.post(
        f"/v1/domains/{DOMAIN}/users/bulk-create",
        json={"users": [{"email": "never@example.com"}]},
        check_response=False,
    )
    assert response.status_code == 202
    emulator.fresh()
    time.sleep(0.4)
    assert emulator.get(f"/v1/domains/{DOMAIN}/users").json()["count"] == 0


@pytest.mark.parametrize(
    "options",
    [
        SkilljarEmulatorOptions(bulk_create_delay_s=-1),
        SkilljarEmulatorOptions(bulk_create_delay_s=float("nan")),
        SkilljarEmulatorOptions(bulk_create_delay_s=1, bulk_create_status=200),
    ],
)
def test_impossible_bulk_create_options_are_refused(start_emulator: StartEmulator, options: Any) -> None:
    with pytest.raises(ValueError, match="bulk_create"):
        start_emulator(options)


# --- pagination ---------------------------------------------------------------------------------------


def test_following_next_visits_every_row_once_in_creation_order(emulator: Emulator) -> None:
    seed_members(emulator, 23, active=True)
    seed_members(emulator, 3, prefix="inactive", active=False)
    pages = collect_pages(emulator, f"{emulator.url}/v1/domains/{DOMAIN}/users?active=true&page_size=10")

    assert [page["count"] for page in pages] == [23, 23, 23]
    assert [len(page["results"]) for page in pages] == [10, 10, 3]
    emails = [item["user"]["email"] for page in pages for item in page["results"]]
    assert emails == [f"user{index:05d}@example.com" for index in range(23)]
    # Links keep the other parameters and point back one page at a time.
    assert "active=true" in pages[0]["next"] and "page_size=10" in pages[0]["next"]
    assert pages[0]["next"].startswith(f"{emulator.url}/v1/domains/{DOMAIN}/users?")
    assert pages[0]["previous"] is None
    assert pages[2]["previous"] == f"{emulator.url}/v1/domains/{DOMAIN}/users?active=true&page=2&page_size=10"
    assert pages[1]["previous"] == f"{emulator.url}/v1/domains/{DOMAIN}/users?active=true&page_size=10"


def test_pages_outside_the_collection_are_not_found(emulator: Emulator) -> None:
    empty = emulator.get("/v1/groups").json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}
    assert emulator.get("/v1/groups?page=2").json() == {"detail": "Invalid page."}

    for index in range(3):
        emulator.create_group(f"group {index}")
    assert len(emulator.get("/v1/groups?page=2&page_size=2").json()["results"]) == 1
    for page in ("3", "0", "-1", "last-ish"):
        response = emulator.get(f"/v1/groups?page={page}&page_size=2")
        assert response.status_code == 404
        assert response.json() == {"detail": "Invalid page."}
    # A nonsensical page size falls back to the default.
    assert len(emulator.get("/v1/groups?page_size=0").json()["results"]) == 3


def test_page_size_is_clamped_to_the_default_unless_switched_off(
    emulator: Emulator, flipped: Emulator
) -> None:
    seed_members(emulator, 1001)
    clamped = emulator.get(f"/v1/domains/{DOMAIN}/users?page_size=5000").json()
    assert len(clamped["results"]) == 1000
    assert clamped["next"] is not None
    assert len(emulator.get(clamped["next"]).json()["results"]) == 1
    assert len(emulator.get(f"/v1/domains/{DOMAIN}/users?page_size=7").json()["results"]) == 7

    seed_members(flipped, 1001)
    honoured = flipped.get(f"/v1/domains/{DOMAIN}/users?page_size=5000").json()
    assert len(honoured["results"]) == 1001
    assert honoured["next"] is None


# --- global users -------------------------------------------------------------------------------------


def test_patching_a_global_user_changes_what_every_list_shows(emulator: Emulator) -> None:
    user_id = emulator.add_domain_user("old@example.com", first_name="Old", last_name="Name")["user"]["id"]
    emulator.add_domain_user("taken@example.com")

    patched = emulator.patch(f"/v1/users/{user_id}", json={"email": "New@Example.com", "first_name": "New"})
    assert patched.status_code == 200
    assert patched.json() == {
        "id": user_id,
        "email": "New@Example.com",
        "first_name": "New",
        "last_name": "Name",
        "inactive_at": None,
    }
    member = emulator.get(f"/v1/domains/{DOMAIN}/users/{user_id}").json()
    assert member["user"]["full_name"] == "New Name"
    assert emulator.get(f"/v1/domains/{DOMAIN}/users?user__email=new@example.com").json()["count"] == 1

    # PUT is partial too.
    assert emulator.put(f"/v1/users/{user_id}", json={"last_name": "Surname"}).json()["first_name"] == "New"

    clash = emulator.patch(f"/v1/users/{user_id}", json={"email": "TAKEN@example.com"})
    assert clash.status_code == 400
    assert list(clash.json()) == ["email"]
    assert emulator.get(f"/v1/users/{user_id}").json()["user"]["email"] == "New@Example.com"
    # Changing only the case of one's own address is not a clash.
    assert emulator.patch(f"/v1/users/{user_id}", json={"email": "new@example.com"}).status_code == 200
    assert emulator.get("/v1/users/unknown1").status_code == 404


def test_global_user_list_shapes_and_filters(emulator: Emulator, flipped: Emulator) -> None:
    seed = {
        "users": [
            {"email": "Active@example.com", "first_name": "Ann", "domains": [{"name": DOMAIN}]},
            {"email": "gone@example.com", "inactive": True, "domains": [{"name": DOMAIN}]},
            {"email": "nowhere@example.com"},  # on no domain, so not a registered user
        ]
    }
    emulator.seed(seed)
    cursor_page = emulator.get("/v1/users", check_response=False)
    emulator.assert_items_valid(cursor_page)
    body = cursor_page.json()
    assert set(body) == {"next", "previous", "results"}
    assert [item["user"]["email"] for item in body["results"]] == ["Active@example.com", "gone@example.com"]

    numbered = emulator.get("/v1/users?page=1", check_response=False)
    emulator.assert_items_valid(numbered)
    assert numbered.json()["count"] == 2

    def emails(query: str) -> list[str]:
        response = emulator.get(f"/v1/users?{query}", check_response=False)
        emulator.assert_items_valid(response)
        return [item["user"]["email"] for item in response.json()["results"]]

    assert emails("email=active@EXAMPLE.com") == ["Active@example.com"]
    assert emails("first_name=Ann") == ["Active@example.com"]
    assert emails("first_name=ann") == []
    assert emails("is_inactive=true") == ["gone@example.com"]
    assert emails("is_inactive=False") == ["Active@example.com"]

    flipped.seed(seed)
    bare = flipped.get("/v1/users")
    assert [item["user"]["email"] for item in bare.json()] == ["Active@example.com", "gone@example.com"]


def test_global_user_cursor_pages_follow_to_the_end(emulator: Emulator) -> None:
    seed_members(emulator, 1002)
    first = emulator.get("/v1/users", check_response=False)
    emulator.assert_items_valid(first)
    first_page = first.json()
    assert len(first_page["results"]) == 1000
    assert first_page["previous"] is None
    assert "cursor=" in first_page["next"]

    second = emulator.get(first_page["next"], check_response=False)
    emulator.assert_items_valid(second)
    second_page = second.json()
    assert [item["user"]["email"] for item in second_page["results"]] == [
        "user01000@example.com",
        "user01001@example.com",
    ]
    assert second_page["next"] is None
    assert second_page["previous"] == f"{emulator.url}/v1/users"
    assert emulator.get("/v1/users?cursor=%%%").status_code == 404
    assert emulator.get("/v1/users?page=3").status_code == 404


# --- groups -------------------------------------------------------------------------------------------


def test_group_create_read_and_uniqueness(emulator: Emulator) -> None:
    group = emulator.create_group("Partners", discount_percent=10, rule_email_domains=["Partner.example.com"])
    assert OBJECT_ID.fullmatch(group["id"])
    assert group == {
        "id": group["id"],
        "name": "Partners",
        "user_count": 0,
        "discount_percent": 10,
        "group_category_id": None,
        "sign_up_field_rule": {"enforce": False, "require_match_all": False, "options": []},
        "rule_email_domains": ["partner.example.com"],
    }
    assert emulator.get(f"/v1/groups/{group['id']}").json() == group

    duplicate = emulator.post("/v1/groups", json={"name": "Partners"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"name": ["group with this name already exists."]}
    assert emulator.post("/v1/groups", json={"name": "partners"}).status_code == 201  # case-sensitive

    assert emulator.post("/v1/groups", json={"name": "x" * 101}).status_code == 400
    assert emulator.post("/v1/groups", json={"name": "Big", "discount_percent": 101}).json() == {
        "discount_percent": ["Ensure this value is less than or equal to 100."]
    }
    assert emulator.post("/v1/groups", json={"name": ""}).json() == {"name": ["This field may not be blank."]}
    assert emulator.post("/v1/groups", json={}).json() == {"name": ["This field is required."]}
    assert [g["name"] for g in emulator.get("/v1/groups?name=Partners").json()["results"]] == ["Partners"]
    assert emulator.get("/v1/groups").json()["count"] == 2


def test_group_put_and_patch_are_partial(emulator: Emulator) -> None:
    group = emulator.create_group("Staff", discount_percent=5, rule_email_domains=["staff.example.com"])
    other = emulator.create_group("Other")
    path = f"/v1/groups/{group['id']}"

    patched = emulator.patch(
        path,
        json={
            "discount_percent": None,
            "sign_up_field_rule": {"enforce": True, "options": [{"id": "opt1"}]},
            "rule_email_domains": ["ignored.example.com"],
        },
    )
    assert patched.status_code == 200
    body = patched.json()
    assert body["name"] == "Staff"
    assert body["discount_percent"] is None
    assert body["sign_up_field_rule"] == {
        "enforce": True,
        "require_match_all": False,
        "options": [{"id": "opt1"}],
    }
    assert body["rule_email_domains"] == ["staff.example.com"]

    renamed = emulator.put(path, json={"name": "Employees"})
    assert renamed.json()["name"] == "Employees"
    assert renamed.json()["sign_up_field_rule"]["enforce"] is True
    assert emulator.put(path, json={"name": "Employees"}).status_code == 200  # its own name is no clash
    assert emulator.patch(path, json={"name": other["name"]}).json() == {
        "name": ["group with this name already exists."]
    }
    assert emulator.patch(path, json={"sign_up_field_rule": {"enforce": True}}).json() == {
        "sign_up_field_rule": {"options": ["This field is required."]}
    }
    assert emulator.get(path).json()["name"] == "Employees"


def test_deleting_a_group_removes_its_memberships_but_not_its_users(emulator: Emulator) -> None:
    user_id = emulator.add_domain_user("member@example.com")["user"]["id"]
    doomed = emulator.create_group("Doomed")
    kept = emulator.create_group("Kept")
    for group in (doomed, kept):
        assert (
            emulator.post(f"/v1/groups/{group['id']}/users", json={"user": {"id": user_id}}).status_code
            == 201
        )

    assert emulator.delete(f"/v1/groups/{doomed['id']}").status_code == 204
    assert emulator.get(f"/v1/groups/{doomed['id']}").status_code == 404
    assert emulator.get(f"/v1/groups/{doomed['id']}/users").status_code == 404
    assert emulator.delete(f"/v1/groups/{doomed['id']}").status_code == 404
    state = emulator.state()
    assert [row["group_id"] for row in state["group_users"]] == [kept["id"]]
    assert emulator.get(f"/v1/domains/{DOMAIN}/users/{user_id}").status_code == 200
    assert emulator.get(f"/v1/groups/{kept['id']}").json()["user_count"] == 1


# --- group membership ---------------------------------------------------------------------------------


def test_group_membership_add_read_list_and_remove(emulator: Emulator) -> None:
    alice = emulator.add_domain_user("alice@example.com", first_name="Alice")["user"]
    bob = emulator.add_domain_user("bob@example.com")["user"]
    group = emulator.create_group("Team")
    members_path = f"/v1/groups/{group['id']}/users"

    added = emulator.post(members_path, json={"user": {"id": alice["id"]}})
    assert added.status_code == 201
    assert added.json()["user"] == {
        "id": alice["id"],
        "email": "alice@example.com",
        "first_name": "Alice",
        "last_name": "",
    }
    assert TIMESTAMP.fullmatch(added.json()["created_at"])
    emulator.post(members_path, json={"user": {"id": bob["id"]}})

    duplicate = emulator.post(members_path, json={"user": {"id": alice["id"]}})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"non_field_errors": ["User is already a member of this group."]}
    unknown = emulator.post(members_path, json={"user": {"id": "nosuchuser123"}})
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["user"]
    assert emulator.post(members_path, json={"user": {}}).json() == {
        "user": {"id": ["This field is required."]}
    }

    listing = emulator.get(members_path).json()
    assert listing["count"] == 2
    assert [item["user"]["id"] for item in listing["results"]] == [alice["id"], bob["id"]]
    assert emulator.get(f"/v1/groups/{group['id']}").json()["user_count"] == 2
    assert emulator.get(f"{members_path}/{alice['id']}").json() == added.json()

    assert emulator.delete(f"{members_path}/{alice['id']}").status_code == 204
    assert emulator.get(f"{members_path}/{alice['id']}").status_code == 404
    assert emulator.delete(f"{members_path}/{alice['id']}").status_code == 404
    assert emulator.get(members_path).json()["count"] == 1
    # Only the membership went away.
    assert emulator.get(f"/v1/users/{alice['id']}").status_code == 200
    assert emulator.post("/v1/groups/nosuchgroup1/users", json={"user": {"id": bob["id"]}}).status_code == 404


# --- bodies -------------------------------------------------------------------------------------------


def test_request_body_encodings(emulator: Emulator) -> None:
    malformed = emulator.post("/v1/groups", data="{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json()["detail"].startswith("JSON parse error - ")

    unsupported = emulator.post("/v1/groups", data="name=x", headers={"Content-Type": "text/plain"})
    assert unsupported.status_code == 415

    form = emulator.post("/v1/groups", data={"name": "From a form", "discount_percent": "15"})
    assert form.status_code == 201
    assert form.json()["discount_percent"] == 15
    multipart = emulator.post("/v1/groups", files={"name": (None, "From multipart")})
    assert multipart.status_code == 201
    assert multipart.json()["name"] == "From multipart"
    assert emulator.get("/v1/groups").json()["count"] == 2


# --- persistence, concurrency and hooks ---------------------------------------------------------------


def test_state_survives_a_restart_on_the_same_file(start_emulator: StartEmulator) -> None:
    first = start_emulator()
    user = first.add_domain_user("persist@example.com", first_name="Per")["user"]
    group = first.create_group("Persistent")
    first.post(f"/v1/groups/{group['id']}/users", json={"user": {"id": user["id"]}})
    before = first.state()
    first.server.stop()

    second = start_emulator()
    assert second.state() == before
    assert second.get(f"/v1/domains/{DOMAIN}/users/{user['id']}").json()["user"] == user
    assert second.get(f"/v1/groups/{group['id']}/users").json()["count"] == 1
    assert second.get("/v1/domains").json()["count"] == 1  # the configured domain is not duplicated


def test_parallel_requests_are_all_applied(emulator: Emulator) -> None:
    def create(index: int) -> int:
        response = requests.post(
            f"{emulator.url}/v1/domains/{DOMAIN}/users",
            json={"user": {"email": f"parallel{index}@example.com"}},
            auth=(KEY, ""),
            timeout=10,
        )
        emulator.assert_request_valid(response)
        emulator.assert_response_valid(response)
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(24)))
    assert statuses == [201] * 24
    emulator.checked += len(statuses)
    assert emulator.get(f"/v1/domains/{DOMAIN}/users").json()["count"] == 24


def test_seed_reset_and_state_hooks(emulator: Emulator) -> None:
    seeded = emulator.seed(
        {
            "users": [
                {
                    "email": "s1@example.com",
                    "first_name": "S",
                    "domains": [{"name": DOMAIN, "active": False}],
                },
                {"email": "s2@example.com", "domains": [{"name": DOMAIN}]},
            ],
            "groups": [{"name": "Seeded", "members": ["S1@example.com", "s2@example.com"]}],
        }
    )
    assert [user["email"] for user in seeded["users"]] == ["s1@example.com", "s2@example.com"]
    group_id = seeded["groups"][0]["id"]
    assert emulator.get(f"/v1/groups/{group_id}").json()["user_count"] == 2
    assert emulator.get(f"/v1/domains/{DOMAIN}/users?active=false").json()["count"] == 1

    state = emulator.state()
    assert [row["email"] for row in state["users"]] == ["s1@example.com", "s2@example.com"]
    assert state["domain_users"][0]["active"] is False

    unknown_member = emulator.post(
        "/_emulator/seed", json={"groups": [{"name": "G", "members": ["x@example.com"]}]}
    )
    assert unknown_member.status_code == 400
    assert emulator.get("/v1/groups?name=G").json()["count"] == 0

    assert requests.post(f"{emulator.url}/_emulator/reset", timeout=10).status_code == 204
    state = emulator.state()
    assert state["users"] == [] and state["groups"] == [] and state["group_users"] == []
    assert [row["name"] for row in state["domains"]] == [DOMAIN, OTHER_DOMAIN]


def test_signup_hook_applies_group_rules(emulator: Emulator) -> None:
    by_domain = emulator.create_group("By domain", rule_email_domains=["corp.example.com"])
    by_field = emulator.create_group(
        "By field", sign_up_field_rule={"enforce": True, "options": [{"id": "opt-a"}]}
    )

    signup = emulator.post(
        "/_emulator/signup",
        json={"domain": DOMAIN, "email": "new@CORP.example.com", "signup_field_option_ids": ["opt-a"]},
    )
    assert signup.status_code == 201
    assert signup.json()["groups_added"] == [by_domain["id"], by_field["id"]]
    user_id = signup.json()["user"]["id"]
    assert emulator.get(f"/v1/domains/{DOMAIN}/users/{user_id}").status_code == 200

    again = emulator.post("/_emulator/signup", json={"domain": DOMAIN, "email": "new@corp.example.com"})
    assert again.json()["groups_removed"] == [by_field["id"]]
    assert emulator.get(f"/v1/groups/{by_field['id']}/users/{user_id}").status_code == 404
    assert emulator.get(f"/v1/groups/{by_domain['id']}/users/{user_id}").status_code == 200
