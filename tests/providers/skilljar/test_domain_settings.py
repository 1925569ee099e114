"""Skilljar domain settings (`domain:`): one object that always exists, declared as a mapping; each
declared field is set with one PATCH of the changed fields, an omitted field is left as it is, checked
in the emulator's store."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmsform.providers import registry
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls, writes
from tests.oracle import exchange_errors, skilljar_spec

SETTINGS = """
domain:
  catalog_title: <h1>Acme Academy</h1>
  access: PRIVATE_CODE
  access_code_message: <p>Ask your manager for a code.</p>
"""


def _stored_domain(server: EmulatorServer) -> dict[str, Any]:
    state = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    [row] = [row for row in state["domains"] if row["name"] == DOMAIN]
    return {name: row[name] for name in ("catalog_title", "access", "access_code_message_html")}


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    return result.stdout


def _assert_converged(cli: CliRunnerCall, project: ProjectDir) -> None:
    again = cli("plan", project.root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_every_declared_setting_is_set_in_one_patch_and_replans_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("domain.yaml", SETTINGS)

    plan = cli("plan", project.root, "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 0 to add, 1 to change, 0 to remove." in plan.stdout
    _apply(cli, project)

    assert _stored_domain(skilljar) == {
        "catalog_title": "<h1>Acme Academy</h1>",
        "access": "PRIVATE_CODE",
        "access_code_message_html": "<p>Ask your manager for a code.</p>",
    }
    assert writes(skilljar) == [("PATCH", f"/v1/domains/{DOMAIN}")]
    _assert_converged(cli, project)
    assert exchange_errors(skilljar_spec(), api_calls(skilljar)) == []


def test_a_change_sends_only_that_field_and_an_omitted_field_is_left_as_it_is(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("domain.yaml", SETTINGS)
    _apply(cli, project)
    since = len(skilljar.requests)
    project.write("domain.yaml", "domain:\n  access: PUBLIC\n")

    _apply(cli, project)

    assert _stored_domain(skilljar) == {
        "catalog_title": "<h1>Acme Academy</h1>",
        "access": "PUBLIC",
        "access_code_message_html": "<p>Ask your manager for a code.</p>",
    }
    [patch] = [request for request in skilljar.requests[since:] if request.method == "PATCH"]
    assert json.loads(patch.body) == {"access": "PUBLIC"}
    _assert_converged(cli, project)


def test_reading_the_settings_costs_no_request_and_undeclared_settings_are_never_written(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("domain.yaml", SETTINGS)
    project.write("people.yaml", "users:\n  - email: kim@acme.com\n")
    _apply(cli, project)

    def gets_of_one_plan() -> list[str]:
        since = len(skilljar.requests)
        _assert_converged(cli, project)
        return sorted(request.path for request in api_calls(skilljar, since=since) if request.method == "GET")

    declared = gets_of_one_plan()
    (project.root / "domain.yaml").unlink()
    assert gets_of_one_plan() == declared  # the domain check's answer holds the settings
    since = len(skilljar.requests)
    _apply(cli, project)
    assert _stored_domain(skilljar)["access"] == "PRIVATE_CODE"  # left as it is: never removed
    assert writes(skilljar, since=since) == []


def test_export_writes_the_domain_settings_and_replans_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("domain.yaml", SETTINGS)
    _apply(cli, project)
    (project.root / "domain.yaml").unlink()

    exported = cli("export", project.root, "--to", project.root / "exported", "--kinds", "domain")
    assert exported.exit_code == 0, exported.output

    text = (project.root / "exported" / "domain.yaml").read_text()
    assert "domain:\n  catalog_title: <h1>Acme Academy</h1>\n  access: PRIVATE_CODE\n" in text
    _assert_converged(cli, project)


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        ("domain:\n  access: SECRET\n", "2:11", "access"),
        ("domain:\n  catalog_title: ''\n", "2:18", "catalog_title"),
        ("domain:\n  - access: PUBLIC\n", "2:3", "expected fields here"),
        ("domain:\n  marketing_message: Hi\n", "2:3", "Skilljar cannot manage domain.marketing_message"),
    ],
)
def test_a_bad_setting_is_refused_at_its_place_offline(
    project: ProjectDir, cli: CliRunnerCall, entry: str, where: str, message: str
) -> None:
    project.configure("http://127.0.0.1:9")  # never reached: validation is offline
    project.write("domain.yaml", entry)

    result = cli("validate", project.root)

    assert result.exit_code != 0
    assert f"domain.yaml:{where}: " in result.output
    assert message in result.output


def test_settings_declared_in_two_files_are_an_error(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.configure("http://127.0.0.1:9")
    project.write("a.yaml", "domain:\n  access: PUBLIC\n")
    project.write("b.yaml", "domain:\n  access: PRIVATE\n")

    result = cli("validate", project.root)

    assert result.exit_code != 0
    assert "is declared twice" in result.output


@pytest.mark.parametrize(
    "body", [{"access": "SECRET"}, {"catalog_title": ""}, {"access_code_message_html": ""}]
)
def test_the_emulator_refuses_what_the_spec_does(skilljar: EmulatorServer, body: dict[str, Any]) -> None:
    before = _stored_domain(skilljar)

    answer = requests.patch(
        f"{skilljar.url}/v1/domains/{DOMAIN}", json=body, auth=(CANARY_KEY, ""), timeout=10
    )

    assert answer.status_code == 400
    assert set(answer.json()) == set(body)
    assert _stored_domain(skilljar) == before


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.dictionaries(
        st.sampled_from(["catalog_title", "access", "access_code_message_html"]),
        st.sampled_from(["PUBLIC", "PRIVATE", "PRIVATE_CODE"]),
    ),
    method=st.sampled_from(["PUT", "PATCH"]),
)
def test_put_and_patch_change_only_the_fields_sent(
    skilljar: EmulatorServer, changes: dict[str, str], method: str
) -> None:
    before = _stored_domain(skilljar)

    answer = requests.request(
        method, f"{skilljar.url}/v1/domains/{DOMAIN}", json=changes, auth=(CANARY_KEY, ""), timeout=10
    )

    assert answer.status_code == 200
    assert _stored_domain(skilljar) == {**before, **changes}
    assert {name: answer.json()[name] for name in before} == {**before, **changes}


def test_other_vendors_refuse_domain_settings_with_the_reason() -> None:
    for provider in registry().values():
        if provider.name != "skilljar":
            assert "domain" not in provider.supports
            assert provider.unsupported_kinds["domain"], provider.name
