"""The provider contract: every provider, against its own emulator over real HTTP, must behave alike.

Apply converges; a change converges; a restart keeps the data; a saved plan applies; export
re-plans empty; the kinds the vendor cannot manage are refused before any call with the reason;
the API key never shows; a rejected key is a clear error naming the vendor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import get_args, get_type_hints

import pytest
from click.testing import Result

from lmsform.kinds import KINDS_BY_NAME
from lmsform.plan import Action
from lmsform.providers import registry
from lmsform.providers.base import ApiProvider, KindSupport, Provider, Readback, Removal
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer
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
        return emulator_for(self.case.provider).api_root(self.server.url)

    def writes(self) -> int:
        return sum(
            1
            for request in self.server.requests
            if request.method != "GET" and "/_emulator" not in request.path
        )


def _start(case: ContractCase, state: Path) -> EmulatorServer:
    return EmulatorServer(emulator_for(case.provider).app(state, api_key=case.key, target=None)).start()


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
        "sessions": "sessions:\n  - lesson: X\n    starts_at: 2030-01-01T09:00:00Z\n"
        "    ends_at: 2030-01-01T10:00:00Z\n",
        "instructors": "instructors:\n  - email: ian@acme.com\n",
        "paths": "paths:\n  - slug: onboarding\n",
        "plans": "plans:\n  - name: All Access\n",
        "lessons": "lessons:\n  - name: Induction\n",
        "domain": "domain:\n  catalog_title: Academy\n",
        "completions": "completions:\n  - user: ann\n    lesson: Induction\n",
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


# --- every provider's OPERATIONS table covers what its plans can hold -----------------------------------


def _may_not_tell(readback: Readback) -> bool:
    """Whether a readback may answer None (cannot tell), which makes the planner send the value again
    (REASSERT). Its return type says so; one without any is taken to."""
    returns = get_type_hints(readback).get("return")
    return returns is None or type(None) in get_args(returns) or returns is type(None)


def _plannable(kind_name: str, support: KindSupport) -> set[Action]:
    """The actions lmsform.planner can plan for a kind a provider declares so (one line per rule)."""
    if KINDS_BY_NAME[kind_name].reference_only or support.names_only:
        return set()  # only named by the manifests (lessons, paths, Training Records' people): never planned
    if not support.readable:
        return {Action.REASSERT}  # sent on every apply; a removal is a declared revoke, sent the same way
    # A singleton (the domain's settings) always exists at the vendor: it is only ever updated.
    actions = set() if KINDS_BY_NAME[kind_name].singleton else {Action.CREATE}
    if support.updatable:
        actions.add(Action.UPDATE)
    if any(_may_not_tell(readback) for readback in support.readback.values()):
        actions.add(Action.REASSERT)
    removals = {Removal.DELETE: {Action.DELETE}, Removal.DEACTIVATE: {Action.DEACTIVATE}, Removal.NONE: set()}
    return actions | removals[support.removal]


def operations_table_problems(provider: type[Provider]) -> list[str]:
    """What is wrong with a provider's OPERATIONS table: a (kind, action) its plans can hold and the
    table lacks, or one the table has and no plan can hold (a kind it does not support, or an action
    its KindSupport rules out)."""
    assert issubclass(provider, ApiProvider), f"{provider.__name__} does not build on ApiProvider"
    wanted = {
        (kind_name, action)
        for kind_name, support in provider.supports.items()
        for action in _plannable(kind_name, support)
    }
    table = set(provider.OPERATIONS)
    missing = [f"no operation for {action.value} {kind}" for kind, action in sorted(wanted - table)]
    extra = [f"an operation no plan calls: {action.value} {kind}" for kind, action in sorted(table - wanted)]
    return missing + extra


@pytest.mark.parametrize("vendor", sorted(registry()))
def test_the_operations_table_covers_every_kind_and_action_the_plans_can_hold(vendor: str) -> None:
    assert operations_table_problems(registry()[vendor]) == []


@pytest.mark.parametrize("vendor", sorted(registry()))
def test_a_missing_or_stray_operation_is_caught(vendor: str) -> None:
    provider = registry()[vendor]
    assert issubclass(provider, ApiProvider)
    first, *rest = sorted(provider.OPERATIONS)
    stray = ("webhooks" if "webhooks" not in provider.supports else "lessons", Action.CREATE)
    broken = type(
        "Broken",
        (provider,),
        {
            "OPERATIONS": {
                **{key: provider.OPERATIONS[key] for key in rest},
                stray: provider.OPERATIONS[first],
            }
        },
    )

    assert operations_table_problems(broken) == [
        f"no operation for {first[1].value} {first[0]}",
        f"an operation no plan calls: create {stray[0]}",
    ]


def test_a_readback_that_may_not_tell_is_known_by_its_return_type() -> None:
    def unsure(declared: object, live: object) -> bool | None:
        return None

    def sure(declared: object, live: object) -> bool:
        return True

    assert (_may_not_tell(unsure), _may_not_tell(sure), _may_not_tell(lambda declared, live: True)) == (
        True,
        False,
        True,
    )
