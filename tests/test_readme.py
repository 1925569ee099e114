"""The README stays true: CI runs its test command, and the quick start says what the example does."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import CliRunnerCall

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _first_command_after(marker: str) -> str:
    block = re.search(re.escape(marker) + r".*?```sh\n(.*?)\n", README, re.DOTALL)
    assert block is not None, f"no sh block after {marker!r} in README.md"
    return block.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = _first_command_after("<!-- test-command -->")
    ci_commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert ci_commands[-1] == test_command
    assert "python -m pip install --quiet --constraint \"$constraints\" '.[test]'" in ci_commands


def test_the_quick_start_installs_into_a_virtual_environment_from_the_pinned_versions() -> None:
    quick_start = _first_command_after("## Quick start")

    assert quick_start.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
    assert "pip install -c .ci/constraints.txt '.[test]'" in quick_start


def test_the_quick_start_describes_what_the_example_declares(cli: CliRunnerCall) -> None:
    quick_start = _first_command_after("## Quick start")
    assert "lmsform apply examples/quickstart --auto-approve" in quick_start
    assert "lmsform plan examples/quickstart" in quick_start

    result = cli("validate", ROOT / "examples" / "quickstart")

    assert result.exit_code == 0, result.output
    assert "4 users, 2 groups, 4 memberships" in result.stdout
    assert "`apply` creates 4 users, 2 groups and 4 memberships" in README
