"""Staging and production from one repository: `include:` of shared manifests, `${NAME:-default}`,
`variables:` read as `${var.NAME}`, and `environment:`, which plans name and saved plans are bound to.

Every test lays out a repository (a folder with `.git`) holding projects and a shared folder. The
repository's manifests are untrusted: the attacks point an include out of it, through a link, at a
secret file, and try to fill a secret from a default or from `variables:`.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from lmsform import sourcefile
from lmsform.errors import ManifestError
from lmsform.manifest import Project, load_project
from lmsform.providers import registry
from lmsform.yamllimits import ProjectLimitError
from tests.conftest import CliRunnerCall
from tests.examples import copy_example

PROVIDER = "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  api_key: ${SKILLJAR_API_KEY}\n"
ENVIRON = {"SKILLJAR_API_KEY": "test-key-not-secret"}
# What a secret file outside the repository holds: no message may quote it.
OUTSIDE_SECRET = "users:\n  - email: do-not-print@secret.example\n    first_name: SECRET-FILE-CANARY\n"


class Repository:
    """A git repository (a folder with `.git`) inside the test's folder, which is the working folder."""

    def __init__(self, base: Path) -> None:
        self.root = base / "repo"
        (self.root / ".git").mkdir(parents=True)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def load(self, project: str = "staging", environ: Mapping[str, str] | None = None) -> Project:
        return load_project(self.root / project, providers=registry(), environ={**ENVIRON, **(environ or {})})

    def errors(self, project: str = "staging", environ: Mapping[str, str] | None = None) -> list[str]:
        with pytest.raises(ManifestError) as raised:
            self.load(project, environ)
        return [str(line) for line in raised.value.lines()]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repository:
    monkeypatch.chdir(tmp_path)
    repository = Repository(tmp_path)
    repository.write("shared/people/users.yaml", "users:\n  - email: jane@acme.com\n    first_name: Jane\n")
    repository.write("shared/groups.yaml", "groups:\n  - name: engineering\n")
    return repository


def _config(*lines: str) -> str:
    return PROVIDER + "".join(f"{line}\n" for line in lines)


def _keys(project: Project, kind: str) -> list[str]:
    return sorted(resource.key[0] for resource in project.desired if resource.kind == kind)


# --- include: ---------------------------------------------------------------------------------------


def test_a_project_loads_the_folders_and_files_it_includes_with_its_own(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config("include: [../shared/people, ../shared/groups.yaml]"))
    repo.write("staging/testers.yaml", "users:\n  - email: qa@acme.com\n")

    project = repo.load()

    assert _keys(project, "users") == ["jane@acme.com", "qa@acme.com"]
    assert _keys(project, "groups") == ["engineering"]


def test_an_included_file_is_part_of_the_manifest_digest(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config("include: [../shared/people]"))
    before = repo.load().digest

    repo.write("shared/people/users.yaml", "users:\n  - email: jane@acme.com\n    first_name: Janet\n")

    assert repo.load().digest != before


def test_an_error_in_an_included_file_names_that_file_at_its_line_and_column(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config("include: [../shared/people]"))
    repo.write("shared/people/users.yaml", "users:\n  - email: jane@acme.com\n    frist_name: Jane\n")

    (error,) = repo.errors()
    assert error.startswith("repo/shared/people/users.yaml:3:5: unknown field 'frist_name'")


@pytest.mark.parametrize(
    ("include", "refusal"),
    [
        ("../../outside", "leads outside the git repository that holds the project"),
        ("/etc", "is not a path relative to the project folder"),
        ("../.git", "reaches into the hidden folder .git"),
        ("../shared/missing", "names repo/shared/missing, which does not exist"),
        ("..", "holds the project folder itself"),
        ("people", "is inside the project folder, whose manifests lmsform loads already"),
        ("../production", "holds lmsform.yaml: it is another project"),
        ("../shared/notes.txt", "is not a manifest file"),
    ],
)
def test_an_include_is_refused_at_its_entry_when_it_leaves_the_repository_or_overlaps(
    repo: Repository, include: str, refusal: str
) -> None:
    (repo.root.parent / "outside").mkdir()
    repo.write("production/lmsform.yaml", _config())
    repo.write("staging/people/a.yaml", "users: []\n")
    repo.write("shared/notes.txt", "not YAML\n")
    repo.write("staging/lmsform.yaml", _config(f"include: [{json.dumps(include)}]"))

    errors = repo.errors()

    assert len(errors) == 1, errors
    assert errors[0].startswith(f"repo/staging/lmsform.yaml:5:11: include {include!r} {refusal}")


