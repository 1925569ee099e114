"""Groups in the Damstra emulator: create, read, update with parents, inactivation that hides for good,
and membership and supervision seen from both the group's and the user's side."""

from __future__ import annotations

import re

import pytest

from tests.emulators.vendors import E806L, F3, Damstra, page_ids

A7 = {
    "message": "No group found for that Id",
    "reason": "No Group found",
    "error": True,
    "internalCode": 842,
    "statusCode": 404,
}


def _e842(group_id: int) -> dict[str, object]:
    return {
        "message": f"Group with id {group_id} not found",
        "reason": "Group not found",
        "internalCode": 842,
        "statusCode": 404,
    }


def test_a_created_group_answers_the_whole_group(damstra: Damstra) -> None:
    group = damstra.ok("POST", "/group", json={"name": "Dev Group", "description": "Developers"})
    assert set(group) == {"id", "name", "description", "parentId", "memberCount", "createdDate", "clientId"}
    assert (group["name"], group["description"], group["parentId"], group["memberCount"]) == (
        "Dev Group",
        "Developers",
        None,
        0,
    )
    assert re.fullmatch(F3, group["createdDate"])
    assert damstra.group(group["id"]) == group
    child = damstra.ok("POST", "/group", json={"name": "Child", "description": "", "parentId": group["id"]})
    assert child["parentId"] == group["id"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"description": "no name"}, 400),
        ({"name": "No description"}, 400),
        ({"name": " ", "description": ""}, 400),
        ({"name": "Bad parent", "description": "", "parentId": "1"}, 400),
        ({"name": "Lost", "description": "", "parentId": 4242}, 404),
    ],
)
def test_create_refuses_bad_bodies(damstra: Damstra, body: dict[str, object], status: int) -> None:
    response = damstra.post("/group", json=body)
    assert response.status_code == status
    if status == 404:
        assert response.json() == _e842(4242)
    assert damstra.ok("GET", "/group")["results"] == []


def test_names_may_repeat_and_q_matches_part_of_the_name(damstra: Damstra) -> None:
    first = damstra.create_group("Safety Team")
    second = damstra.create_group("safety team")
    other = damstra.create_group("Drivers")
    assert page_ids(damstra.get("/group", params={"q": "TEAM"})) == [first, second]
    assert page_ids(damstra.get("/group")) == [first, second, other]
    page = damstra.get("/group", params={"startIndex": 1, "maxResults": 1}).json()
    assert page["meta"] == {"totalResultCount": 3, "startIndex": 1, "endIndex": 2}


def test_update_changes_name_and_description_and_moves_the_group(damstra: Damstra) -> None:
    root = damstra.create_group("Root")
    other = damstra.create_group("Other")
    child = damstra.create_group("Child", parentId=root)

    kept = damstra.ok("POST", f"/group/{child}", json={"name": "Kid", "description": "New"})
    assert (kept["name"], kept["description"], kept["parentId"]) == ("Kid", "New", root)
    moved = damstra.ok("POST", f"/group/{child}", json={"name": "Kid", "description": "", "parentId": other})
    assert moved["parentId"] == other
    # The document gives parentId as a number, and no way to make a group top-level again.
    nulled = damstra.post(f"/group/{child}", json={"name": "Kid", "description": "", "parentId": None})
    assert nulled.status_code == 400
    assert damstra.group(child)["parentId"] == other
    assert damstra.post(f"/group/{child}", json={"name": "Kid"}).status_code == 400


def test_a_parent_that_makes_a_cycle_is_refused(damstra: Damstra) -> None:
    top = damstra.create_group("Top")
    middle = damstra.create_group("Middle", parentId=top)
    bottom = damstra.create_group("Bottom", parentId=middle)
    for parent in (top, bottom):
        response = damstra.post(f"/group/{top}", json={"name": "Top", "description": "", "parentId": parent})
        assert response.status_code == 400
    assert damstra.group(top)["parentId"] is None


def test_unknown_groups_answer_a7_on_get_and_842_elsewhere(damstra: Damstra) -> None:
    response = damstra.get("/group/777")
    assert (response.status_code, response.json()) == (404, A7)
    for method, path, body in (
        ("POST", "/group/777", {"name": "X", "description": ""}),
        ("POST", "/group/777/inactivate", None),
        ("GET", "/group/777/member", None),
        ("GET", "/group/777/supervisor", None),
        ("POST", "/group/777/add_members", {"userIds": []}),
        ("POST", "/group/777/remove_members", {"userIds": []}),
        ("POST", "/group/777/add_supervisors", {"userIds": []}),
        ("POST", "/group/777/remove_supervisors", {"userIds": []}),
    ):
        response = damstra.call(method, path, json=body)
        assert (response.status_code, response.json()) == (404, _e842(777)), path


