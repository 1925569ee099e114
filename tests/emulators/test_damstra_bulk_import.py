"""`POST /bulkUserImport` in the Damstra emulator: merge types, the TRAINEE reset of omitted roles,
all-or-nothing writes, welcome e-mails and the configurable size limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions
from tests.emulators.vendors import E831, Damstra, start_damstra


def _item(user_name: str, **fields: Any) -> dict[str, Any]:
    return {
        "userName": user_name,
        "firstName": user_name.capitalize(),
        "lastName": "Imported",
        "emailAddress": f"{user_name}@example.com",
        "phoneNumber": "",
        "mobileNumber": "",
        "employeeNumber": f"E-{user_name}",
        "timeZone": "Australia/Perth",
        **fields,
    }


def _import(
    damstra: Damstra, items: list[dict[str, Any]], merge_type: str | None = None
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"users": items, **({} if merge_type is None else {"mergeType": merge_type})}
    users: list[dict[str, Any]] = damstra.ok("POST", "/bulkUserImport", json=body)
    return users


def test_import_without_merge_creates_users_and_answers_them_in_input_order(damstra: Damstra) -> None:
    group_id = damstra.create_group("Team")
    users = _import(
        damstra,
        [_item("zed", roles=[4]), _item("amy", groups=[{"id": group_id}], sendWelcomeEmail=False)],
        "none",
    )
    assert [user["userName"] for user in users] == ["zed", "amy"]
    assert users[0]["roles"] == [4] and users[1]["roles"] == [6]
    assert users[1]["groups"] == [{"id": group_id}]
    assert users == [damstra.user(user["id"]) for user in users]
    assert damstra.state()["outbox"] == [{"to": "zed@example.com", "userName": "zed"}]
    assert _import(damstra, []) == []


@pytest.mark.parametrize(
    ("merge_type", "key_change"),
    [
        ("email", {"emailAddress": "ADA@example.com", "userName": "ada2"}),
        ("empNo", {"employeeNumber": "E-ada", "userName": "ada2"}),
        ("userName", {"userName": "ADA"}),
    ],
)
def test_each_merge_type_updates_the_matching_user(
    damstra: Damstra, merge_type: str, key_change: dict[str, Any]
) -> None:
    [ada] = _import(damstra, [_item("ada", roles=[3, 5])])
    damstra.ok("POST", f"/user/{ada['id']}/inactivate")
    before = len(damstra.state()["outbox"])

    [merged] = _import(damstra, [{**_item("ada", lastName="Byron"), **key_change}], merge_type)

    assert merged["id"] == ada["id"]
    assert merged["lastName"] == "Byron"
    assert merged["roles"] == [6], "omitted roles reset to TRAINEE"
    assert merged["clientStatusId"] == 57, "a merge does not re-activate"
    assert len(damstra.state()["outbox"]) == before, "no welcome e-mail for a merge"
    assert len(damstra.users(activeValue="all")) == 2


def test_a_merge_changes_only_the_fields_sent(damstra: Damstra) -> None:
    group_id = damstra.create_group("Team")
    [ada] = _import(damstra, [_item("ada", phoneNumber="0811", groups=[{"id": group_id}])])
    [merged] = _import(damstra, [{"userName": "ada", "lastName": "Byron", "roles": [4]}], "userName")
    assert merged["id"] == ada["id"]
    assert (merged["firstName"], merged["phoneNumber"], merged["lastName"]) == ("Ada", "0811", "Byron")
    assert merged["roles"] == [4] and merged["groups"] == [{"id": group_id}]
    [cleared] = _import(damstra, [{"userName": "ada", "groups": []}], "userName")
    assert cleared["groups"] == [] and cleared["roles"] == [6]


def test_items_apply_in_order_and_no_match_creates(damstra: Damstra) -> None:
    users = _import(damstra, [_item("ada"), _item("ada", lastName="Second"), _item("bob")], "userName")
    assert users[0]["id"] == users[1]["id"] and users[0]["lastName"] == "Second", (
        "answers show the final state"
    )
    assert users[2]["userName"] == "bob"
    [by_missing_key] = _import(damstra, [{**_item("cy"), "employeeNumber": ""}], "empNo")
    assert by_missing_key["userName"] == "cy"


def test_an_ambiguous_merge_answers_409(damstra: Damstra) -> None:
    _import(
        damstra,
        [_item("ada", emailAddress="shared@example.com"), _item("bob", emailAddress="Shared@example.com")],
    )
    response = damstra.post(
        "/bulkUserImport",
        json={"users": [_item("cy", emailAddress="shared@example.com")], "mergeType": "email"},
    )
    assert response.status_code == 409
    assert response.json()["error"] == "Ambiguous merge"
    assert len(damstra.users()) == 3


@pytest.mark.parametrize(
    ("items", "merge_type", "status"),
    [
        ([_item("ok"), _item("OK")], "none", 409),
        ([_item("ok"), {"userName": "bad", "firstName": "No"}], "none", 400),
        ([_item("ok"), _item("bad", roles=[2])], "none", 400),
        ([_item("ok"), _item("bad", roles=[7])], "none", 403),
        ([_item("ok"), _item("bad", groups=[{"id": 12345}])], "none", 404),
        ([_item("ok")], "employeeNumber", 400),
        ([_item("ok"), "not an object"], "none", 400),
    ],
)
def test_any_failing_item_rejects_the_whole_import(
    damstra: Damstra, items: list[Any], merge_type: str, status: int
) -> None:
    response = damstra.post("/bulkUserImport", json={"users": items, "mergeType": merge_type})
    assert response.status_code == status, response.text
    assert len(damstra.users(activeValue="all")) == 1
    assert damstra.state()["outbox"] == []


def test_failures_name_the_item(damstra: Damstra) -> None:
    response = damstra.post("/bulkUserImport", json={"users": [_item("ok"), _item("ok")]})
    assert response.status_code == 409
    assert response.json() == {
        "error": "User already exists",
        "message": "users[1]: userName ok is already in use",
    }
    assert damstra.post("/bulkUserImport", json={"mergeType": "none"}).status_code == 400


def test_a_merge_into_the_owner_without_roles_is_forbidden(damstra: Damstra) -> None:
    response = damstra.post(
        "/bulkUserImport", json={"users": [{"userName": "owner", "lastName": "X"}], "mergeType": "userName"}
    )
    assert (response.status_code, response.json()["internalCode"]) == (403, E831["internalCode"])
    [owner] = _import(damstra, [{"userName": "owner", "lastName": "X", "roles": [3, 7]}], "userName")
    assert owner["lastName"] == "X" and owner["roles"] == [3, 7]


def test_the_import_size_limit_is_configurable(tmp_path: Path) -> None:
    emulator = start_damstra(tmp_path / "state.sqlite3", options=DamstraEmulatorOptions(bulk_import_limit=2))
    try:
        assert (
            emulator.post("/bulkUserImport", json={"users": [_item("a"), _item("b"), _item("c")]}).status_code
            == 400
        )
        assert len(_import(emulator, [_item("a"), _item("b")])) == 2
    finally:
        emulator.stop()
