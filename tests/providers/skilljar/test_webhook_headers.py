"""Webhook `additional_headers` on Skilljar (skilljar.md D41): the names are managed, the values come
from the environment and reach Skilljar only, never a plan, an output, a saved plan or the journal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls
from tests.oracle import exchange_errors, skilljar_spec

TOKEN = "hook-token-CANARY-5d2a0c"
ROTATED = "hook-token-CANARY-rotated-77e1"
URL = "https://hooks.acme.example/lms"
HOOKS = f"""
webhooks:
  - url: {URL}
    events: [COURSE_COMPLETION, COURSE_ENROLLMENT]
    additional_headers:
      X-Api-Token: ${{LMSFORM_HOOK_TOKEN}}
"""


@pytest.fixture
def skilljar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("LMSFORM_HOOK_TOKEN", TOKEN)
    options = SkilljarEmulatorOptions(domains=(DOMAIN,))
    with EmulatorServer(
        create_app(tmp_path / "hooks.sqlite3", api_key=CANARY_KEY, options=options)
    ) as server:
        yield server


@pytest.fixture
def applied(skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> EmulatorServer:
    project.configure(skilljar.url, manage="webhooks: authoritative")
    project.write("integrations.yaml", HOOKS)
    _apply(cli, project)
    return skilljar


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _stored_headers(server: EmulatorServer) -> dict[str | None, dict[str, str]]:
    """Each stored webhook's headers, by event type, as the emulator's own store holds them."""
    hooks = requests.get(f"{server.url}/_emulator/state", timeout=10).json()["webhooks"]
    return {hook["event_type"]: hook["additional_headers"] for hook in hooks}


def _writes(server: EmulatorServer, cli: CliRunnerCall, project: ProjectDir) -> list[tuple[str, Any]]:
    """The writes one apply makes, each checked against Skilljar's OpenAPI document."""
    before = len(server.requests)
    _apply(cli, project)
    calls = api_calls(server, since=before)
    assert exchange_errors(skilljar_spec(), calls) == []
    return [(call.method, json.loads(call.body)) for call in calls if call.method != "GET"]


def _plans_nothing(cli: CliRunnerCall, root: Path) -> None:
    again = cli("plan", root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"No changes. Skilljar {DOMAIN} matches the manifests.\n")