def test_two_includes_that_overlap_are_refused(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config("include:", "  - ../shared", "  - ../shared/people"))

    assert repo.errors() == [
        "repo/staging/lmsform.yaml:7:5: include '../shared/people' overlaps the include of repo/shared: "
        "lmsform reads every manifest once"
    ]


def test_without_a_git_repository_an_include_stays_inside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "groups.yaml").write_text("groups: []\n", encoding="utf-8")
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "lmsform.yaml").write_text(_config("include: [../shared]"), encoding="utf-8")

    with pytest.raises(ManifestError) as raised:
        load_project(tmp_path / "staging", providers=registry(), environ=ENVIRON)

    assert [str(line) for line in raised.value.lines()] == [
        "staging/lmsform.yaml:5:11: include '../shared' leads outside the project folder (no git repository "
        "holds it, so an include stays inside it): lmsform reads manifests only from inside it"
    ]


# --- attacks: a pull request that points an include at what it must not read ----------------------


def test_an_include_that_reaches_a_secret_file_outside_the_repository_never_reads_it(
    repo: Repository, cli: CliRunnerCall
) -> None:
    """The pull request edits lmsform.yaml; the runner's secret file lies next to the checkout. Neither
    the include nor a link to it is read, and no output quotes it."""
    secret = repo.root.parent / "secrets.yaml"
    secret.write_text(OUTSIDE_SECRET, encoding="utf-8")
    repo.write("staging/lmsform.yaml", _config("include: [../../secrets.yaml]"))

    result = cli("validate", repo.root / "staging")

    assert result.exit_code == 1
    assert "repo/staging/lmsform.yaml:5:11: include '../../secrets.yaml' leads outside" in result.stderr
    assert "CANARY" not in result.output and "do-not-print" not in result.output


def test_an_include_through_a_symbolic_link_is_refused_even_inside_the_repository(repo: Repository) -> None:
    """`include:` replaces links: a link on the way is never followed, wherever it leads (here, out of
    the repository to the secret file's folder)."""
    outside = repo.root.parent / "runner"
    outside.mkdir()
    (outside / "keys.yaml").write_text(OUTSIDE_SECRET, encoding="utf-8")
    os.symlink(outside, repo.root / "shared" / "linked")
    os.symlink(repo.root / "shared" / "people", repo.root / "people-link")
    repo.write("staging/lmsform.yaml", _config("include: [../shared/linked/keys.yaml, ../people-link]"))

    errors = repo.errors()

    assert errors == [
        "repo/staging/lmsform.yaml:5:11: include '../shared/linked/keys.yaml' passes through the symbolic "
        "link repo/shared/linked: an include names real folders and files, never a link",
        "repo/staging/lmsform.yaml:5:39: include '../people-link' passes through the symbolic link "
        "repo/people-link: an include names real folders and files, never a link",
    ]
    assert "CANARY" not in "\n".join(errors)


