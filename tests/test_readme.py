"""The README stays true: CI runs its test command, and the quick start says what the example does."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import CliRunnerCall

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


# What pip prints when the package index cannot be reached: the quick start then cannot run here.
NO_NETWORK = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ProxyError",
    "ConnectTimeoutError",
)
# Set by the test run, not by a new user's shell: they would point the quick start at this checkout.
NOT_IN_A_NEW_SHELL = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH")


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


def _fresh_clone(destination: Path) -> Path:
    """A clone of this checkout's repository, as a new user gets it; skips outside a git checkout."""
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("git and bash are needed to clone the repository and run the quick start")
    top = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != ROOT.resolve():
        pytest.skip("the tests do not run in a git checkout of lmsform, so there is nothing to clone")
    clone = destination / "lmsform"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    return clone


@pytest.mark.slow  # a fresh clone, a new virtual environment and the install from the constraints: ~40 s
def test_the_quick_start_runs_as_written_in_a_new_virtual_environment_on_a_fresh_clone() -> None:
    """Must show 4 of issue 18: the README's quick start, the very line, run by bash in a fresh clone
    with nothing of this test run's environment, ends with the plan that finds no changes."""
    quick_start = _first_command_after("## Quick start")
    environment = {name: value for name, value in os.environ.items() if name not in NOT_IN_A_NEW_SHELL}
    with tempfile.TemporaryDirectory(prefix="lmsform-quick-start-") as scratch:
        clone = _fresh_clone(Path(scratch))
        run = subprocess.run(
            ["bash", "-c", quick_start],
            cwd=clone,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        venv_has_lmsform = (clone / ".venv" / "bin" / "lmsform").is_file()

    if run.returncode != 0 and any(sign in run.stderr for sign in NO_NETWORK):
        pytest.skip(f"pip cannot reach the package index here: {run.stderr.strip().splitlines()[-1]}")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert venv_has_lmsform
    assert "Apply complete: 10 added, 0 changed, 0 removed." in run.stdout
    assert run.stdout.endswith("No changes. Skilljar acme.skilljar.com matches the manifests.\n")
