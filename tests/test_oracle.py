"""The spec-conformance check itself: it must fail on what the vendor's spec does not allow."""

from __future__ import annotations

import json

from lmsform.providers.emulation.server import RecordedRequest
from tests.oracle import exchange_errors, skilljar_spec

AUTH = {"Authorization": "Basic a2V5Og=="}


def _exchange(
    method: str, path: str, body: object = None, *, status: int = 200, answer: object = None
) -> RecordedRequest:
    return RecordedRequest(
        method=method,
        path=path,
        query_string="",
        headers={**AUTH, **({"Content-Type": "application/json"} if body is not None else {})},
        body=json.dumps(body).encode() if body is not None else b"",
        status=status,
        response_headers={"Content-Type": "application/json"},
        response_body=json.dumps(answer).encode() if answer is not None else b"",
    )


def test_a_valid_exchange_passes() -> None:
    group = {"id": "g1", "name": "eng", "user_count": 0, "discount_percent": None, "group_category_id": None,
             "sign_up_field_rule": {"enforce": False, "require_match_all": False, "options": []},
             "rule_email_domains": []}  # fmt: skip
    assert (
        exchange_errors(
            skilljar_spec(), [_exchange("POST", "/v1/groups", {"name": "eng"}, status=201, answer=group)]
        )
        == []
    )


def test_a_request_body_the_spec_does_not_allow_is_reported() -> None:
    malformed = _exchange("POST", "/v1/groups/abc123/users", {"user": {"email": "a@acme.com"}}, status=400)

    problems = exchange_errors(skilljar_spec(), [malformed])

    assert len(problems) == 1
    assert problems[0].startswith("request POST /v1/groups/abc123/users: InvalidRequestBody")


def test_a_path_the_spec_does_not_have_is_reported() -> None:
    problems = exchange_errors(skilljar_spec(), [_exchange("GET", "/v1/groups/", status=404)])
    assert len(problems) == 1 and problems[0].startswith("request GET /v1/groups/:")


def test_missing_credentials_are_reported() -> None:
    anonymous = RecordedRequest("GET", "/v1/ping", "", {}, b"", 401)
    assert exchange_errors(skilljar_spec(), [anonymous])[0].startswith(
        "request GET /v1/ping: SecurityValidationError"
    )


def test_a_successful_response_of_the_wrong_shape_is_reported() -> None:
    wrong = _exchange(
        "GET", "/v1/groups", answer={"count": 1, "next": None, "previous": None, "results": "eng"}
    )

    problems = exchange_errors(skilljar_spec(), [wrong])

    assert len(problems) == 1 and problems[0].startswith("response 200 to GET /v1/groups:")
