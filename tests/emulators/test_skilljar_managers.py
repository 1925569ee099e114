"""Student-manager access in the Skilljar emulator: write-only, seen only in the state dump; every 2xx
exchange is checked against Skilljar's spec."""

from __future__ import annotations

from typing import Any

from tests.emulators.vendors import DOMAIN, OTHER_DOMAIN, Emulator

GRANT = {"group_name": "Team", "course_access_level": "SELECTED", "path_access_level": "ALL"}


def _access_path(user_id: str, domain: str = DOMAIN) -> str:
    return f"/v1/domains/{domain}/users/{user_id}/manager-access"


def _dumped(emulator: Emulator) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = emulator.state()["manager_access"]
    return rows


def test_granting_manager_access_answers_the_record_and_the_unknown_ids(emulator: Emulator) -> None:
    user = emulator.add_domain_user("boss@example.com", first_name="Bo")["user"]
    group = emulator.create_group("Team")
    course = emulator.create_course("Managed Course")
    path = emulator.publish_path("managed", "Managed")

    response = emulator.put(
        _access_path(user["id"]),
        json={
            **GRANT,
            "can_create_users": True,
            "course_ids": [course["id"], "nosuchcourse1"],
            "path_ids": [path["path"]["id"], path["id"]],  # a path id, then a published-path id
            "license_ids": ["lic1"],
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "user": {"id": user["id"], "email": "boss@example.com", "first_name": "Bo", "last_name": ""},
        "manager_access": {
            "group_id": group["id"],
            "can_create_users": True,
            "course_access_level": "SELECTED",
            "course_ids": [course["id"]],
            "path_access_level": "ALL",
            "path_ids": [path["path"]["id"]],
            "license_ids": [],
        },
        "invalid_ids": {"course_ids": ["nosuchcourse1"], "path_ids": [path["id"]], "license_ids": ["lic1"]},
    }
    [row] = _dumped(emulator)
    assert row["user_id"] == user["id"] and row["domain_name"] == DOMAIN
    assert row["course_ids"] == [course["id"]] and row["can_create_users"] is True


def test_a_second_put_replaces_the_record(emulator: Emulator) -> None:
    user_id = emulator.member_id("boss@example.com")
    emulator.create_group("Team")
    other = emulator.create_group("Other team")
    course = emulator.create_course("Managed Course")
    path = _access_path(user_id)
    emulator.put(path, json={**GRANT, "can_create_users": True, "course_ids": [course["id"]]})

    second = emulator.put(path, json={**GRANT, "group_name": "Other team"}).json()
    assert second["manager_access"]["group_id"] == other["id"]
    assert second["manager_access"]["can_create_users"] is False
    assert second["manager_access"]["course_ids"] == []
    assert second["invalid_ids"] == {"course_ids": [], "path_ids": [], "license_ids": []}
    assert len(_dumped(emulator)) == 1


def test_manager_access_is_validated(emulator: Emulator) -> None:
    member = emulator.member_id("member@example.com")
    outsider = emulator.member_id("outsider@example.com", domain=OTHER_DOMAIN)
    emulator.create_group("Team")

    assert emulator.put(_access_path(member), json={}).json() == {
        "course_access_level": ["This field is required."],
        "group_name": ["This field is required."],
        "path_access_level": ["This field is required."],
    }
    assert emulator.put(_access_path(member), json={**GRANT, "course_access_level": ""}).status_code == 400
    assert emulator.put(_access_path(member), json={**GRANT, "group_name": "Nobody"}).json() == {
        "group_name": ["No group with this name exists."]
    }
    assert emulator.put(_access_path(outsider), json=GRANT).json() == {
        "user": ["User is not a member of this domain."]
    }
    assert emulator.put(_access_path("nosuchuser12"), json=GRANT).json() == {"user": ["Invalid user id."]}
    assert emulator.put(_access_path(member), json={**GRANT, "course_ids": "abc"}).status_code == 400
    assert emulator.put(_access_path(member, "nowhere.example.com"), json=GRANT).status_code == 404
    assert _dumped(emulator) == []


def test_manager_access_cannot_be_read_and_revoking_it_twice_is_not_found(emulator: Emulator) -> None:
    user_id = emulator.member_id("boss@example.com")
    emulator.create_group("Team")
    path = _access_path(user_id)
    assert emulator.delete(path).status_code == 404
    emulator.put(path, json=GRANT)

    not_allowed = emulator.get(path)
    assert not_allowed.status_code == 405
    assert not_allowed.json() == {"detail": 'Method "GET" not allowed.'}
    assert emulator.delete(path).status_code == 204
    assert emulator.delete(path).status_code == 404
    assert _dumped(emulator) == []


def test_deleting_the_managed_group_leaves_the_access_without_a_group(emulator: Emulator) -> None:
    user_id = emulator.member_id("boss@example.com")
    group = emulator.create_group("Team")
    emulator.put(_access_path(user_id), json=GRANT)

    assert emulator.delete(f"/v1/groups/{group['id']}").status_code == 204
    [row] = _dumped(emulator)
    assert row["group_id"] is None
