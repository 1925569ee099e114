"""The Training Records emulator's transport rules: HTTP Basic auth, the prefix and trailing slashes,
JSON bodies, unknown paths and methods, HEAD and OPTIONS, the request counter and the options."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from lmsform.providers.training_records.emulator import TrainingRecordsEmulatorOptions, create_app
from tests.emulators.vendors import (
    RECORDS,
    USERNAME,
    StartRecordsApi,
    TrainingRecordsApi,
    assert_detail,
    assert_invalid,
    basic,
)
from tests.emulators.vendors import TRAINING_RECORDS_KEY as KEY
from tests.emulators.vendors import seed_records_world as seed_world

INVALID = "Invalid username/password."
NOT_PROVIDED = "Authentication credentials were not provided."
CHALLENGE = 'Basic realm="api"'
NEW = {"api_id": "r-new", "person_api_id": "p-ada", "package_api_id": "pkg-fire"}

# Every operation of the reference, on a record `r-1` that exists, with a valid body where it takes one.
OPERATIONS: list[tuple[str, str, Any]] = [
    ("GET", RECORDS, None),
    ("POST", RECORDS, NEW),
    ("GET", f"{RECORDS}r-1/", None),
    ("PUT", f"{RECORDS}r-1/", {"person_api_id": "p-bob", "package_api_id": "pkg-gdpr"}),
    ("PATCH", f"{RECORDS}r-1/", {"date_started": "2024-05-01T09:30:00Z"}),
    ("DELETE", f"{RECORDS}r-1/", None),
]


def _with_one_record(emulator: TrainingRecordsApi) -> None:
    seed_world(emulator)
    emulator.create(api_id="r-1", person_api_id="p-ada", package_api_id="pkg-fire")


def test_the_configured_username_and_key_work_on_every_operation(records_api: TrainingRecordsApi) -> None:
    _with_one_record(records_api)
    for method, path, body in OPERATIONS:
        response = records_api.call(method, path, json=body)
        assert response.status_code in (200, 201, 204), f"{method} {path}: {response.text}"


@pytest.mark.parametrize(
    ("username", "key"),
    [
        (USERNAME, "wrong"),
        ("someone", KEY),
        (USERNAME, KEY.upper()),
        (USERNAME, KEY[:-1]),
        (USERNAME, KEY + "0"),
        (USERNAME.upper(), KEY),
        (USERNAME, ""),
        ("", KEY),
    ],
)
def test_a_wrong_username_or_key_answers_401_and_a_challenge(
    records_api: TrainingRecordsApi, username: str, key: str
) -> None:
    response = records_api.get(RECORDS, auth=(username, key))
    assert_detail(response, 401, INVALID)
    assert response.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize("header", [None, "Bearer " + KEY, "Token " + KEY, ""])
def test_missing_credentials_answer_401_not_provided(
    records_api: TrainingRecordsApi, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = records_api.get(RECORDS, auth=None, headers=headers)
    assert_detail(response, 401, NOT_PROVIDED)
    assert response.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic", "Invalid basic header. No credentials provided."),
        ("Basic abc def", "Invalid basic header. Credentials string should not contain spaces."),
        ("Basic !!!not-base64!!!", "Invalid basic header. Credentials not correctly base64 encoded."),
        (
            "Basic " + base64.b64encode(b"no-colon").decode(),
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
    ],
)
def test_malformed_basic_headers_answer_drf_messages(
    records_api: TrainingRecordsApi, header: str, message: str
) -> None:
    response = records_api.get(RECORDS, auth=None, headers={"Authorization": header})
    assert_detail(response, 401, message)
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def test_the_scheme_name_is_case_insensitive_and_the_key_may_hold_colons(
    start_records_api: StartRecordsApi,
) -> None:
    emulator = start_records_api(api_key="key:with:colons")
    assert (
        emulator.get(
            RECORDS, auth=None, headers={"Authorization": "bAsIc " + basic(USERNAME, "key:with:colons")[6:]}
        ).status_code
        == 200
    )
    assert_detail(emulator.get(RECORDS, auth=(USERNAME, "key")), 401, INVALID)


def test_without_a_configured_key_any_non_empty_username_and_key_pass(
    start_records_api: StartRecordsApi,
) -> None:
    emulator = start_records_api(api_key=None)
    assert emulator.get(RECORDS, auth=("anyone", "anything")).status_code == 200
    assert emulator.get(RECORDS, auth=(USERNAME, KEY)).status_code == 200
    assert_detail(emulator.get(RECORDS, auth=("anyone", "")), 401, INVALID)
    assert_detail(emulator.get(RECORDS, auth=("", "anything")), 401, INVALID)
    assert_detail(emulator.get(RECORDS, auth=None), 401, NOT_PROVIDED)


def test_a_configured_username_is_required_with_the_key(start_records_api: StartRecordsApi) -> None:
    emulator = start_records_api(
        options=TrainingRecordsEmulatorOptions(username="api-user-7"), auth=("api-user-7", KEY)
    )
    assert emulator.get(RECORDS).status_code == 200
    assert_detail(emulator.get(RECORDS, auth=(USERNAME, KEY)), 401, INVALID)


def test_unauthenticated_calls_answer_401_before_anything_else_and_write_nothing(
    records_api: TrainingRecordsApi,
) -> None:
    _with_one_record(records_api)
    before = records_api.state()
    for method, path, body in OPERATIONS:
        for auth in (None, (USERNAME, "wrong")):
            assert records_api.call(method, path, json=body, auth=auth).status_code == 401
    # Authentication comes before the method check, the record lookup and the body.
    assert records_api.delete(RECORDS, auth=None).status_code == 401
    assert records_api.get(f"{RECORDS}nobody/", auth=None).status_code == 401
    assert (
        records_api.post(
            RECORDS, data="{bad", auth=None, headers={"Content-Type": "application/json"}
        ).status_code
        == 401
    )
    assert records_api.state() == before


def test_each_path_works_with_and_without_its_trailing_slash_and_never_redirects(
    records_api: TrainingRecordsApi,
) -> None:
    seed_world(records_api)
    created = records_api.ok("POST", RECORDS.rstrip("/"), 201, json=NEW)
    assert records_api.ok("GET", RECORDS.rstrip("/")) == [created]
    assert records_api.ok("GET", f"{RECORDS}r-new") == created
    assert records_api.ok("GET", f"{RECORDS}r-new/") == created
    assert records_api.ok("PATCH", f"{RECORDS}r-new", json={"date_started": "2024-01-01T00:00:00Z"})[
        "date_started"
    ]
    assert records_api.delete(f"{RECORDS}r-new").status_code == 204
    assert_detail(records_api.get(f"{RECORDS}r-new"), 404, "Not found.")
    assert all(exchange.status < 300 or exchange.status >= 400 for exchange in records_api.server.requests)


def test_the_prefix_option_mounts_the_api_and_the_hooks_stay_at_the_root(
    start_records_api: StartRecordsApi,
) -> None:
    emulator = start_records_api(options=TrainingRecordsEmulatorOptions(prefix="/api/v2"))
    seed_world(emulator)  # hooks: /_emulator, not /api/v2/_emulator
    emulator.create(**NEW)
    [listed] = emulator.listing()
    assert listed["api_id"] == "r-new"
    assert emulator.listing(limit=1)["results"] == [listed]
    assert (
        emulator.session.get(
            f"{emulator.url}/api/v2/training/record", auth=emulator.auth, timeout=10
        ).status_code
        == 200
    )
    assert_detail(
        emulator.session.get(f"{emulator.url}{RECORDS}", auth=emulator.auth, timeout=10), 404, "Not found."
    )
    assert_detail(emulator.session.get(f"{emulator.url}/api/v2/_emulator/state", timeout=10), 404)
    assert emulator.counts()["routes"] == {"GET /training/record/": 3, "POST /training/record/": 1}


def test_a_root_prefix_is_the_same_as_none(start_records_api: StartRecordsApi) -> None:
    emulator = start_records_api(options=TrainingRecordsEmulatorOptions(prefix="/"))
    assert emulator.prefix == ""
    assert emulator.ok("GET", RECORDS) == []


@pytest.mark.parametrize(
    "path",
    [
        "/training/records/",
        "/training/",
        "/training/record/r-1/extra/",
        "/training//record/",
        "/training/record//",
        "/_emulator/nothing",
        "/",
    ],
)
def test_unknown_paths_answer_404_not_found(records_api: TrainingRecordsApi, path: str) -> None:
    _with_one_record(records_api)
    assert_detail(records_api.get(path), 404, "Not found.")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", RECORDS, "GET, POST, HEAD, OPTIONS"),
        ("PATCH", RECORDS, "GET, POST, HEAD, OPTIONS"),
        ("DELETE", RECORDS, "GET, POST, HEAD, OPTIONS"),
        ("POST", f"{RECORDS}r-1/", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),
    ],
)
def test_other_methods_answer_405_with_allow(
    records_api: TrainingRecordsApi, method: str, path: str, allow: str
) -> None:
    _with_one_record(records_api)
    before = records_api.state()
    response = records_api.call(method, path, json=NEW)
    assert_detail(response, 405, f'Method "{method}" not allowed.')
    assert response.headers["Allow"] == allow
    assert records_api.state() == before


def test_head_is_get_without_a_body_and_options_answers_metadata(records_api: TrainingRecordsApi) -> None:
    _with_one_record(records_api)
    head = records_api.call("HEAD", RECORDS)
    assert head.status_code == 200 and head.content == b""
    assert records_api.call("HEAD", f"{RECORDS}nobody/").status_code == 404
    options = records_api.ok("OPTIONS", f"{RECORDS}r-1/")
    assert options == {
        "name": "Training Record Instance",
        "description": "",
        "renders": ["application/json"],
        "parses": ["application/json"],
    }
    assert records_api.call("OPTIONS", RECORDS).headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert records_api.call("OPTIONS", RECORDS, auth=None).status_code == 401


@pytest.mark.parametrize("data", ["{bad", '{"a": 1', "NaN", '{"date_started": Infinity}', b"\xff\xfe"])
def test_malformed_json_answers_400_parse_error(records_api: TrainingRecordsApi, data: str | bytes) -> None:
    _with_one_record(records_api)
    before = records_api.state()
    for method, path in [("POST", RECORDS), ("PUT", f"{RECORDS}r-1/"), ("PATCH", f"{RECORDS}r-1/")]:
        response = records_api.call(method, path, data=data, headers={"Content-Type": "application/json"})
        assert_detail(response, 400)
        assert response.json()["detail"].startswith("JSON parse error - ")
    assert records_api.state() == before


@pytest.mark.parametrize(
    ("data", "type_name"),
    [("[1, 2]", "list"), ('"text"', "str"), ("3", "int"), ("null", "NoneType"), ("true", "bool")],
)
def test_a_body_that_is_not_an_object_answers_400(
    records_api: TrainingRecordsApi, data: str, type_name: str
) -> None:
    _with_one_record(records_api)
    for method, path in [("POST", RECORDS), ("PUT", f"{RECORDS}r-1/"), ("PATCH", f"{RECORDS}r-1/")]:
        response = records_api.call(method, path, data=data, headers={"Content-Type": "application/json"})
        assert_invalid(
            response, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type_name}."]}
        )


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", '{"a": 1}'),
        ("application/x-www-form-urlencoded", "a=1"),
        ("application/vnd.api+json", "{}"),
        (None, '{"a": 1}'),
    ],
)
def test_a_body_of_another_media_type_answers_415(
    records_api: TrainingRecordsApi, content_type: str | None, data: str
) -> None:
    seed_world(records_api)
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = records_api.post(RECORDS, data=data, headers=headers)
    assert_detail(response, 415, f'Unsupported media type "{content_type or ""}" in request.')
    assert records_api.state()["records"] == []


def test_json_with_a_charset_is_json_and_an_empty_body_is_an_empty_object(
    records_api: TrainingRecordsApi,
) -> None:
    _with_one_record(records_api)
    response = records_api.post(
        RECORDS,
        data=b'{"person_api_id": "p-ada", "package_api_id": "pkg-fire"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text
    assert_invalid(
        records_api.post(RECORDS),
        {"person_api_id": ["This field is required."], "package_api_id": ["This field is required."]},
    )
    assert records_api.ok("PATCH", f"{RECORDS}r-1/") == records_api.record("r-1")


def test_the_requests_hook_counts_every_api_request_per_documented_route(
    records_api: TrainingRecordsApi,
) -> None:
    _with_one_record(records_api)
    records_api.get(RECORDS)
    records_api.get(RECORDS.rstrip("/"), params={"limit": 1})
    records_api.get(f"{RECORDS}r-1/")
    records_api.get(f"{RECORDS}nobody")
    records_api.get(f"{RECORDS}r-1/", auth=None)
    records_api.patch(f"{RECORDS}r-1/", json={"date_completed": None})
    records_api.delete(RECORDS)
    records_api.get("/training/nothing/")
    records_api.state()
    assert records_api.counts() == {
        "total": 8,
        "routes": {
            "DELETE /training/record/": 1,
            "GET /training/record/": 2,
            "GET /training/record/{api_id}/": 3,
            "PATCH /training/record/{api_id}/": 1,
            "POST /training/record/": 1,
        },
    }
    records_api.fresh()
    assert records_api.counts() == {"total": 0, "routes": {}}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (TrainingRecordsEmulatorOptions(username=""), "username"),
        (TrainingRecordsEmulatorOptions(username="a:b"), "username"),
        (TrainingRecordsEmulatorOptions(prefix="api/v2"), "prefix"),
        (TrainingRecordsEmulatorOptions(prefix="/api/v2/"), "prefix"),
        (TrainingRecordsEmulatorOptions(prefix="/api//v2"), "prefix"),
        (TrainingRecordsEmulatorOptions(prefix="/api v2"), "prefix"),
        (TrainingRecordsEmulatorOptions(prefix="/_emulator"), "prefix"),
        (TrainingRecordsEmulatorOptions(prefix="/_emulator/api"), "prefix"),
        (TrainingRecordsEmulatorOptions(limit_cap=0), "limit_cap"),
    ],
)
def test_bad_options_are_refused_before_the_state_file_is_touched(
    tmp_path: Path, options: TrainingRecordsEmulatorOptions, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_app(tmp_path / "state.sqlite3", api_key=KEY, options=options)
    assert not (tmp_path / "state.sqlite3").exists()