def test_headers_are_created_with_the_values_of_the_environment_and_converge(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    assert _stored_headers(applied) == {
        "COURSE_COMPLETION": {"X-Api-Token": TOKEN},
        "COURSE_ENROLLMENT": {"X-Api-Token": TOKEN},
    }
    creates = [call for call in api_calls(applied) if call.method == "POST"]
    assert exchange_errors(skilljar_spec(), creates) == []
    _plans_nothing(cli, project.root)


def test_a_value_changed_in_the_environment_is_sent_again(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LMSFORM_HOOK_TOKEN", ROTATED)

    planned = cli("plan", project.root)

    assert planned.exit_code == 0, planned.output
    assert "(another value)" in planned.stdout and "(secret)" in planned.stdout
    assert "Plan: 0 to add, 2 to change, 0 to remove." in planned.stdout
    writes = _writes(applied, cli, project)
    assert writes == [("PATCH", {"additional_headers": {"X-Api-Token": ROTATED}})] * 2
    assert set(map(str, _stored_headers(applied).values())) == {str({"X-Api-Token": ROTATED})}
    _plans_nothing(cli, project.root)


def test_header_names_are_compared_and_the_whole_map_is_sent(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LMSFORM_HOOK_TENANT", "tenant-CANARY-acme")
    project.write(
        "integrations.yaml",
        HOOKS.replace("X-Api-Token:", "X-Acme-Token:") + "      X-Acme-Tenant: ${LMSFORM_HOOK_TENANT}\n",
    )

    writes = _writes(applied, cli, project)

    sent = {"X-Acme-Token": TOKEN, "X-Acme-Tenant": "tenant-CANARY-acme"}
    assert writes == [("PATCH", {"additional_headers": sent})] * 2
    assert list(_stored_headers(applied).values()) == [sent, sent]
    _plans_nothing(cli, project.root)


def test_headers_declared_empty_are_removed_and_headers_left_out_are_left_alone(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "integrations.yaml",
        HOOKS.replace("    additional_headers:\n      X-Api-Token: ${LMSFORM_HOOK_TOKEN}\n", ""),
    )
    _plans_nothing(cli, project.root)

    project.write(
        "integrations.yaml",
        HOOKS.replace(
            "additional_headers:\n      X-Api-Token: ${LMSFORM_HOOK_TOKEN}\n", "additional_headers: {}\n"
        ),
    )
    assert _writes(applied, cli, project) == [("PATCH", {"additional_headers": {}})] * 2
    assert list(_stored_headers(applied).values()) == [{}, {}]
    _plans_nothing(cli, project.root)
    # `additional_headers:` with nothing after it (null) declares no headers too.
    project.write("integrations.yaml", HOOKS.replace("      X-Api-Token: ${LMSFORM_HOOK_TOKEN}\n", ""))
    _plans_nothing(cli, project.root)


def test_an_export_re_plans_empty_without_the_values(
    applied: EmulatorServer, tmp_path: Path, cli: CliRunnerCall
) -> None:
    exported = ProjectDir(tmp_path / "exported")
    exported.configure(applied.url, manage="webhooks: authoritative")

    result = cli("export", exported.root)

    assert result.exit_code == 0, result.output
    assert TOKEN not in (exported.root / "webhooks.yaml").read_text(encoding="utf-8")
    _plans_nothing(cli, exported.root)


def test_no_value_shows_in_any_plan_output_saved_plan_or_journal(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    project.configure(skilljar.url, manage="webhooks: authoritative")
    project.write("integrations.yaml", HOOKS)
    shown = [
        cli("plan", project.root, "--format", output, "--verbose").output
        for output in ("text", "markdown", "json")
    ]
    plan_file = tmp_path / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0

    applied = cli("apply", plan_file, "--verbose")

    assert applied.exit_code == 0, applied.output
    assert all("X-Api-Token" in text and "(secret)" in text for text in shown)
    journals = list((project.root / ".lmsform").rglob("*.jsonl"))
    assert journals
    written = [plan_file.read_text(encoding="utf-8")] + [
        path.read_text(encoding="utf-8") for path in journals
    ]
    assert not [text for text in [*shown, applied.output, *written] if TOKEN in text]
    assert _stored_headers(skilljar)["COURSE_COMPLETION"] == {"X-Api-Token": TOKEN}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ("X Api Token", "'X Api Token' is not an HTTP header name"),
        ("X-Token:", "'X-Token:' is not an HTTP header name"),
    ],
)
def test_a_header_name_that_is_not_an_http_token_is_refused_where_it_is_written(
    project: ProjectDir, cli: CliRunnerCall, headers: str, message: str
) -> None:
    project.configure("https://api.skilljar.com")
    project.write("integrations.yaml", HOOKS.replace("X-Api-Token:", f"'{headers}':"))

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert "project/integrations.yaml:5:" in result.stderr
    assert message in result.stderr


def test_two_names_differing_only_in_case_are_one_header(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.configure("https://api.skilljar.com")
    project.write("integrations.yaml", HOOKS + "      x-api-token: ${LMSFORM_HOOK_TOKEN}\n")

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert "'X-Api-Token' and 'x-api-token' are one header: HTTP names ignore case" in result.stderr


def test_validate_needs_no_value(
    project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LMSFORM_HOOK_TOKEN", raising=False)
    project.configure("https://api.skilljar.com")
    project.write("integrations.yaml", HOOKS)

    result = cli("validate", project.root)

    assert result.exit_code == 0, result.output
