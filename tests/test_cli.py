"""The commands as users run them: the quick start on the sandbox, confirmation, exit codes, the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from lmsform import console
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir, writes
from tests.examples import copy_example

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"


def _lmsform(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lmsform", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow  # runs the example's plan and apply on the sandbox
def test_the_quick_start_converges_on_the_sandbox_across_separate_runs(tmp_path: Path) -> None:
    copy_example("quickstart", tmp_path / "quickstart")

    applied = _lmsform("apply", "quickstart", "--auto-approve", cwd=tmp_path)
    planned = _lmsform("plan", "quickstart", "--detailed-exitcode", cwd=tmp_path)

    assert applied.returncode == 0, applied.stderr
    assert "Plan: 10 to add, 0 to change, 0 to remove." in applied.stdout
    assert "Apply complete: 10 added, 0 changed, 0 removed." in applied.stdout
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout == "No changes. Skilljar acme.skilljar.com matches the manifests.\n"
    assert (tmp_path / "quickstart" / ".lmsform" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (tmp_path / "quickstart" / ".lmsform" / "sandbox" / "skilljar.sqlite3").is_file()


def test_the_tests_never_see_what_a_users_own_quick_start_run_left_behind(tmp_path: Path) -> None:
    """A user runs the quick start in their clone, then the tests: the examples the tests copy must
    come without the sandbox data that run left in examples/quickstart/.lmsform/."""
    clone = tmp_path / "clone" / "examples"
    copy_example("quickstart", clone / "quickstart")
    assert _lmsform("apply", "quickstart", "--auto-approve", cwd=clone).returncode == 0
    assert (clone / "quickstart" / ".lmsform" / "sandbox").is_dir()

    copied = copy_example("quickstart", tmp_path / "test" / "quickstart", examples=clone)
    planned = _lmsform("plan", "quickstart", cwd=copied.parent)

    assert planned.returncode == 0, planned.stderr
    assert "Plan: 10 to add, 0 to change, 0 to remove." in planned.stdout


def test_plan_detailed_exitcode_is_2_when_there_are_changes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("users.yaml", "users:\n  - email: jane@acme.com\n")

    assert cli("plan", project.root).exit_code == 0
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 2


def test_apply_refuses_without_a_terminal_or_auto_approve(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("users.yaml", "users:\n  - email: jane@acme.com\n")

    result = cli("apply", project.root)

    assert result.exit_code == 1
    assert "Plan: 1 to add" in result.stdout
    assert (
        result.stderr
        == "Error: refusing to apply without --auto-approve: no terminal to ask for confirmation\n"
    )
    assert writes(skilljar) == []


@pytest.mark.parametrize(
    ("answer", "exit_code", "created"), [("no", 1, False), ("y", 1, False), ("yes", 0, True)]
)
def test_apply_asks_on_a_terminal_and_only_yes_applies(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    exit_code: int,
    created: bool,
) -> None:
    monkeypatch.setattr(console, "interactive", lambda: True)
    project.configure(skilljar.url)
    project.write("users.yaml", "users:\n  - email: jane@acme.com\n")

    result = cli("apply", project.root, input=f"{answer}\n")

    assert result.exit_code == exit_code
    assert "Only 'yes' will be accepted" in result.stdout
    assert (writes(skilljar) != []) is created
    if not created:
        assert result.stderr == "Error: Apply cancelled.\n"


def test_apply_with_nothing_to_do_makes_no_write(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("users.yaml", "users: []\n")

    result = cli("apply", project.root)

    assert result.exit_code == 0
    assert result.stdout.startswith("No changes.")
    assert writes(skilljar) == []


def test_the_emulator_command_serves_on_the_url_it_prints_first(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "lmsform", "emulator", "skilljar", "--port", "0", "--state", "e.sqlite3",
         "--api-key", "local-key", "--target", "learn.example.com"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/v1/ping", auth=("local-key", ""), timeout=5).status_code == 200
        assert requests.get(f"{url}/v1/ping", auth=("wrong", ""), timeout=5).status_code == 401
        domain = requests.get(f"{url}/v1/domains/learn.example.com", auth=("local-key", ""), timeout=5)
        assert domain.json()["name"] == "learn.example.com"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "e.sqlite3").is_file()


def test_version_and_help(cli: CliRunnerCall) -> None:
    assert cli("--version").stdout.startswith("lmsform, version ")
    assert "plan" in cli("--help").stdout


PASSWORD = "example-CANARY-password"


def _apply_then_plan_example(
    name: str, tmp_path: Path, **environment: str
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """`apply` then `plan --detailed-exitcode` of a copy of examples/NAME, as a new user runs them."""
    copy_example(name, tmp_path / "acme")
    env = {**os.environ, **environment}
    runs = [
        subprocess.run(
            [sys.executable, "-m", "lmsform", *command, "acme"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        for command in (("apply", "--auto-approve"), ("plan", "--detailed-exitcode"))
    ]
    return runs[0], runs[1]


@pytest.mark.slow  # runs the example's plan and apply on the sandbox
def test_the_skilljar_example_converges_on_the_sandbox(tmp_path: Path) -> None:
    applied, planned = _apply_then_plan_example("skilljar", tmp_path, LMSFORM_ACME_HOOK_PASSWORD=PASSWORD)

    assert applied.returncode == 0, applied.stdout + applied.stderr
    # The two changes: the domain's settings (examples/skilljar/domain.yaml), which always exist, and
    # the course the sandbox made with the lesson the sessions teach (adopted: it gets the label).
    assert "Apply complete: 65 added, 2 changed, 0 removed, 2 sent that cannot be read back." in (
        applied.stdout
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert planned.stdout.startswith("No changes. Skilljar acme.skilljar.com matches the manifests.\n")
    assert PASSWORD not in applied.stdout + applied.stderr + planned.stdout + planned.stderr


@pytest.mark.slow  # runs the example's plan and apply on the sandbox
def test_the_damstra_example_converges_on_the_sandbox(tmp_path: Path) -> None:
    applied, planned = _apply_then_plan_example("damstra", tmp_path, LMSFORM_DAVE_PASSWORD=PASSWORD)

    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 46 added, 0 changed, 0 removed." in applied.stdout
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes. Damstra Acme Safety matches the manifests." in planned.stdout
    assert PASSWORD not in applied.stdout + applied.stderr + planned.stdout + planned.stderr


@pytest.mark.slow  # runs the example's plan and apply on the sandbox
def test_the_versal_example_converges_on_the_sandbox(tmp_path: Path) -> None:
    applied, planned = _apply_then_plan_example("versal", tmp_path)

    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 13 added, 0 changed, 0 removed." in applied.stdout
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert planned.stdout.startswith("No changes. Versal 4242 matches the manifests.\n")
    # What Versal cannot read back is said, not assumed: course roles and a user's description.
    assert "Versal cannot report back the role and short_description of 6 object(s)" in planned.stdout


def test_the_versal_emulator_command_checks_the_sid_and_keeps_its_state(tmp_path: Path) -> None:
    key = "0b6f2b8e-6c1e-4d8a-9a55-0e0f6f7c2d11"
    process = subprocess.Popen(
        [sys.executable, "-m", "lmsform", "emulator", "versal", "--port", "0", "--state", "v.sqlite3",
         "--api-key", key, "--target", "77"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api2")
        users = requests.get(f"{url}/orgs/77/members", headers={"SID": key}, timeout=5)
        refused = requests.get(f"{url}/orgs/77/members", headers={"SID": "not-the-key"}, timeout=5)
        assert users.status_code == 200 and users.json() == []
        assert refused.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "v.sqlite3").is_file()


def test_the_emulator_command_refuses_a_target_the_vendor_cannot_have(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lmsform", "emulator", "versal", "--target", "acme"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert result.returncode == 1
    assert result.stderr.strip() == "Error: A Versal organisation is a number, not 'acme'."
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # runs the example's plan and apply on the sandbox
def test_the_training_records_example_converges_on_the_sandbox(tmp_path: Path) -> None:
    applied, planned = _apply_then_plan_example("training-records", tmp_path)

    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 7 added, 0 changed, 0 removed." in applied.stdout
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert planned.stdout == "No changes. Training Records sandbox matches the manifests.\n"


def test_the_training_records_emulator_command_checks_basic_auth(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "lmsform", "emulator", "training-records", "--port", "0", "--state",
         "t.sqlite3", "--api-key", "local-key"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        listed = requests.get(f"{url}/training/record/", auth=("lmsform", "local-key"), timeout=5)
        refused = requests.get(f"{url}/training/record/", auth=("lmsform", "wrong"), timeout=5)
        assert listed.status_code == 200 and listed.json() == []
        assert refused.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "t.sqlite3").is_file()
