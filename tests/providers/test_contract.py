"""The provider contract: every provider, against its own emulator over real HTTP, must behave alike.

Apply converges; a change converges; a restart keeps the data; a saved plan applies; export
re-plans empty; the kinds the vendor cannot manage are refused before any call with the reason;
the API key never shows; a rejected key is a clear error naming the vendor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result

from lmsform.providers.emulator import EmulatorServer
from tests.conftest import CliRunnerCall
from tests.providers.cases import CASES, ContractCase, case_ids, write_project

KEYS = {case.key for case in CASES}


@dataclass
class Running:
    case: ContractCase
    server: EmulatorServer
    state: Path

    @property
    def api_root(self) -> str:
        return self.case.provider_class.emulator_api_root(self.server.url)

    def writes(self) -> int:
        return sum(
            1
            for request in self.server.requests
            if request.method != "GET" and "/_emulator" not in request.path
        )


def _start(case: ContractCase, state: Path) -> EmulatorServer:
    return EmulatorServer(case.provider_class.emulator_app(state, api_key=case.key, target=None)).start()


@pytest.fixture(params=CASES, ids=case_ids)
def running(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Running]:
    case: ContractCase = request.param
    monkeypatch.setenv(case.key_variable, case.key)  # Skilljar's is also set by the `cli` fixture
    for name, value in case.extra_env.items():
        monkeypatch.setenv(name, value)
    state = tmp_path / f"{case.provider}.sqlite3"
    server = _start(case, state)
    case.seed(server.url)
    yield Running(case, server, state)
    server.stop()


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    assert all(key not in result.output for key in KEYS)
    return str(result.stdout)


def _project(tmp_path: Path, running: Running, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "project"
    write_project(root, running.case, running.api_root, files or running.case.files)
    return root


def test_apply_converges_and_a_change_converges_too(
    running: Running, tmp_path: Path, cli: CliRunnerCall
) -> None:
    root = _project(tmp_path, running)

    _ok(cli("validate", root))
    applied = _ok(cli("apply", root, "--auto-approve", "--verbose"))
    assert "Apply complete" in applied
    assert _ok(cli("plan", root, "--detailed-exitcode")).count("No changes.") == 1

    write_project(root, running.case, running.api_root, {**running.case.files, **running.case.changed})
    changed = cli("plan", root, "--detailed-exitcode")
    assert changed.exit_code == 2, changed.output
    _ok(cli("apply", root, "--auto-approve"))
    assert _ok(cli("plan", root, "--detailed-exitcode")).count("No changes.") == 1


def test_the_data_survives_a_restart(running: Running, tmp_path: Path, cli: CliRunnerCall) -> None:
    root = _project(tmp_path, running)
    _ok(cli("apply", root, "--auto-approve"))
    running.server.stop()
    running.server = _start(running.case, running.state)
    write_project(root, running.case, running.api_root, running.case.files)

    assert _ok(cli("plan", root, "--detailed-exitcode")).count("No changes.") == 1


def test_a_saved_plan_applies_exactly(running: Running, tmp_path: Path, cli: CliRunnerCall) -> None:
    root = _project(tmp_path, running)
    plan_file = tmp_path / "plan.json"
    planned = cli("plan", root, "--out", plan_file)
    assert planned.exit_code == 0, planned.output
    assert running.case.key not in plan_file.read_text()
    before = running.writes()

    _ok(cli("apply", plan_file))

    assert running.writes() > before
    assert _ok(cli("plan", root, "--detailed-exitcode")).count("No changes.") == 1


def test_export_re_plans_with_no_changes(running: Running, tmp_path: Path, cli: CliRunnerCall) -> None:
    root = _project(tmp_path, running)
    _ok(cli("apply", root, "--auto-approve"))
    exported = tmp_path / "exported"
    write_project(exported, running.case, running.api_root, {})

    _ok(cli("export", exported))

    _ok(cli("validate", exported))
    assert _ok(cli("plan", exported, "--detailed-exitcode")).count("No changes.") == 1


def test_kinds_the_vendor_cannot_manage_are_refused_before_any_call(
    running: Running, tmp_path: Path, cli: CliRunnerCall
) -> None:
    samples = {
        "webhooks": "webhooks:\n  - url: https://hooks.example/x\n",
        "courses": "courses:\n  - title: X\n",
        "supervisors": "supervisors:\n  - user: someone\n    revoke: true\n",
        "groups": "groups:\n  - name: crew\n",
    }
    provider = running.case.provider_class
    refused = {
        name: reason for name, reason in provider.unsupported_kinds.items() if name not in provider.supports
    }
    for kind_name, reason in refused.items():
        root = _project(
            tmp_path / kind_name, running, {**running.case.files, "extra.yaml": samples[kind_name]}
        )
        before = len(running.server.requests)

        result = cli("plan", root)

        assert result.exit_code == 1
        title = running.case.provider_class.title
        assert f"{title} cannot manage {kind_name}: {reason}" in result.stderr
        assert len(running.server.requests) == before


def test_a_rejected_key_is_a_clear_error(running: Running, tmp_path: Path, cli: CliRunnerCall) -> None:
    root = _project(tmp_path, running)

    result = cli("plan", root, env={running.case.key_variable: running.case.wrong_key})

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {running.case.provider}")
    assert "HTTP 40" in result.stderr
