"""The composite action (action.yml) run locally: its `run:` steps in order with bash, the inputs as
env as GitHub passes them, no GitHub. The `uses:` steps (setup-python, artifacts, comments, the issue)
are GitHub's and are skipped; the journal artifact is copied by hand, as download-artifact would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, DOMAIN, writes

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
HEAD_SHA = "c0ffee0" + "0" * 33
RUN_URL = "https://github.example/acme/lms/actions/runs/4242"
# Shell-looking names: the action must never run text that a pull request wrote.
PEOPLE = """\
users:
  - email: learner00@acme.com
    first_name: $(touch pwned)
  - email: learner01@acme.com
    first_name: L1
  - email: learner02@acme.com
    first_name: '`touch pwned`'
groups:
  - name: crew
    members: [learner00@acme.com, learner01@acme.com]
"""


@dataclass
class ActionRun:
    """What one run of the action left: its outputs, the step that failed (if any), and its log."""

    outputs: dict[str, str]
    failed: str | None
    log: str
    summary: str
    step_outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def report(self) -> str:
        return Path(self.outputs["report-path"]).read_text(encoding="utf-8")


def _evaluate(expression: str, inputs: Mapping[str, str], steps: Mapping[str, Mapping[str, str]]) -> str:
    """The few expressions action.yml passes to its run steps: `a || b` of inputs, steps and github."""
    for term in (part.strip() for part in expression.split("||")):
        if term.startswith("inputs."):
            value = inputs[term.removeprefix("inputs.")]
        elif term.startswith("steps."):
            _, step, _, name = term.split(".")
            value = steps.get(step, {}).get(name, "")
        elif term == "github.sha":
            value = HEAD_SHA
        elif term in ("github.event.pull_request.head.sha", "github.token"):
            value = ""
        else:
            raise AssertionError(f"the local runner does not know the expression {term}")
        if value:
            return value
    return ""


def _resolve(text: Any, inputs: Mapping[str, str], steps: Mapping[str, Mapping[str, str]]) -> str:
    return EXPRESSION.sub(lambda match: _evaluate(match.group(1), inputs, steps), str(text))


def _read_outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_action(workspace: Path, temp: Path, **given: str) -> ActionRun:
    """Runs action.yml's `run:` steps in order, stopping at the first that fails, as GitHub does."""
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    inputs = {
        **{
            name: _resolve(value, {}, {}) if "github." in value else value for name, value in defaults.items()
        },
        "lmsform-version": "",  # use the lmsform of this test run: no install
        "python-version": "",
        **{name.replace("_", "-"): value for name, value in given.items()},
    }
    temp.mkdir(parents=True, exist_ok=True)
    summary = temp / "summary.md"
    summary.write_text("", encoding="utf-8")
    base = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(temp),
        "RUNNER_TEMP": str(temp),
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "acme/lms",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_STEP_SUMMARY": str(summary),
        "SKILLJAR_API_KEY": CANARY_KEY,
    }
    steps: dict[str, dict[str, str]] = {}
    log, failed = [], None
    for index, step in enumerate(ACTION["runs"]["steps"]):
        if "run" not in step:
            continue
        output = temp / f"output-{index}"
        env = {**base, "GITHUB_OUTPUT": str(output)}
        env |= {name: _resolve(value, inputs, steps) for name, value in step.get("env", {}).items()}
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        log.append(f"## {step['name']} (exit {result.returncode})\n{result.stdout}{result.stderr}")
        steps[step.get("id", f"step{index}")] = _read_outputs(output)
        if result.returncode != 0:
            failed = step["name"]
            break
    outputs = {name: _resolve(spec["value"], inputs, steps) for name, spec in ACTION["outputs"].items()}
    return ActionRun(outputs, failed, "\n".join(log), summary.read_text(encoding="utf-8"), steps)


def _workspace(root: Path, server: EmulatorServer) -> Path:
    project = root / "lms"
    project.mkdir(parents=True)
    (project / "lmsform.yaml").write_text(
        f"provider:\n  type: skilljar\n  domain: {DOMAIN}\n  api_key: ${{SKILLJAR_API_KEY}}\n"
        f"  base_url: {server.url}\n",
        encoding="utf-8",
    )
    (project / "people.yaml").write_text(PEOPLE, encoding="utf-8")
    return root


def _journals(workspace: Path) -> list[Path]:
    return sorted((workspace / "lms" / ".lmsform" / "journal").glob("*.jsonl"))


def test_plan_saves_the_plan_and_writes_one_comment_body(skilljar: EmulatorServer, tmp_path: Path) -> None:
    workspace = _workspace(tmp_path / "checkout", skilljar)

    run = run_action(workspace, tmp_path / "runner", command="plan", directory="lms")

    assert run.failed is None, run.log
    assert run.outputs["exitcode"] == "2" and run.outputs["has-changes"] == "true"
    assert run.outputs["plan-path"] == "plan.json" and (workspace / "plan.json").is_file()
    body = run.report()
    assert body.startswith("<!-- lmsform:plan:lms -->\n<!-- lmsform:plan -->\n")
    assert "learner00@acme.com" not in body  # redact: emails
    assert body.rstrip().endswith(
        f"Plan of {HEAD_SHA[:7]} in `lms` ([run]({RUN_URL})). After the merge, exactly "
        "this plan is applied; if it is stale by then, nothing is applied and the plan "
        "must be re-run.</sub>"
    )
    assert len(body) <= 60000 + 1000
    assert body in run.summary
    assert not list(tmp_path.rglob("pwned")), "a manifest value ran as a command"
    assert writes(skilljar) == []


