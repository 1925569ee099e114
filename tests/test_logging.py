"""The log: LMSFORM_LOG and -v choose its level, --log-file where it goes, --log-format its form; retries
show in it; it never holds a secret, and quoted text in it cannot act on a terminal or a JSON reader."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from urllib3.response import HTTPResponse

from lmsform import logs
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.http import BoundedRetry, HttpClient
from lmsform.secrets import MASK, register
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir
from tests.test_injection import TERMINAL_ATTACK, assert_shown_safely

PEOPLE = (
    "users:\n  - email: jane@acme.com\n    first_name: Jane\n    groups: [staff]\ngroups:\n  - name: staff\n"
)
# A secret of this test alone: masked wherever it shows, and caught by the suite's guard if it is not.
SECRET = "webhook-CANARY-logging-7c1e"


@pytest.mark.parametrize(
    ("named", "verbose", "expected"),
    [
        (None, False, logging.WARNING),
        (None, True, logging.INFO),
        ("TRACE", False, logs.TRACE),
        ("debug", False, logging.DEBUG),
        ("Info", False, logging.INFO),
        ("WARN", False, logging.WARNING),
        ("ERROR", False, logging.ERROR),
        ("ERROR", True, logging.INFO),  # -v asks for more than ERROR: the more detailed wins
        ("DEBUG", True, logging.DEBUG),
        ("OFF", False, logs.OFF),
        ("", False, logging.WARNING),  # set but empty: as if unset
    ],
)
def test_lmsform_log_names_the_level_as_tf_log_does_and_v_asks_for_info(
    named: str | None, verbose: bool, expected: int
) -> None:
    environ = {} if named is None else {logs.LEVEL_VARIABLE: named}
    assert logs.log_level(verbose, environ) == expected


def test_an_unknown_lmsform_log_is_an_argument_error_before_anything_starts(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)

    result = cli("plan", project.root, env={"LMSFORM_LOG": "chatty"})

    assert result.exit_code == 2, result.output
    assert (
        "LMSFORM_LOG='chatty' is not a log level: use TRACE, DEBUG, INFO, WARN, ERROR or OFF" in result.stderr
    )
    assert skilljar.requests == []


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "unit.log"
    yield path
    logs.close_log_files()


def _configure(path: Path, log_format: logs.LogFormat, level: str = "DEBUG") -> None:
    logs.configure(
        logs.LogChoice(file=path, format=log_format), {logs.LEVEL_VARIABLE: level}, stderr=io.StringIO()
    )


def test_a_json_log_is_one_object_per_line_with_its_fields_exact_escaped_and_secrets_masked(
    log_file: Path,
) -> None:
    register(SECRET)
    _configure(log_file, "json")

    logging.getLogger("lmsform.http").info(
        "GET %s -> 429 (key %s)", TERMINAL_ATTACK, SECRET, extra={"path": TERMINAL_ATTACK, "token": SECRET}
    )
    logs.close_log_files()

    text = log_file.read_text(encoding="utf-8")
    assert text.isascii() and text.count("\n") == 1  # every other character is an escape
    assert_shown_safely(text)
    entry = json.loads(text)
    assert list(entry)[:4] == ["time", "level", "logger", "message"]
    assert entry["time"].endswith("Z") and entry["level"] == "INFO" and entry["logger"] == "lmsform.http"
    assert entry["message"] == f"GET {TERMINAL_ATTACK} -> 429 (key {MASK})"
    assert entry["path"] == TERMINAL_ATTACK  # exact: JSON escapes it, a reader gets it back
    assert entry["token"] == MASK
    assert "CANARY" not in text


def test_a_text_log_file_has_time_and_level_and_each_record_on_one_escaped_line(log_file: Path) -> None:
    register(SECRET)
    _configure(log_file, "text")

    logging.getLogger("lmsform.writes").warning("record %s, key %s", TERMINAL_ATTACK, SECRET)
    logging.getLogger("lmsform.http").log(logs.TRACE, "below the level: not written")
    logs.close_log_files()

    [line] = log_file.read_text(encoding="utf-8").splitlines()
    assert_shown_safely(line)
    time, level, rest = line.split(" ", 2)
    assert time.endswith("Z") and level == "WARNING"
    assert rest.startswith("lmsform.writes: record ops\\u001b]8;;") and rest.endswith(f"key {MASK}")
    assert log_file.stat().st_mode & 0o077 == 0  # the log names learners: its owner's only


def test_lmsform_log_off_writes_nothing_and_trace_writes_each_request_as_it_is_sent(
    log_file: Path, tmp_path: Path
) -> None:
    _configure(log_file, "text", level="OFF")
    logging.getLogger("lmsform.apply").error("an error, but the log is off")
    logs.close_log_files()
    assert log_file.read_text(encoding="utf-8") == ""

    app = flask.Flask("answers")
    app.add_url_rule("/v1/users", view_func=lambda: flask.jsonify([]))
    traced = tmp_path / "trace.log"
    _configure(traced, "text", level="TRACE")
    with EmulatorServer(app) as server:
        _client(server).json("GET", "/v1/users")
    logs.close_log_files()
    lines = [line.split(" ", 2)[1:] for line in traced.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == ["TRACE", "lmsform.http: GET /v1/users: sending"]
    assert lines[1][0] == "INFO" and lines[1][1].startswith("lmsform.http: GET /v1/users -> 200 (")


def _client(server: EmulatorServer) -> HttpClient:
    return HttpClient(vendor="Test", base_url=server.url, auth=None, timeout=5, parallelism=1, backoff=0)


def _retry_of(status: int, retry_after: str) -> BoundedRetry:
    response = HTTPResponse(
        body=b"", status=status, headers={"Retry-After": retry_after}, preload_content=False
    )
    retry = BoundedRetry(total=3, status_forcelist={429}, respect_retry_after_header=True, budget=120)
    retried: BoundedRetry = retry.increment("GET", "/v1/users?page=2", response=response)
    return retried


def test_a_429_and_the_wait_its_retry_after_asks_for_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="lmsform.http")

    _retry_of(429, "7")

    [record] = caplog.records
    assert record.getMessage() == "GET /v1/users?page=2 -> 429; retry 1 in 7.0 s (as Retry-After asks)"
    fields = {name: getattr(record, name) for name in ("method", "path", "status", "wait_seconds", "retry")}
    assert fields == {
        "method": "GET",
        "path": "/v1/users?page=2",
        "status": 429,
        "wait_seconds": 7,
        "retry": 1,
    }


def test_a_retry_after_longer_than_lmsform_waits_is_logged_as_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="lmsform.http")

    with pytest.raises(Exception, match="Max retries"):
        _retry_of(429, "3600")

    assert caplog.messages == [
        "GET /v1/users?page=2 -> 429; not retried: the wait of 3600.0 s would end past lmsform's 120 s of "
        "retrying"
    ]


def test_each_retry_of_a_5xx_shows_in_the_verbose_log_without_headers_or_bodies(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = flask.Flask("flaky")
    answers = iter([503, 503])

    @app.get("/v1/users")
    def users() -> flask.Response:
        status = next(answers, 200)
        return flask.Response(
            f'{{"detail": "busy {SECRET}"}}', status=status, content_type="application/json"
        )

    caplog.set_level(logging.INFO, logger="lmsform.http")
    with EmulatorServer(app) as server:
        client = HttpClient(
            vendor="Test",
            base_url=server.url,
            auth=None,
            timeout=5,
            parallelism=1,
            backoff=0,
            headers={"Authorization": f"Token {SECRET}"},
        )
        client.json("GET", "/v1/users", params={"page_size": 10})

    retries = [message for message in caplog.messages if "retry" in message]
    assert retries == [
        "GET /v1/users?page_size=10 -> 503; retry 1 in 0.0 s (backing off)",
        "GET /v1/users?page_size=10 -> 503; retry 2 in 0.0 s (backing off)",
    ]
    assert caplog.messages[-1].startswith("GET /v1/users?page_size=10 -> 200 (")
    assert all(SECRET not in message and "busy" not in message for message in caplog.messages)


def test_the_secret_canary_is_absent_from_a_debug_log_file_of_a_plan_and_an_apply(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    debug: dict[str, str | None] = {"LMSFORM_LOG": "DEBUG"}

    planned = cli("plan", project.root, "--log-file", "plan.log", env=debug)
    applied = cli(
        "apply", project.root, "--auto-approve", "--log-file", "apply.log", "--log-format", "json", env=debug
    )

    assert (planned.exit_code, applied.exit_code) == (0, 0), planned.output + applied.output
    header = base64.b64encode(f"{CANARY_KEY}:".encode()).decode()
    plan_log = (tmp_path / "plan.log").read_text(encoding="utf-8")
    apply_log = (tmp_path / "apply.log").read_text(encoding="utf-8")
    for written in (plan_log, apply_log, planned.output, applied.output):
        assert CANARY_KEY not in written and header not in written
    assert f"lmsform.http: GET /v1/domains/{DOMAIN}/users?page_size=1000 -> 200 (" in plan_log
    assert "Plan:" in planned.stdout and "Plan:" not in plan_log  # the log, not the plan
    assert "lmsform.http" not in planned.stderr  # with a log file, stderr keeps warnings only
    entries = [json.loads(line) for line in apply_log.splitlines()]
    posts = [entry for entry in entries if entry.get("method") == "POST"]
    assert {(entry["path"], entry["status"]) for entry in posts} >= {("/v1/groups", 201)}


def test_a_log_file_that_is_a_symbolic_link_is_refused_and_its_target_left_alone(
    project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    """A pull request can put a link where the workflow's log file goes: the log is not written through it."""
    project.configure("sandbox")
    target = tmp_path / "target.txt"
    target.write_text("untouched\n", encoding="utf-8")
    (tmp_path / "lmsform.log").symlink_to(target)
    (tmp_path / "folder.log").mkdir()

    linked = cli("validate", project.root, "--log-file", "lmsform.log")
    folder = cli("validate", project.root, "--log-file", "folder.log")

    assert (
        linked.exit_code == 2
        and "cannot write the log to lmsform.log: it is a symbolic link" in linked.stderr
    )
    assert folder.exit_code == 2 and "--log-file" in folder.stderr
    assert target.read_text(encoding="utf-8") == "untouched\n"
