"""The Versal emulator's transport rules: the `SID` header (keys, sessions, orgs), JSON bodies, id
formats in paths, unknown paths and methods, injected faults and the request counter."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.vendors import ORG, OTHER_KEY, OTHER_ORG, StartVersal, Versal, assert_error
from tests.emulators.vendors import VERSAL_KEY as KEY
from tests.emulators.vendors import seed_versal_world as seed_world

# Every operation of the spec, with a valid body where it takes one.
OPERATIONS: list[tuple[str, str, Any]] = [
    ("POST", "/sessions", {"email": "bob@example.com"}),
    ("POST", "/orgs/{org}/delete_users", {"users": "{bob}"}),
    ("POST", "/orgs/{org}/users", {"roles": ["learner"], "user": {"email": "new@example.com"}}),
    ("GET", "/user", None),
    ("PUT", "/users/{bob}", {"firstname": "Robert"}),
    ("DELETE", "/orgs/{org}/users/{bob}", None),
    ("PUT", "/orgs/{org}/users/{bob}", {"roles": ["instructor"]}),
    ("GET", "/orgs/{org}/members", None),
    ("GET", "/courses", None),
    ("GET", "/courses/{intro}", None),
    ("GET", "/catalogs/staged/courses/{intro}", None),
    ("PATCH", "/courses/{intro}/users/{bob}", {"tracked": False}),
    ("GET", "/courses/{intro}/userdata", None),
    ("GET", "/courses/{intro}/gadgets/{quiz_gadget}/config", None),
    ("GET", "/catalogs/staged/courses/{intro}/gadgets/{quiz_gadget}/config", None),
    ("GET", "/courses/{intro}/lessons/{quiz}/gadgets/{quiz_gadget}/userdata", None),
]
KEY_ONLY = {
    "/sessions",
    "/orgs/{org}/delete_users",
    "/orgs/{org}/users",
    "/orgs/{org}/users/{bob}",
    "/orgs/{org}/members",
    "/courses/{intro}/users/{bob}",
    "/courses/{intro}/userdata",
}
BODY_OPERATIONS = [(method, path, body) for method, path, body in OPERATIONS if body is not None]


def _fill(template: str, ids: dict[str, Any]) -> str:
    return template.format(org=ORG, **ids)


def _body(body: Any, ids: dict[str, Any]) -> Any:
    if body is not None and "users" in body:
        return {"users": ids["bob"]}
    return body


def test_every_operation_answers_401_without_a_sid_or_with_an_unknown_one(versal: Versal) -> None:
    ids = seed_world(versal)
    for method, template, body in OPERATIONS:
        path = _fill(template, ids)
        missing = versal.call(method, path, sid=None, json=_body(body, ids), malformed=True)
        assert_error(missing, 401, "Invalid credentials")
        empty = versal.call(method, path, sid="", headers={"SID": ""}, json=_body(body, ids), malformed=True)
        assert_error(empty, 401)
        unknown = versal.call(method, path, sid=str(uuid.uuid4()), json=_body(body, ids))
        assert_error(unknown, 401)


def test_nothing_is_written_by_unauthenticated_calls(versal: Versal) -> None:
    ids = seed_world(versal)
    before = versal.state()
    for method, template, body in OPERATIONS:
        versal.call(method, _fill(template, ids), sid=str(uuid.uuid4()), json=_body(body, ids))
    assert versal.state() == before


def test_a_session_gets_403_on_key_only_operations_and_writes_nothing(versal: Versal) -> None:
    ids = seed_world(versal)
    session = versal.session_for("ada@example.com")
    before = versal.state()
    for method, template, body in OPERATIONS:
        if template in KEY_ONLY:
            response = versal.call(method, _fill(template, ids), sid=session, json=_body(body, ids))
            assert_error(response, 403)
    state = versal.state()
    assert {k: v for k, v in state.items() if k != "sessions"} == {
        k: v for k, v in before.items() if k != "sessions"
    }


def test_get_user_needs_a_session_an_api_key_answers_401(versal: Versal) -> None:
    seed_world(versal)
    assert_error(versal.get("/user"), 401, "Invalid credentials")
    me = versal.ok("GET", "/user", sid=versal.session_for("bob@example.com"))
    assert me["email"] == "bob@example.com"


def test_another_orgs_key_gets_403_and_an_unknown_org_404_or_403(versal: Versal) -> None:
    ids = seed_world(versal)
    body = {"roles": ["learner"], "user": {"email": "x@example.com"}}
    calls: list[tuple[str, str, Any]] = [
        ("GET", f"/orgs/{ORG}/members", None),
        ("POST", f"/orgs/{ORG}/users", body),
        ("PUT", f"/orgs/{ORG}/users/{ids['bob']}", {"roles": []}),
        ("DELETE", f"/orgs/{ORG}/users/{ids['bob']}", None),
        ("POST", f"/orgs/{ORG}/delete_users", {"users": ids["bob"]}),
        ("GET", f"/courses/{ids['intro']}", None),
        ("GET", f"/courses/{ids['intro']}/userdata", None),
        ("PATCH", f"/courses/{ids['intro']}/users/{ids['bob']}", {"tracked": True}),
        ("GET", f"/courses/{ids['intro']}/gadgets/{ids['text']}/config", None),
    ]
    for method, path, json in calls:
        assert_error(versal.call(method, path, sid=OTHER_KEY, json=json), 403)
    # The other org's key works on its own org and sees only its own courses.
    [member] = versal.ok("GET", f"/orgs/{OTHER_ORG}/members", sid=OTHER_KEY)
    assert member["user"]["email"] == "zed@other.example"
    assert [course["title"] for course in versal.ok("GET", "/courses", sid=OTHER_KEY)] == ["Elsewhere"]
    assert_error(versal.get(f"/courses/{ids['elsewhere']}"), 403, "Permission denied")
    for method, path, json in [
        ("GET", "/orgs/999/members", None),
        ("PUT", f"/orgs/999/users/{ids['bob']}", {"roles": []}),
        ("DELETE", f"/orgs/999/users/{ids['bob']}", None),
        ("POST", "/orgs/999/delete_users", {"users": ids["bob"]}),
    ]:
        assert_error(versal.call(method, path, json=json), 404, "Org not found")
    assert_error(versal.post("/orgs/999/users", json=body), 403)


def test_without_a_configured_key_any_other_sid_is_the_orgs_key(start: StartVersal) -> None:
    emulator = start(api_key=None)
    emulator.seed({"orgs": [{"id": OTHER_ORG, "api_key": OTHER_KEY}], "users": [{"email": "a@example.com"}]})
    anything = str(uuid.uuid4())
    assert [m["user"]["email"] for m in emulator.ok("GET", f"/orgs/{ORG}/members", sid=anything)] == [
        "a@example.com"
    ]
    assert_error(emulator.get(f"/orgs/{ORG}/members", sid=OTHER_KEY), 403)
    session = emulator.ok("POST", "/sessions", 201, sid=anything, json={"email": "a@example.com"})[
        "sessionId"
    ]
    assert_error(emulator.get(f"/orgs/{ORG}/members", sid=session), 403)
    assert_error(emulator.get(f"/orgs/{ORG}/members", sid=None, malformed=True), 401)


def test_the_key_must_match_exactly(versal: Versal) -> None:
    for wrong in (KEY.upper(), KEY[:-1], KEY + "0", "{" + KEY + "}"):
        assert_error(versal.get("/courses", sid=wrong, malformed=True), 401)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", '{"a": 1}'),
        ("application/x-www-form-urlencoded", "a=1"),
        (None, '{"a": 1}'),
        ("application/json", "{not json"),
        ("application/json", "[1, 2]"),
        ("application/json", ""),
    ],
)
def test_bodies_must_be_json_objects(versal: Versal, content_type: str | None, data: str) -> None:
    ids = seed_world(versal)
    before = versal.state()
    for method, template, _ in BODY_OPERATIONS:
        headers = {} if content_type is None else {"Content-Type": content_type}
        response = versal.call(method, _fill(template, ids), data=data, headers=headers, malformed=True)
        assert_error(response, 400)
    assert versal.state() == before


def test_json_with_a_charset_is_json(versal: Versal) -> None:
    ids = seed_world(versal)
    response = versal.put(
        f"/users/{ids['bob']}",
        data=b'{"lastname": "Builder"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201 and response.json()["lastname"] == "Builder"


@pytest.mark.parametrize("bad", ["abc", "12a", "-1", "1.5", "%C2%B2"])
def test_non_numeric_org_and_user_ids_answer_400(versal: Versal, bad: str) -> None:
    ids = seed_world(versal)
    calls: list[tuple[str, str, Any]] = [
        ("GET", f"/orgs/{bad}/members", None),
        ("POST", f"/orgs/{bad}/users", {"roles": [], "user": {"email": "x@example.com"}}),
        ("POST", f"/orgs/{bad}/delete_users", {"users": ids["bob"]}),
        ("DELETE", f"/orgs/{ORG}/users/{bad}", None),
        ("PUT", f"/orgs/{ORG}/users/{bad}", {"roles": []}),
        ("DELETE", f"/orgs/{bad}/users/{ids['bob']}", None),
        ("PUT", f"/users/{bad}", {}),
    ]
    for method, path, json in calls:
        assert_error(versal.call(method, path, json=json, malformed=True), 400, "Bad request")
    # userId is a string on the course-learner PATCH: a non-numeric one names nobody.
    assert_error(versal.patch(f"/courses/{ids['intro']}/users/{bad}", json={"tracked": True}), 404)


def test_unknown_paths_answer_404_and_other_methods_405(versal: Versal) -> None:
    for method, path in [("GET", "/nothing"), ("GET", "/courses/1/nothing"), ("POST", "/user/1")]:
        assert_error(versal.call(method, path, malformed=True), 404)
    assert_error(versal.call("GET", "/_emulator/nothing"), 404)
    assert_error(versal.call("GET", "/users/1001", malformed=True), 405)
    assert_error(versal.call("DELETE", "/courses", malformed=True), 405)


def test_a_fault_answers_the_next_matching_requests_then_stops(versal: Versal) -> None:
    versal.fault("post", r"/api2/orgs/\d+/users", status=429, count=2, retryAfter=7)
    versal.fault("GET", r"/api2/courses.*")
    body = {"roles": ["learner"], "user": {"email": "a@example.com"}}
    for _ in range(2):
        response = versal.post(f"/orgs/{ORG}/users", json=body)
        assert_error(response, 429)
        assert response.headers["Retry-After"] == "7"
    assert versal.members() == [], "a faulted request changes nothing"
    assert versal.post(f"/orgs/{ORG}/users", json=body).status_code == 201
    unavailable = versal.get("/courses", sid=None, malformed=True)
    assert_error(unavailable, 503)
    assert unavailable.headers["Retry-After"] == "1", "faults come before authentication"
    assert versal.get("/courses").status_code == 200
    assert versal.state()["faults"] == []


@pytest.mark.parametrize(
    "rule",
    [
        {"method": "GET"},
        {"method": "FETCH", "path": ".*"},
        {"method": "GET", "path": "("},
        {"method": "GET", "path": ".*", "status": 500},
        {"method": "GET", "path": ".*", "count": 0},
    ],
)
def test_a_bad_fault_rule_answers_400(versal: Versal, rule: dict[str, Any]) -> None:
    assert_error(versal.post("/_emulator/faults", json=rule), 400)
    assert versal.state()["faults"] == []


def test_the_requests_hook_counts_per_route_and_reset_clears_it(versal: Versal) -> None:
    ids = seed_world(versal)
    versal.get("/courses")
    versal.get(f"/courses/{ids['intro']}")
    versal.get(f"/courses/{ids['draft']}")
    versal.get("/user", sid=None, malformed=True)
    versal.get("/nothing", malformed=True)
    counts = versal.ok("GET", "/_emulator/requests")
    assert counts == {
        "total": 4,
        "routes": {"GET /courses": 1, "GET /courses/{courseId}": 2, "GET /user": 1},
    }
    versal.fresh()
    assert versal.ok("GET", "/_emulator/requests") == {"total": 0, "routes": {}}


def test_a_session_lives_thirty_days_from_its_last_use(start: StartVersal, tmp_path: Path) -> None:
    emulator = start()
    emulator.seed({"users": [{"email": "a@example.com"}]})
    session = emulator.session_for("a@example.com")
    [created] = emulator.state()["sessions"]
    lifetime = datetime.fromisoformat(created["expires_at"]) - datetime.fromisoformat(created["created_at"])
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute("UPDATE sessions SET expires_at = '2000-01-02T00:00:00.000Z'")
        db.execute("UPDATE sessions SET expires_at = '2999-01-01T00:00:00.000Z'")
    emulator.ok("GET", "/user", sid=session)
    [used] = emulator.state()["sessions"]
    assert used["expires_at"] < "2999", "each use sets the expiry to 30 days from now"
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
    assert_error(emulator.get("/user", sid=session), 401)