def test_an_inactivated_group_is_gone_for_good(damstra: Damstra) -> None:
    group_id = damstra.create_group("Old")
    child = damstra.create_group("Child", parentId=group_id)
    user_id = damstra.create_user("ada", groups=[{"id": group_id}], groupsSupervised=[{"id": group_id}])

    response = damstra.post(f"/group/{group_id}/inactivate")
    assert (response.status_code, response.content) == (200, b"")

    assert page_ids(damstra.get("/group")) == [child]
    assert damstra.get(f"/group/{group_id}").json() == A7
    assert damstra.post(f"/group/{group_id}/inactivate").status_code == 404
    assert damstra.post(f"/group/{group_id}", json={"name": "Back", "description": ""}).status_code == 404
    user = damstra.user(user_id)
    assert user["groups"] == [] and user["groupsSupervised"] == []
    assert damstra.group(child)["parentId"] == group_id, "children keep their parentId"
    assert (
        damstra.post("/group", json={"name": "X", "description": "", "parentId": group_id}).status_code == 404
    )
    assert (
        damstra.post(
            "/user",
            json={"firstName": "B", "lastName": "B", "emailAddress": "b@b.io", "groups": [{"id": group_id}]},
        ).status_code
        == 404
    )


def test_inactivating_a_group_needs_the_key(damstra: Damstra) -> None:
    group_id = damstra.create_group("Team")
    damstra.session.headers["AccessKey"] = "stale"
    response = damstra.post(f"/group/{group_id}/inactivate")
    assert (response.status_code, response.json()) == (403, E806L)


def test_members_and_supervisors_are_seen_from_both_sides(damstra: Damstra) -> None:
    team = damstra.create_group("Team")
    ada, bob, cy = (damstra.create_user(name) for name in ("ada", "bob", "cy"))

    assert damstra.post(f"/group/{team}/add_members", json={"userIds": [cy, ada, ada]}).content == b""
    damstra.ok("POST", f"/group/{team}/add_supervisors", json={"userIds": [bob, ada]})

    assert page_ids(damstra.get(f"/group/{team}/member")) == [ada, cy]
    assert page_ids(damstra.get(f"/group/{team}/supervisor")) == [ada, bob]
    assert damstra.group(team)["memberCount"] == 2
    assert damstra.user(ada)["groups"] == [{"id": team}] and damstra.user(ada)["groupsSupervised"] == [
        {"id": team}
    ]
    assert damstra.user(bob)["roles"] == [6], "supervising grants no role"

    damstra.ok("POST", f"/group/{team}/remove_members", json={"userIds": [ada, bob]})
    damstra.ok("POST", f"/group/{team}/remove_supervisors", json={"userIds": [bob]})
    assert page_ids(damstra.get(f"/group/{team}/member")) == [cy]
    assert page_ids(damstra.get(f"/group/{team}/supervisor")) == [ada]
    assert damstra.user(ada)["groups"] == [] and damstra.user(ada)["groupsSupervised"] == [{"id": team}]

    member_page = damstra.get(f"/group/{team}/member", params={"startIndex": 0, "maxResults": 5}).json()
    assert member_page["meta"] == {"totalResultCount": 1, "startIndex": 0, "endIndex": 1}
    assert member_page["results"][0] == damstra.user(cy)


def test_inactive_users_keep_their_groups_but_leave_the_lists_and_counts(damstra: Damstra) -> None:
    team = damstra.create_group("Team")
    ada = damstra.create_user("ada", groups=[{"id": team}], groupsSupervised=[{"id": team}])
    bob = damstra.create_user("bob", groups=[{"id": team}])
    damstra.ok("POST", f"/user/{ada}/inactivate")

    assert page_ids(damstra.get(f"/group/{team}/member")) == [bob]
    assert page_ids(damstra.get(f"/group/{team}/supervisor")) == []
    assert damstra.group(team)["memberCount"] == 1
    assert damstra.user(ada)["groups"] == [{"id": team}]

    damstra.ok("POST", f"/user/{ada}/activate")
    assert page_ids(damstra.get(f"/group/{team}/member")) == [ada, bob]
    assert page_ids(damstra.get(f"/group/{team}/supervisor")) == [ada]


def test_membership_calls_check_user_ids_before_changing_anything(damstra: Damstra) -> None:
    team = damstra.create_group("Team")
    ada = damstra.create_user("ada")
    response = damstra.post(f"/group/{team}/add_members", json={"userIds": [ada, 999, 998]})
    assert response.status_code == 404
    assert response.json() == {
        "message": "User with id 999 not found",
        "reason": "User not found",
        "internalCode": 404,
        "statusCode": 404,
    }
    assert page_ids(damstra.get(f"/group/{team}/member")) == []
    for body in ({}, {"userIds": None}, {"userIds": "1"}, {"userIds": [str(ada)]}):
        assert damstra.post(f"/group/{team}/add_supervisors", json=body).status_code == 400, body
    assert damstra.post(f"/group/{team}/add_members", json={"userIds": []}).status_code == 200
    assert damstra.post(f"/group/{team}/remove_members", json={"userIds": [ada]}).status_code == 200


def test_inactive_users_can_be_added(damstra: Damstra) -> None:
    team = damstra.create_group("Team")
    ada = damstra.create_user("ada")
    damstra.ok("POST", f"/user/{ada}/inactivate")
    damstra.ok("POST", f"/group/{team}/add_members", json={"userIds": [ada]})
    assert damstra.user(ada)["groups"] == [{"id": team}]
    assert damstra.group(team)["memberCount"] == 0
