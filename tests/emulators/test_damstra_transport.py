"""The Damstra emulator's transport rules: the AccessKey header and its two 806 bodies, trailing
slashes, unknown paths and methods, request bodies, and offset paging with its `meta` block."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, DamstraStore
from tests.emulators.vendors import DAMSTRA_API as API
from tests.emulators.vendors import DAMSTRA_KEY as KEY
from tests.emulators.vendors import E806L, E806S, Damstra, page_ids, start_damstra

TERSE_ENDPOINTS = ["/group", "/group/{group}", "/lesson", "/lessondetails"]
LONG_ENDPOINTS = [
    ("GET", "/user"),
    ("GET", "/user/{owner}"),
    ("POST", "/user"),
    ("POST", "/user/{owner}"),
    ("POST", "/bulkUserImport"),
    ("POST", "/user/{owner}/activate"),
    ("POST", "/user/{owner}/inactivate"),
    ("POST", "/group"),
    ("POST", "/group/{group}"),
    ("GET", "/group/{group}/member"),
    ("GET", "/group/{group}/supervisor"),
    ("POST", "/group/{group}/add_members"),
    ("POST", "/group/{group}/remove_supervisors"),
    ("POST", "/group/{group}/inactivate"),
    ("GET", "/user/{owner}/lesson_schedule"),
    ("POST", "/user/{owner}/lesson_schedule"),
    ("GET", "/lesson_schedule/1"),
    ("POST", "/lesson_schedule/{owner}/complete_lesson"),
    ("GET", "/no/such/path"),
]


def _fill(path: str, damstra: Damstra) -> str:
    return path.format(owner=damstra.owner()["id"], group=damstra.create_group("Team"))


@pytest.mark.parametrize("key", [None, "", "wrong", f'"{KEY}"', KEY.upper()])
def test_a_missing_or_wrong_key_answers_403_806_on_every_endpoint(damstra: Damstra, key: str | None) -> None:
    headers = {} if key is None else {"AccessKey": key}
    for method, path in LONG_ENDPOINTS:
        response = requests.request(
            method, damstra.url + API + _fill(path, damstra), headers=headers, timeout=10
        )
        assert (response.status_code, response.json()) == (403, E806L), (method, path)
    for path in TERSE_ENDPOINTS:
        response = requests.get(damstra.url + API + _fill(path, damstra), headers=headers, timeout=10)
        assert (response.status_code, response.json()) == (403, E806S), path
    assert damstra.state()["users"] == [damstra.state()["users"][0]], "nothing was written"


def test_the_header_name_ignores_case_and_needs_no_content_type(damstra: Damstra) -> None:
    for name in ("AccessKey", "accesskey", "ACCESSKEY"):
        response = requests.get(f"{damstra.url}{API}/user", headers={name: KEY}, timeout=10)
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    body_less = requests.post(
        f"{damstra.url}{API}/user/{damstra.owner()['id']}/activate", headers={"AccessKey": KEY}, timeout=10
    )
    assert (body_less.status_code, body_less.content) == (200, b"")


def test_without_a_configured_key_any_non_empty_key_is_accepted(tmp_path: Path) -> None:
    emulator = start_damstra(tmp_path / "state.sqlite3", access_key=None)
    try:
        url = f"{emulator.url}{API}/lesson"
        assert requests.get(url, headers={"AccessKey": "anything"}, timeout=10).status_code == 200
        assert requests.get(url, headers={"AccessKey": ""}, timeout=10).json() == E806S
        assert requests.get(url, timeout=10).status_code == 403
    finally:
        emulator.stop()


def test_paths_are_served_with_and_without_a_trailing_slash(damstra: Damstra) -> None:
    owner_id = damstra.owner()["id"]
    assert damstra.get("/user/", params={"roleId": 7}).json()["results"][0]["id"] == owner_id
    assert damstra.get(f"/user/{owner_id}/").json()["id"] == owner_id
    assert damstra.post("/group/", json={"name": "Team", "description": ""}).status_code == 200


def test_unknown_paths_and_methods_answer_404_and_405(damstra: Damstra) -> None:
    for path in ("/embed_player", "/user/abc", "/webhook"):
        response = damstra.get(path)
        assert response.status_code == 404 and response.json()["statusCode"] == 404, path
    for method in ("DELETE", "PUT", "PATCH"):
        response = damstra.call(method, "/user")
        assert response.status_code == 405
        assert response.json()["internalCode"] == 405


def test_a_malformed_or_non_object_body_answers_the_400_body(damstra: Damstra) -> None:
    for raw in (b"{not json", b"[1, 2]", b'"text"'):
        response = damstra.post("/group", data=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        body = response.json()
        assert {key: body[key] for key in ("internalCode", "statusCode")} == {
            "internalCode": 400,
            "statusCode": 400,
        }
        assert set(body) == {"message", "reason", "internalCode", "error", "statusCode"}
    # A JSON body is read whatever the Content-Type says.
    response = damstra.post(
        "/group", data=b'{"name": "Plain", "description": ""}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200


def _seed_users(damstra: Damstra, count: int) -> list[int]:
    users = [
        {
            "userName": f"user{index:03d}",
            "firstName": "U",
            "lastName": f"{index}",
            "emailAddress": f"u{index}@x.io",
        }
        for index in range(count)
    ]
    return [user["id"] for user in damstra.seed({"users": users})["users"]]


def test_pages_default_to_20_are_capped_at_100_and_come_in_id_order(damstra: Damstra) -> None:
    ids = [damstra.owner()["id"], *_seed_users(damstra, 129)]
    first = damstra.get("/user")
    assert first.json()["meta"] == {"totalResultCount": 130, "startIndex": 0, "endIndex": 20}
    assert page_ids(first) == ids[:20]
    assert page_ids(damstra.get("/user", params={"maxResults": 0})) == ids[:20]
    capped = damstra.get("/user", params={"startIndex": 10, "maxResults": 500})
    assert capped.json()["meta"] == {"totalResultCount": 130, "startIndex": 10, "endIndex": 110}
    assert page_ids(capped) == ids[10:110]
    last = damstra.get("/user", params={"startIndex": 125, "maxResults": 10})
    assert last.json()["meta"] == {"totalResultCount": 130, "startIndex": 125, "endIndex": 130}
    beyond = damstra.get("/user", params={"startIndex": 500})
    assert beyond.json() == {
        "results": [],
        "meta": {"totalResultCount": 130, "startIndex": 500, "endIndex": 500},
    }


@pytest.mark.parametrize(
    "params", [{"startIndex": -1}, {"maxResults": -5}, {"startIndex": "x"}, {"maxResults": "1.5"}]
)
def test_bad_paging_values_answer_400(damstra: Damstra, params: dict[str, object]) -> None:
    for path in ("/user", "/group", "/lesson", f"/user/{damstra.owner()['id']}/lesson_schedule"):
        assert damstra.get(path, params=params).status_code == 400, path


def test_every_paged_list_has_meta_except_a_users_schedules(damstra: Damstra) -> None:
    group_id = damstra.create_group("Team")
    owner_id = damstra.owner()["id"]
    for path in ("/user", "/group", f"/group/{group_id}/member", f"/group/{group_id}/supervisor", "/lesson"):
        assert set(damstra.ok("GET", path)) == {"results", "meta"}, path
    assert damstra.ok("GET", f"/user/{owner_id}/lesson_schedule") == {"results": []}


def test_page_sizes_are_configurable(tmp_path: Path) -> None:
    options = DamstraEmulatorOptions(default_page_size=2, max_page_size=3)
    emulator = start_damstra(tmp_path / "state.sqlite3", options=options)
    try:
        _seed_users(emulator, 5)
        assert emulator.get("/user").json()["meta"] == {"totalResultCount": 6, "startIndex": 0, "endIndex": 2}
        assert len(emulator.get("/user", params={"maxResults": 50}).json()["results"]) == 3
    finally:
        emulator.stop()


def test_impossible_options_are_refused(tmp_path: Path) -> None:
    for options in (
        DamstraEmulatorOptions(time_zone="Mars/Olympus"),
        DamstraEmulatorOptions(default_page_size=200),
        DamstraEmulatorOptions(bulk_import_limit=0),
        DamstraEmulatorOptions(owner_username=" "),
    ):
        with pytest.raises(ValueError):
            start_damstra(tmp_path / "state.sqlite3", options=options)


def test_a_crash_inside_the_emulator_answers_503_with_the_e500_body(
    damstra: Damstra, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(DamstraStore, "find_groups", crash)
    response = damstra.get("/group")
    assert (response.status_code, response.json()) == (
        503,
        {"internalCode": 500, "error": "Internal Server Error"},
    )
