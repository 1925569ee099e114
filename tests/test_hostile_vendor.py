"""A hostile vendor: hangs, unbounded `Retry-After`, endless retries, and malformed answers of every kind.

Each ends in a clear error naming the vendor, the endpoint and what was wrong, after a bounded time,
with nothing further written. The transport cases run the shared HTTP layer against a scripted server
with short timeouts; the malformed answers run `plan` and `apply` against every vendor's emulator.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
import pytest
import requests
from click.testing import Result
from requests.auth import HTTPBasicAuth

from lmsform.errors import ProviderError
from lmsform.providers.emulation.faults import MALFORMED_KINDS, Faults, MalformedKind
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer, RecordedRequest
from lmsform.providers.http import HttpClient
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir, api_calls
from tests.providers.cases import CASES, ContractCase, case_ids, write_project

# --- the transport: hangs, Retry-After, bounded retries ---------------------------------------------------


@pytest.fixture
def scripted() -> flask.Flask:
    app = flask.Flask("scripted")
    calls: dict[str, int] = {}

    @app.route("/items", methods=["GET", "POST"])
    def items() -> flask.Response:
        return flask.jsonify([{"id": 1}])

    @app.get("/in-an-hour")
    def in_an_hour() -> flask.Response:
        headers = {"Retry-After": flask.request.args.get("after", "3600")}
        return flask.Response('{"detail": "Come back later."}', 429, headers, content_type="application/json")

    @app.get("/down")
    def down() -> flask.Response:
        return flask.Response('{"detail": "Service unavailable"}', 503, content_type="application/json")

    @app.get("/soon")
    def soon() -> flask.Response:
        calls["soon"] = calls.get("soon", 0) + 1
        if calls["soon"] == 1:
            return flask.Response(
                '{"detail": "Busy"}', 503, {"Retry-After": "soon"}, content_type="application/json"
            )
        return flask.jsonify([])

    return app


def _client(server: EmulatorServer, **settings: float) -> HttpClient:
    options: dict[str, float] = {"timeout": 0.2, "retries": 2, "backoff": 0.05, **settings}
    return HttpClient(
        vendor="acme",
        base_url=server.url,
        auth=None,
        timeout=options["timeout"],
        parallelism=1,
        retries=int(options["retries"]),
        backoff=options["backoff"],
        retry_budget=options.get("retry_budget", 120.0),
    )


HANG = 0.4


def _recorded(server: EmulatorServer) -> int:
    """How many requests reached the server. A hanging request is recorded when its hang ends; every
    request of a call that failed was sent before it failed, so all are recorded one hang later."""
    time.sleep(HANG + 0.2)
    return len(server.requests)


@pytest.fixture
def hanging(scripted: flask.Flask) -> Iterator[EmulatorServer]:
    with EmulatorServer(scripted, faults=Faults(hang_rate=1, hang_seconds=HANG)) as server:
        yield server


def test_a_hanging_read_is_retried_then_ends_in_a_clear_error(hanging: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(hanging).json("GET", "/items", kind="users")
    message = str(failure.value)
    assert message.startswith("acme users: no answer within 0.2 s (timeout); retried, gave up after ")
    assert message.endswith("(GET /items)")
    assert _recorded(hanging) == 3  # the first try and two retries, no more
    assert [request.fault for request in hanging.requests] == ["hang"] * 3


def test_a_hanging_create_is_not_sent_again(hanging: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(hanging).json("POST", "/items", kind="users", key='users["ann"]')
    assert str(failure.value) == 'acme users["ann"]: no answer within 0.2 s (timeout) (POST /items)'
    assert _recorded(hanging) == 1


@pytest.mark.parametrize("after", ["3600", "Wed, 21 Oct 2065 07:28:00 GMT"])
def test_a_retry_after_beyond_what_lmsform_waits_is_reported_not_slept(
    scripted: flask.Flask, after: str
) -> None:
    with EmulatorServer(scripted) as server:
        with pytest.raises(ProviderError) as failure:
            _client(server, retries=5).json(
                "GET", f"/in-an-hour?after={after.replace(' ', '%20')}", kind="users"
            )
        assert failure.value.status == 429
        assert "Come back later.; the vendor asks to wait " in str(failure.value)
        assert (
            "s before trying again (Retry-After), longer than lmsform waits (120 s): try again later"
            in str(failure.value)
        )
        assert len(server.requests) == 1


def test_retrying_stops_when_its_time_is_spent(scripted: flask.Flask) -> None:
    with EmulatorServer(scripted) as server:
        client = _client(server, retries=10, backoff=0.2, retry_budget=1.0)
        with pytest.raises(ProviderError) as failure:
            client.json("GET", "/down", kind="users")
        attempts = len(server.requests)
        # Waits of 0, 0.4 and 0.8 s (plus jitter): the third would end past the second allowed.
        assert 2 <= attempts <= 3
        assert str(failure.value).startswith(
            f"acme users: Service unavailable; gave up after {attempts} attempts in "
        )
        assert str(failure.value).endswith("(GET /down, HTTP 503)")


def test_an_unreadable_retry_after_means_backing_off(scripted: flask.Flask) -> None:
    with EmulatorServer(scripted) as server:
        assert _client(server).json("GET", "/soon") == []
        assert [request.status for request in server.requests] == [503, 200]


# --- malformed answers, in plan and in apply, for every vendor ----------------------------------------------

# What each kind of malformed answer must be reported as.
REPORTED: Mapping[MalformedKind, str] = {
    "html": r"Bad Gateway: an HTML page \(text/html; charset=utf-8\) '502 Bad Gateway'",
    "truncated": r"malformed response: the JSON is cut short after \d+ characters",
    # A loop: `next` pointing back, or offset paging serving the first page again with a count that
    # promises more (on an empty list, the count alone lies).
    "loop": r"malformed list response: (pagination loops|.*`(totalResultCount|count)` is \d+)",
    "shape": r"malformed (list )?response: expected (a list|an object)",
    "no_id": r"malformed (list )?response: (item \d+ has )?no `[a-z_.]*id`",
}
# An error line: the vendor, what was wrong, and the call, e.g. `(GET /v1/groups?page_size=1000, HTTP 200)`.
CALL = r" \((GET|POST|PUT|PATCH|DELETE) /\S+(, HTTP \d{3})?\)$"
# Creates whose answer, once lost, lmsform looks up with a paged read (none for Training Records: its
# records carry the id lmsform gives them, read back one by one). The look-up reads the whole list
# when the create was not made.
LOOKED_UP = {"skilljar": r"/v1/groups", "damstra": r"/api/v2/user", "versal": r"/api2/orgs/\d+/users"}
# Versal's paging ends at an empty page whatever its headers say: give the look-up a member to page.
MEMBER = {"users": [{"email": "zed@acme.com", "firstname": "Zed", "lastname": "Old", "roles": ["learner"]}]}


@dataclass
class Vendor:
    """A contract case's emulator and project: one retry, and one call at a time (a strict order)."""

    case: ContractCase
    server: EmulatorServer
    root: Path

    def write(self, files: Mapping[str, str]) -> None:
        api_root = emulator_for(self.case.provider).api_root(self.server.url)
        write_project(self.root, self.case, api_root, dict(files))
        config = self.root / "lmsform.yaml"
        strict = "provider:\n  retries: 1\n  parallelism: 1\n"
        config.write_text(config.read_text().replace("provider:\n", strict, 1))

    def writes_since(self, start: int) -> list[RecordedRequest]:
        return [request for request in api_calls(self.server, since=start) if request.method != "GET"]