def test_plan_that_fails_says_there_is_no_plan_and_fails_the_job(
    skilljar: EmulatorServer, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path / "checkout", skilljar)
    (workspace / "lms" / "people.yaml").write_text("users:\n  - email: not-an-address\n", encoding="utf-8")
    (workspace / "plan.json").write_text("{}", encoding="utf-8")  # an old plan must not stay

    run = run_action(workspace, tmp_path / "runner", command="plan", directory="lms")

    assert run.failed == "Finish"
    assert run.outputs["exitcode"] == "1" and run.outputs["plan-path"] == ""
    assert not (workspace / "plan.json").exists()
    assert f"### lmsform: no plan for {HEAD_SHA[:7]} in `lms`" in run.report()


def test_an_apply_that_stopped_resumes_from_the_restored_journal(
    refusing: EmulatorServer, tmp_path: Path
) -> None:
    checkout = _workspace(tmp_path / "plan-job", refusing)
    assert run_action(checkout, tmp_path / "runner-plan", command="plan", directory="lms").failed is None
    # Attempt 1 of the apply job, on a fresh runner: the group create is refused, the apply stops.
    first = _fresh_checkout(checkout, tmp_path / "attempt-1")

    stopped = run_action(first, tmp_path / "runner-1", command="apply", directory="lms", plan="plan.json")

    assert stopped.failed == "Finish" and stopped.outputs["exitcode"] == "1", stopped.log
    assert "re-run this job: it resumes from the journal" in stopped.report()
    kept = _journals(first)  # what "Keep the journal for a re-run" uploads (if: always())
    assert kept

    # Attempt 2 without the journal refuses the plan as stale, changing nothing.
    bare = _fresh_checkout(checkout, tmp_path / "attempt-2-bare")
    before = len(writes(refusing))
    refused = run_action(bare, tmp_path / "runner-2-bare", command="apply", directory="lms", plan="plan.json")
    assert refused.outputs["exitcode"] == "1" and "stale plan" in refused.log
    assert len(writes(refusing)) == before

    # Attempt 2 as the action runs it: the journal restored where download-artifact puts it.
    second = _fresh_checkout(checkout, tmp_path / "attempt-2")
    journal_dir = second / "lms" / ".lmsform" / "journal"
    journal_dir.mkdir(parents=True, mode=0o700)
    for path in kept:
        shutil.copy(path, journal_dir / path.name)

    resumed = run_action(second, tmp_path / "runner-2", command="apply", directory="lms", plan="plan.json")

    assert resumed.failed is None and resumed.outputs["exitcode"] == "0", resumed.log
    assert "Resuming this plan, begun by an earlier apply" in resumed.log
    assert "3 of its 6 change(s) are left" in resumed.log
    assert len(_journals(second)) == len(kept) + 1
    drift = run_action(second, tmp_path / "runner-3", command="drift", directory="lms")
    assert drift.failed is None and drift.outputs["exitcode"] == "0", drift.log


def test_the_journal_artifact_is_named_after_the_plan_file(skilljar: EmulatorServer, tmp_path: Path) -> None:
    workspace = _workspace(tmp_path / "checkout", skilljar)
    (workspace / "plan.json").write_text('{"a": 1}\n', encoding="utf-8")

    run = run_action(workspace, tmp_path / "runner", command="apply", directory="lms", plan="plan.json")

    # sha256 of the plan file's bytes: a journal resumes only the plan it was written for.
    artifact = run.step_outputs["journal"]["artifact"]
    assert artifact == "lmsform-journal-e8c628edc9968ef0c668f54e0ba2636b35503357eb1aca0ddc828aeace432f67"
    assert (workspace / "lms" / ".lmsform" / "journal").stat().st_mode & 0o777 == 0o700


def test_drift_reports_and_fails_on_drift(skilljar: EmulatorServer, tmp_path: Path) -> None:
    workspace = _workspace(tmp_path / "checkout", skilljar)

    run = run_action(workspace, tmp_path / "runner", command="drift", directory="lms")

    assert run.failed == "Finish"
    assert run.outputs["exitcode"] == "2" and run.outputs["has-changes"] == "true"
    body = run.report()
    assert body.startswith("<!-- lmsform:drift:lms -->\n")
    assert "lmsform closes this issue when the account is back in sync" in body
    assert "learner00@acme.com" not in body
    assert "Drift found" in run.log
    assert writes(skilljar) == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"command": "destroy"}, "command must be plan, apply or drift"),
        ({"command": "plan", "redact": "some"}, "redact must be emails or none"),
        ({"command": "plan", "comment": "loud"}, "comment must be sticky, new or none"),
        ({"command": "plan", "max_chars": "70000"}, "max-chars must be a number from 1000 to 65000"),
        ({"command": "plan", "directory": "lms --><b>"}, "directory must be a folder name"),
        ({"command": "plan", "directory": "elsewhere"}, "elsewhere/lmsform.yaml not found"),
        ({"command": "apply", "plan": "../plan.json"}, "plan must be a file name inside the workspace"),
    ],
)
def test_bad_inputs_stop_before_lmsform_runs(
    skilljar: EmulatorServer, tmp_path: Path, given: dict[str, str], message: str
) -> None:
    workspace = _workspace(tmp_path / "checkout", skilljar)

    run = run_action(workspace, tmp_path / "runner", **{"directory": "lms", **given})

    assert run.failed == "Check the inputs"
    assert message in run.log
    assert skilljar.requests == []


def _fresh_checkout(source: Path, target: Path) -> Path:
    """The repository and the downloaded plan on a new runner: no `.lmsform/` from any earlier job."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lmsform"))
    return target