def test_included_files_count_against_the_projects_bounds(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project of few files cannot include its way past the bounds: they count together."""
    monkeypatch.setattr(sourcefile, "MAX_PROJECT_FILES", 2)
    repo.write("shared/people/more.yaml", "users: []\n")
    repo.write("staging/lmsform.yaml", _config("include: [../shared/people]"))
    repo.write("staging/testers.yaml", "users: []\n")

    with pytest.raises(ProjectLimitError) as raised:
        repo.load()

    assert "is manifest file number 3 of the project" in str(raised.value.lines())


# --- variables: ${NAME:-default} and ${var.NAME} ----------------------------------------------------


def test_a_default_is_used_where_the_variable_is_not_set_or_empty(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config())
    repo.write("staging/users.yaml", "users:\n  - email: ${LMSFORM_TESTER:-qa@acme.com}\n")

    assert _keys(repo.load(), "users") == ["qa@acme.com"]
    assert _keys(repo.load(environ={"LMSFORM_TESTER": ""}), "users") == ["qa@acme.com"]
    assert _keys(repo.load(environ={"LMSFORM_TESTER": "ops@acme.com"}), "users") == ["ops@acme.com"]


def test_a_default_does_not_open_a_variable_the_environment_does_not_list(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config())
    repo.write("staging/users.yaml", "users:\n  - email: a@acme.com\n    first_name: ${HOME:-Jane}\n")

    assert repo.errors(environ={"HOME": "/home/runner"})[0].startswith(
        "repo/staging/users.yaml:3:17: ${HOME} may not be read"
    )


def test_variables_fill_values_and_the_environment_wins_over_them(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config("variables:", "  pilot: pilot-testers"))
    repo.write("staging/groups.yaml", "groups:\n  - name: ${var.pilot}\n")

    assert _keys(repo.load(), "groups") == ["pilot-testers"]
    assert _keys(repo.load(environ={"LMSFORM_VAR_pilot": "pilot"}), "groups") == ["pilot"]


def test_a_variable_must_be_declared_and_a_null_one_given_by_the_environment(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config("variables:", "  region: null"))
    repo.write("staging/groups.yaml", "groups:\n  - name: ${var.region}\n  - name: ${var.regoin}\n")

    errors = repo.errors()

    assert [error for error in errors if "${var." in error] == [
        "repo/staging/groups.yaml:2:11: ${var.region} has no value: `variables:` declares it null, so the "
        "environment must set LMSFORM_VAR_region",
        "repo/staging/groups.yaml:3:11: ${var.regoin} is not declared: lmsform.yaml's `variables:` block "
        "gives a value (or null, for one that LMSFORM_VAR_regoin must give) to each name it uses "
        "(declared: region)",
    ]
    repo.write("staging/groups.yaml", "groups:\n  - name: ${var.region}\n")
    offline = load_project(repo.root / "staging", providers=registry(), environ={}, offline=True)
    assert _keys(offline, "groups") == ["${var.region}"]  # validate: not known, so not judged
    assert _keys(repo.load(environ={"LMSFORM_VAR_region": "emea"}), "groups") == ["emea"]


def test_a_value_of_variables_is_written_as_it_is(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config("variables:", "  home: ${HOME}"))

    assert repo.errors(environ={"HOME": "/home/runner"}) == [
        "repo/staging/lmsform.yaml:6:9: variables.home reads a variable: a value of `variables:` is written "
        "as it is; the environment gives another with LMSFORM_VAR_home"
    ]


# --- attacks: a default or a value of variables: may never be a secret -----------------------------


@pytest.mark.parametrize(
    "api_key", ["${SKILLJAR_API_KEY:-sk-literal-key}", "${var.key}", "${LMSFORM_NONE:-sk-literal-key}"]
)
def test_a_credential_takes_neither_a_default_nor_a_value_of_variables(
    repo: Repository, api_key: str
) -> None:
    repo.write(
        "staging/lmsform.yaml",
        "variables:\n  key: sk-literal-key\n"
        f"provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  api_key: {api_key}\n",
    )

    errors = repo.errors()

    assert errors[0].startswith("repo/staging/lmsform.yaml:6:12: ")
    assert "a credential is read only as ${" in errors[0]
    assert "sk-literal-key" not in "\n".join(errors)


@pytest.mark.parametrize("password", ["${LMSFORM_HOOK_PASSWORD:-hunter2}", "${var.password}"])
def test_a_password_takes_neither_a_default_nor_a_value_of_variables(repo: Repository, password: str) -> None:
    repo.write("staging/lmsform.yaml", _config("variables:", "  password: hunter2"))
    repo.write(
        "staging/hooks.yaml",
        "webhooks:\n  - url: https://hooks.acme.example/lms\n    events: [COURSE_COMPLETION]\n"
        f"    basic_auth_password: {password}\n",
    )

    errors = repo.errors(environ={"LMSFORM_HOOK_PASSWORD": "from-the-environment"})

    assert errors == [
        "repo/staging/hooks.yaml:4:26: basic_auth_password must come from the environment: write "
        "${VARIABLE_NAME}, without a default or a value of `variables:`, which would be a secret written "
        "in the repository"
    ]


def test_a_variable_cannot_read_the_credential_into_a_manifest_value(repo: Repository) -> None:
    """The credential comes from LMSFORM_VAR_key; `${var.key}` names that very variable, and a value
    reading it would send the key to the vendor as data (and print it in the plan)."""
    repo.write(
        "staging/lmsform.yaml",
        "variables:\n  key: null\nprovider:\n  type: skilljar\n  domain: acme.skilljar.com\n"
        "  api_key: ${LMSFORM_VAR_key}\n",
    )
    repo.write("staging/groups.yaml", "groups:\n  - name: ${var.key}\n")

    errors = repo.errors(environ={"LMSFORM_VAR_key": "the-real-key"})

    assert errors[0] == (
        "repo/staging/groups.yaml:2:11: ${var.key} holds provider.api_key: a credential cannot be used in a "
        "manifest value, where lmsform would send it to the vendor as data"
    )
    assert "the-real-key" not in "\n".join(errors)


# --- environment: -----------------------------------------------------------------------------------


def test_an_environment_is_plain_words(repo: Repository) -> None:
    repo.write("staging/lmsform.yaml", _config('environment: "prod\\u001b[2J"'))

    assert repo.errors()[0].startswith("repo/staging/lmsform.yaml:5:14: environment: String should match")


def _environments(tmp_path: Path) -> Path:
    """examples/environments in a repository of its own, as a fresh clone holds it."""
    copy_example("environments", tmp_path / "repo")
    (tmp_path / "repo" / ".git").mkdir()
    return tmp_path / "repo"


def test_the_example_converges_on_the_sandbox_for_both_environments_and_plans_name_them(
    tmp_path: Path, cli: CliRunnerCall
) -> None:
    repo = _environments(tmp_path)
    for environment, added in (("staging", "9 to add"), ("production", "7 to add")):
        folder = repo / environment

        planned = cli("plan", folder)
        assert planned.exit_code == 0, planned.output
        assert f"(environment {environment}):" in planned.stdout and added in planned.stdout
        markdown = cli("plan", folder, "--format", "markdown")
        assert f"(environment `{environment}`)" in markdown.stdout
        assert json.loads(cli("plan", folder, "--format", "json").stdout)["environment"] == environment

        assert cli("apply", folder, "--auto-approve").exit_code == 0
        again = cli("plan", folder, "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert f"No changes. Skilljar acme{'-staging' if environment == 'staging' else ''}.skilljar.com " in (
            again.stdout
        )


def test_a_staging_plan_is_refused_by_the_production_project_before_anything_starts(
    tmp_path: Path, cli: CliRunnerCall
) -> None:
    """A plan saved for staging, moved into the production folder (where `project: "."` now names
    production), is refused before the sandbox starts: its changes were reviewed for staging."""
    repo = _environments(tmp_path)
    saved = repo / "staging" / "plan.json"
    assert cli("plan", repo / "staging", "--out", saved).exit_code == 0
    assert json.loads(saved.read_text(encoding="utf-8"))["environment"] == "staging"
    moved = repo / "production" / "plan.json"
    shutil.move(saved, moved)
    os.chdir(repo)

    result = cli("apply", moved)

    assert result.exit_code == 1
    assert result.stderr == (
        'Error: the plan was made for environment "staging", and the project production is environment '
        '"production"; nothing was changed: apply it in the project it was made for\n'
    )
    assert not (repo / "production" / ".lmsform").exists()  # no sandbox, no lock, no journal


def test_a_saved_plan_of_no_environment_is_refused_by_a_project_of_one(
    tmp_path: Path, cli: CliRunnerCall
) -> None:
    repo = _environments(tmp_path)
    saved = repo / "production" / "plan.json"
    assert cli("plan", repo / "production", "--out", saved).exit_code == 0
    document = json.loads(saved.read_text(encoding="utf-8"))
    del document["environment"]  # as a plan of a project without `environment:` is saved
    saved.write_text(json.dumps(document), encoding="utf-8")
    os.chdir(repo)

    result = cli("apply", saved)

    assert result.exit_code == 1
    assert 'made for no environment, and the project production is environment "production"' in result.stderr
