"""The API key never appears in any output: normal runs, --verbose logs, and every error path."""

from __future__ import annotations

import base64
import re
import socket
from pathlib import Path

from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir

PEOPLE = (
    "users:\n  - email: jane@acme.com\n    first_name: Jane\n    groups: [staff]\ngroups:\n  - name: staff\n"
)


def _output(result: object) -> str:
    return f"{result.stdout}\n{result.stderr}"  # type: ignore[attr-defined]


def test_the_key_is_sent_but_never_shown_in_verbose_runs(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)

    runs = [
        cli("validate", project.root, "--verbose"),
        cli("plan", project.root, "--verbose"),
        cli("apply", project.root, "--verbose", "--auto-approve"),
        cli("plan", project.root, "--verbose"),
    ]

    assert [run.exit_code for run in runs] == [0, 0, 0, 0]
    expected_header = "Basic " + base64.b64encode(f"{CANARY_KEY}:".encode()).decode()
    assert {request.headers.get("Authorization") for request in skilljar.requests} == {expected_header}
    verbose_log = runs[2].stderr
    assert re.search(
        rf"lmsform\.http: GET /v1/domains/{DOMAIN}/users\?page_size=1000 -> 200 \(\d+ ms\)", verbose_log
    )
    assert re.search(r"lmsform\.http: POST /v1/groups -> 201 \(\d+ ms\)", verbose_log)
    for run in runs:
        assert CANARY_KEY not in _output(run)
        assert expected_header.split()[1] not in _output(run)


def test_a_rejected_key_is_reported_without_the_key(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    app = create_app(
        tmp_path / "s.sqlite3", api_key="another-key-entirely", options=SkilljarEmulatorOptions((DOMAIN,))
    )
    with EmulatorServer(app) as server:
        project.configure(server.url)
        project.write("people.yaml", PEOPLE)

        result = cli("plan", project.root, "--verbose")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: skilljar domain {DOMAIN}: Invalid username/password. (GET /v1/domains/{DOMAIN}, HTTP 401)"
    )
    assert CANARY_KEY not in _output(result)


def test_an_unreachable_api_is_reported_without_the_key(project: ProjectDir, cli: CliRunnerCall) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    project.configure(f"http://127.0.0.1:{closed_port}", extra="  retries: 0\n")
    project.write("people.yaml", PEOPLE)

    result = cli("plan", project.root, "--verbose")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: skilljar domain {DOMAIN}: cannot connect to 127.0.0.1:{closed_port}: Connection refused "
        f"(GET /v1/domains/{DOMAIN})"
    )
    assert CANARY_KEY not in _output(result)


def test_a_key_that_ends_up_in_an_error_message_is_masked(project: ProjectDir, cli: CliRunnerCall) -> None:
    # A key pasted into the API host: the connection error names the host, in lower case.
    project.configure(f"https://{CANARY_KEY}.invalid", extra="  retries: 0\n")
    project.write("people.yaml", PEOPLE)

    allowed: dict[str, str | None] = {"LMSFORM_ALLOWED_ORIGINS": f"https://{CANARY_KEY.lower()}.invalid"}
    result = cli("plan", project.root, "--verbose", env=allowed)

    assert result.exit_code == 1
    assert "cannot connect to ********.invalid" in result.stderr
    assert CANARY_KEY.lower() not in _output(result).lower()


def test_attack_a_value_equal_to_the_key_is_masked_in_every_plan_format(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """A manifest value may not name the key's variable, but another variable may hold the same value
    (a pull request cannot set one, a careless workflow can): what a plan shows passes the same mask
    as every log line and error."""
    project.configure(skilljar.url)
    project.write("people.yaml", "users:\n  - email: jo@acme.com\n    first_name: ${LMSFORM_NICKNAME}\n")

    for output_format in ("text", "markdown", "json"):
        result = cli("plan", project.root, "--format", output_format, env={"LMSFORM_NICKNAME": CANARY_KEY})

        assert result.exit_code == 0, result.output
        assert CANARY_KEY not in result.output
        assert "********" in result.output
