"""Users in the Damstra emulator: search filters, create, the full-body update, activation, the
welcome-e-mail outbox, userName uniqueness and the OWNER's protection."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.emulators.vendors import E831, F1, F2, Damstra, page_ids

ADA = {
    "userName": "ada.l",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "emailAddress": "Ada@Example.com",
    "phoneNumber": "0811112222",
    "mobileNumber": "0412 345 678",
    "employeeNumber": "E123",
    "roles": [5, 3, 5],
    "timeZone": "Australia/Sydney",
    "password": "s3cret",
    "sendWelcomeEmail": True,
}


def test_creating_a_user_answers_the_id_and_f2_dates_and_stores_every_field(damstra: Damstra) -> None:
    group_id = damstra.create_group("Team")
    created = damstra.ok("POST", "/user", json={**ADA, "groups": [{"id": group_id}], "groupsSupervised": []})
    assert set(created) == {"id", "createdDate", "modifiedDate"}
    assert re.fullmatch(F2, created["createdDate"]) and re.fullmatch(F2, created["modifiedDate"])

    user = damstra.user(created["id"])
    assert {key: user[key] for key in ("userName", "emailAddress", "mobileNumber", "employeeNumber")} == {
        "userName": "ada.l",
        "emailAddress": "Ada@Example.com",
        "mobileNumber": "0412 345 678",
        "employeeNumber": "E123",
    }
    assert user["roles"] == [3, 5] and user["timeZone"] == "Australia/Sydney"
    assert user["groups"] == [{"id": group_id}] and user["groupsSupervised"] == []
    assert (user["clientStatusId"], user["active"], user["lastLoggedInDate"]) == (56, True, None)
    assert re.fullmatch(F1, user["createdDate"]) and re.fullmatch(F1, user["modifiedDate"])
    assert "password" not in user and "s3cret" not in str(damstra.state())


def test_create_defaults_trainee_organisation_time_zone_and_a_generated_user_name(damstra: Damstra) -> None:
    body = {"firstName": "John", "lastName": "Smith-Jones", "emailAddress": "js@example.com"}
    first = damstra.user(damstra.ok("POST", "/user", json=body)["id"])
    second = damstra.user(damstra.ok("POST", "/user", json={**body, "roles": []})["id"])
    assert (first["userName"], second["userName"]) == ("johnsmithjones", "johnsmithjones2")
    assert first["roles"] == [6] and second["roles"] == [6]
    assert first["timeZone"] == "Australia/Perth"
    assert (first["phoneNumber"], first["mobileNumber"], first["employeeNumber"]) == ("", "", "")


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"firstName": None}, 400),
        ({"lastName": ""}, 400),
        ({"emailAddress": "not-an-address"}, 400),
        ({"roles": [1]}, 400),
        ({"roles": [6, 9]}, 400),
        ({"roles": ["6"]}, 400),
        ({"roles": 6}, 400),
        ({"timeZone": "Perth"}, 400),
        ({"sendWelcomeEmail": "no"}, 400),
        ({"groups": [1]}, 400),
        ({"groups": [{"id": 99}]}, 404),
        ({"roles": [6, 7]}, 403),
    ],
)
def test_create_refuses_bad_fields_and_writes_nothing(
    damstra: Damstra, change: dict[str, Any], status: int
) -> None:
    body = {key: value for key, value in {**ADA, **change}.items() if value is not None}
    response = damstra.post("/user", json=body)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json() == E831
    elif status == 404:
        assert response.json()["internalCode"] == 842
    else:
        assert response.json()["internalCode"] == 400
    assert len(damstra.users(activeValue="all")) == 1
    assert damstra.state()["outbox"] == []


def test_welcome_emails_go_to_the_outbox_unless_turned_off(damstra: Damstra) -> None:
    damstra.ok("POST", "/user", json={k: v for k, v in ADA.items() if k != "sendWelcomeEmail"})
    damstra.create_user("quiet", sendWelcomeEmail=False)
    damstra.create_user("loud", sendWelcomeEmail=True, emailAddress="loud@example.org")
    assert damstra.state()["outbox"] == [
        {"to": "Ada@Example.com", "userName": "ada.l"},
        {"to": "loud@example.org", "userName": "loud"},
    ]


def test_user_names_are_unique_ignoring_case_even_against_inactive_users(damstra: Damstra) -> None:
    first = damstra.create_user("jsmith")
    damstra.ok("POST", f"/user/{first}/inactivate")
    response = damstra.post("/user", json={**ADA, "userName": "JSmith"})
    assert response.status_code == 409
    assert response.json() == {"error": "User already exists", "message": "userName JSmith is already in use"}

    other = damstra.create_user("other")
    assert (
        damstra.post(f"/user/{other}", json=damstra.update_body(other, userName="JSMITH")).status_code == 409
    )
    # Changing the case of one's own userName is no collision.
    renamed = damstra.ok("POST", f"/user/{first}", json=damstra.update_body(first, userName="JSmith"))
    assert renamed["userName"] == "JSmith"


def test_search_filters_combine_with_and(damstra: Damstra) -> None:
    ada = damstra.create_user("ada", firstName="Ada", lastName="Byron", employeeNumber="E1", roles=[3])
    grace = damstra.create_user("ghopper", firstName="Grace", lastName="Hopper", employeeNumber="e1")
    alan = damstra.create_user("alan", firstName="Alan", lastName="Turing", emailAddress="Alan@Example.com")
    assert page_ids(damstra.get("/user", params={"q": "HOP"})) == [grace]
    assert page_ids(damstra.get("/user", params={"q": "a"})) == [damstra.owner()["id"], ada, grace, alan]
    assert page_ids(damstra.get("/user", params={"emailAddress": "alan@example.COM"})) == [alan]
    assert page_ids(damstra.get("/user", params={"emailAddress": "alan@example"})) == []
    assert page_ids(damstra.get("/user", params={"empId": "E1"})) == [ada]
    assert page_ids(damstra.get("/user", params={"roleId": 6})) == [grace, alan]
    assert page_ids(damstra.get("/user", params={"roleId": 6, "q": "turing"})) == [alan]
    assert page_ids(damstra.get("/user", params={"q": "", "empId": ""}))[1:] == [ada, grace, alan]
    assert damstra.get("/user", params={"roleId": "admin"}).status_code == 400


def test_active_value_selects_by_status(damstra: Damstra) -> None:
    owner_id = damstra.owner()["id"]
    active = damstra.create_user("active")
    gone = damstra.create_user("gone")
    damstra.ok("POST", f"/user/{gone}/inactivate")
    assert page_ids(damstra.get("/user")) == [owner_id, active]
    assert page_ids(damstra.get("/user", params={"activeValue": "active"})) == [owner_id, active]
    assert page_ids(damstra.get("/user", params={"activeValue": "inactive"})) == [gone]
    assert page_ids(damstra.get("/user", params={"activeValue": "all"})) == [owner_id, active, gone]
    assert damstra.get("/user", params={"activeValue": "ALL"}).status_code == 400
    user = damstra.user(gone)
    assert (user["clientStatusId"], user["active"]) == (57, False)


def test_an_unknown_user_answers_404(damstra: Damstra) -> None:
    expected = {
        "message": "User with id 42 not found",
        "reason": "User not found",
        "internalCode": 404,
        "error": "Not found",
        "statusCode": 404,
    }
    for method, path in (("GET", "/user/42"), ("POST", "/user/42/activate"), ("POST", "/user/42/inactivate")):
        response = damstra.call(method, path)
        assert (response.status_code, response.json()) == (404, expected)
    response = damstra.post("/user/42", json={})
    assert response.status_code == 404


def test_update_needs_the_full_body(damstra: Damstra) -> None:
    user_id = damstra.create_user("ada")
    body = damstra.update_body(user_id)
    for name in ("id", "phoneNumber", "mobileNumber", "employeeNumber", "roles", "timeZone"):
        partial = {key: value for key, value in body.items() if key != name}
        response = damstra.post(f"/user/{user_id}", json=partial)
        assert response.status_code == 400 and name in response.json()["message"], name
    response = damstra.post(f"/user/{user_id}", json={"firstName": "Only"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Missing required field(s): id, lastName, emailAddress, phoneNumber, mobileNumber, employeeNumber, "
        "roles, timeZone"
    )
    assert damstra.post(f"/user/{user_id}", json={**body, "id": user_id + 1}).status_code == 400
    assert damstra.post(f"/user/{user_id}", json={**body, "id": str(user_id)}).status_code == 400
    assert damstra.user(user_id)["firstName"] == "Ada"


def test_update_answers_the_user_and_moves_modified_date_only_on_a_change(damstra: Damstra) -> None:
    damstra.set_clock("2024-01-01T00:00:00Z")
    user_id = damstra.create_user("ada")
    damstra.set_clock("2024-02-01T00:00:00Z")
    same = damstra.ok("POST", f"/user/{user_id}", json=damstra.update_body(user_id))
    assert same["modifiedDate"] == "2024-01-01T00:00:00+0000"
    changed = damstra.ok(
        "POST",
        f"/user/{user_id}",
        json=damstra.update_body(
            user_id, lastName="Byron", employeeNumber=None, roles=[4, 6], clientStatusId=57
        ),
    )
    assert changed["modifiedDate"] == "2024-02-01T00:00:00+0000"
    assert changed["createdDate"] == "2024-01-01T00:00:00+0000"
    assert (changed["lastName"], changed["employeeNumber"], changed["roles"]) == ("Byron", "", [4, 6])
    assert changed["active"] is True, "clientStatusId is not updatable"
    assert changed == damstra.user(user_id)
    assert damstra.state()["outbox"] == [], "update never sends a welcome e-mail"


def test_update_replaces_group_sets_when_sent_and_keeps_them_when_absent(damstra: Damstra) -> None:
    team, crew, ops = (damstra.create_group(name) for name in ("Team", "Crew", "Ops"))
    user_id = damstra.create_user("ada", groups=[{"id": team}, {"id": crew}], groupsSupervised=[{"id": ops}])

    kept = damstra.ok("POST", f"/user/{user_id}", json=damstra.update_body(user_id, firstName="Ad"))
    assert kept["groups"] == [{"id": team}, {"id": crew}] and kept["groupsSupervised"] == [{"id": ops}]

    replaced = damstra.ok(
        "POST",
        f"/user/{user_id}",
        json=damstra.update_body(user_id, groups=[{"id": ops}], groupsSupervised=[]),
    )
    assert replaced["groups"] == [{"id": ops}] and replaced["groupsSupervised"] == []
    assert page_ids(damstra.get(f"/group/{team}/member")) == []
    assert page_ids(damstra.get(f"/group/{ops}/member")) == [user_id]
    assert (
        damstra.post(f"/user/{user_id}", json=damstra.update_body(user_id, groups=[{"id": 7}])).status_code
        == 404
    )
    assert damstra.user(user_id)["groups"] == [{"id": ops}]


def test_activation_is_idempotent_and_answers_no_content(damstra: Damstra) -> None:
    user_id = damstra.create_user("ada")
    for _ in range(2):
        response = damstra.post(f"/user/{user_id}/inactivate")
        assert (response.status_code, response.content) == (200, b"")
        assert damstra.user(user_id)["clientStatusId"] == 57
    for _ in range(2):
        assert damstra.post(f"/user/{user_id}/activate").status_code == 200
        assert damstra.user(user_id)["clientStatusId"] == 56


def test_the_owner_cannot_be_inactivated_nor_lose_or_share_the_owner_role(damstra: Damstra) -> None:
    owner = damstra.owner()
    assert (owner["userName"], owner["roles"]) == ("owner", [3, 7])
    response = damstra.post(f"/user/{owner['id']}/inactivate")
    assert (response.status_code, response.json()) == (403, E831)
    response = damstra.post(f"/user/{owner['id']}", json=damstra.update_body(owner["id"], roles=[3]))
    assert (response.status_code, response.json()) == (403, E831)
    renamed = damstra.ok(
        "POST", f"/user/{owner['id']}", json=damstra.update_body(owner["id"], firstName="Boss")
    )
    assert renamed["roles"] == [3, 7]

    user_id = damstra.create_user("ada")
    response = damstra.post(f"/user/{user_id}", json=damstra.update_body(user_id, roles=[6, 7]))
    assert (response.status_code, response.json()) == (403, E831)
    assert damstra.owner()["clientStatusId"] == 56 and damstra.user(user_id)["roles"] == [6]