@contextmanager
def _serving(case: ContractCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Vendor]:
    monkeypatch.setenv(case.key_variable, case.key)
    for name, value in case.extra_env.items():
        monkeypatch.setenv(name, value)
    app = emulator_for(case.provider).app(tmp_path / "state.sqlite3", api_key=case.key, target=None)
    with EmulatorServer(app) as server:
        case.seed(server.url)
        yield Vendor(case, server, tmp_path / "project")


@pytest.fixture(params=CASES, ids=case_ids)
def vendor(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Vendor]:
    with _serving(request.param, tmp_path, monkeypatch) as serving:
        yield serving


def _error_line(result: Result) -> str:
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")][-1]


@pytest.mark.parametrize("kind", MALFORMED_KINDS)
def test_a_malformed_read_stops_plan_and_apply_before_any_write(
    vendor: Vendor, kind: MalformedKind, cli: CliRunnerCall
) -> None:
    vendor.write(vendor.case.files)
    assert cli("apply", vendor.root, "--auto-approve").exit_code == 0  # lists with items to spoil
    vendor.write({**vendor.case.files, **vendor.case.changed})
    start = len(vendor.server.requests)
    vendor.server.faults.update(malformed=1, malformed_kind=kind)

    for command in (("plan",), ("apply", "--auto-approve")):
        result = cli(*command, vendor.root)

        assert result.exit_code == 1, result.output
        line = _error_line(result)
        assert re.match(rf"Error: {vendor.case.provider}\b.*: {REPORTED[kind]}.*{CALL}", line), line
    assert vendor.writes_since(start) == []


def _mid_apply_kinds() -> list[Any]:
    return [
        pytest.param(case, kind, id=f"{case.provider}-{kind}")
        for case in CASES
        for kind in MALFORMED_KINDS
        if kind != "loop" or case.provider in LOOKED_UP
    ]


@pytest.mark.parametrize(("case", "kind"), _mid_apply_kinds())
def test_a_malformed_answer_in_the_middle_of_an_apply_stops_it(
    case: ContractCase,
    kind: MalformedKind,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: CliRunnerCall,
) -> None:
    with _serving(case, tmp_path, monkeypatch) as vendor:
        vendor.write(case.files)
        # Every answer after the first write is spoilt: the creates' answers lmsform goes on with, the
        # look-ups after a lost answer. A loop can only be met in a paged read: the apply's look-up
        # after a create that failed with 503.
        if kind == "loop":
            vendor.server.recorder.refuse_answers("POST", LOOKED_UP[case.provider], 1)
            if case.provider == "versal":
                requests.post(
                    f"{vendor.server.url}/_emulator/seed", json=MEMBER, timeout=10
                ).raise_for_status()
        vendor.server.recorder.spoil_answers(kind, after_writes=1)

        result = cli("apply", vendor.root, "--auto-approve")

        assert result.exit_code == 1, result.output
        line = _error_line(result)
        assert re.match(rf"Error: .+?: {case.provider}: {REPORTED[kind]}.*{CALL}", line), line
        calls = api_calls(vendor.server)
        spoilt = next(index for index, call in enumerate(calls) if call.fault == "malformed")
        later = {(call.method, call.path) for call in calls[spoilt + 1 :] if call.method != "GET"}
        # Nothing new starts; an HTML error page (a 502) may only make lmsform repeat that same call.
        assert later <= ({(calls[spoilt].method, calls[spoilt].path)} if kind == "html" else set()), later
        assert "not attempted" in result.output


def test_an_error_page_that_echoes_the_key_is_shown_masked(project: ProjectDir, cli: CliRunnerCall) -> None:
    app = flask.Flask("echo")

    @app.route("/<path:anything>")
    def echo(anything: str) -> flask.Response:
        credentials = flask.request.authorization
        key = credentials.username if credentials else ""
        page = f"<html><head><title>Unknown key {key}</title></head></html>"
        return flask.Response(page, 502, content_type="text/html")

    with EmulatorServer(app) as server:
        project.configure(server.url, extra="  retries: 0\n")
        project.write("people.yaml", "users:\n  - email: ann@acme.com\n")

        result = cli("plan", project.root)
        # The error itself, not only what the command prints, holds the key masked (journals, logs).
        client = HttpClient(
            vendor="skilljar",
            base_url=server.url,
            auth=HTTPBasicAuth(CANARY_KEY, ""),
            timeout=5,
            parallelism=1,
            retries=0,
        )
        with pytest.raises(ProviderError) as failure:
            client.json("GET", "/v1/ping")
        assert CANARY_KEY not in str(failure.value) and "Unknown key ********" in str(failure.value)

    assert result.exit_code == 1
    assert _error_line(result) == (
        "Error: skilljar domain acme.skilljar.com: BAD GATEWAY: an HTML page (text/html) "
        "'Unknown key ********' (GET /v1/domains/acme.skilljar.com, HTTP 502)"
    )
    assert CANARY_KEY not in result.output
