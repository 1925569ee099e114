"""`lmsform init` starts a project, and `export --to` makes one that plans on its own: lmsform.yaml
with the provider settings (secrets as variables), the schema modelines and the schemas they name."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lmsform.providers import registry
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.sandbox import sandbox_state_path
from lmsform.scaffold import schema_files
from lmsform.schema import rendered
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir

EXAMPLES = Path(__file__).parent.parent / "examples"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def _schema_named(manifest: Path) -> Path:
    first = manifest.read_text(encoding="utf-8").splitlines()[0]
    found = MODELINE.match(first)
    assert found, first
    return (manifest.parent / found.group(1)).resolve()


@pytest.mark.parametrize("vendor", sorted(registry()))
def test_init_writes_a_project_that_validates_and_names_its_schemas(
    vendor: str, tmp_path: Path, cli: CliRunnerCall
) -> None:
    result = cli("init", "--provider", vendor, "project")

    assert result.exit_code == 0, result.output
    root = tmp_path / "project"
    assert (root / ".gitignore").read_text().splitlines()[-1] == ".lmsform/"
    for manifest in (root / "lmsform.yaml", root / "users.yaml"):
        assert _schema_named(manifest).is_file()
    assert {path.read_text() for path in schema_files(registry()[vendor], root)} <= set(rendered().values())
    validated = cli("validate", "project")
    assert validated.exit_code == 0, validated.output
    assert "nothing declared" in validated.stdout

    users = root / "users.yaml"
    users.write_text(re.sub(r"(?m)^# (users:|  )", r"\1", users.read_text()))
    validated = cli("validate", "project")
    assert validated.exit_code == 0, validated.output
    assert "1 user" in validated.stdout


def test_init_reads_the_key_from_the_environment_and_says_how_to_try_the_sandbox(
    tmp_path: Path, cli: CliRunnerCall
) -> None:
    assert cli("init", "--provider", "skilljar", "project").exit_code == 0
    config = (tmp_path / "project" / "lmsform.yaml").read_text()

    assert "  api_key: ${SKILLJAR_API_KEY}" in config
    assert "  # base_url: sandbox" in config
    assert "# manage:\n#   users: additive\n" in config


def test_init_plans_on_the_sandbox_once_base_url_is_uncommented(tmp_path: Path, cli: CliRunnerCall) -> None:
    assert cli("init", "--provider", "skilljar", "project").exit_code == 0
    root = tmp_path / "project"
    config = root / "lmsform.yaml"
    config.write_text(
        config.read_text()
        .replace("# base_url: sandbox", "base_url: sandbox")
        .replace("api_key:", "# api_key:")
    )
    users = root / "users.yaml"
    users.write_text(re.sub(r"(?m)^# (users:|  )", r"\1", users.read_text()))

    planned = cli("plan", "project", "--detailed-exitcode")

    assert planned.exit_code == 2, planned.output
    assert '+ users["ann.lee@example.com"]' in planned.stdout


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, cli: CliRunnerCall) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "users.yaml").write_text("users: []\n")

    result = cli("init", "--provider", "skilljar", "project")

    assert result.exit_code == 1
    assert "init would overwrite project/users.yaml; nothing was written" in result.stderr
    assert sorted(path.name for path in root.iterdir()) == ["users.yaml"]
    assert (root / "users.yaml").read_text() == "users: []\n"


def test_init_of_an_unknown_provider_is_an_error_in_the_arguments(tmp_path: Path, cli: CliRunnerCall) -> None:
    result = cli("init", "--provider", "moodle", "project")

    assert result.exit_code == 2
    assert not (tmp_path / "project").exists()


def test_export_to_a_fresh_folder_re_plans_empty_on_the_sandbox(tmp_path: Path, cli: CliRunnerCall) -> None:
    source = tmp_path / "project"
    shutil.copytree(EXAMPLES / "quickstart", source)
    applied = cli("apply", "project", "--auto-approve")
    assert applied.exit_code == 0, applied.output

    exported = cli("export", "project", "--to", "fresh")

    assert exported.exit_code == 0, exported.output
    fresh = tmp_path / "fresh"
    assert "wrote fresh/lmsform.yaml" in exported.stdout
    for manifest in fresh.glob("*.yaml"):
        assert _schema_named(manifest).is_file(), manifest
    # The same account: the sandbox's data, which lives next to each project's lmsform.yaml.
    provider = registry()["skilljar"]
    sandbox = sandbox_state_path(fresh, provider)
    sandbox.parent.mkdir(parents=True)
    shutil.copy(sandbox_state_path(source, provider), sandbox)
    assert cli("validate", "fresh").exit_code == 0
    planned = cli("plan", "fresh", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout


def test_export_to_a_fresh_folder_writes_secrets_as_variables_and_re_plans_empty_on_an_emulator(
    skilljar_project: tuple[ProjectDir, str], tmp_path: Path, cli: CliRunnerCall
) -> None:
    project, api_root = skilljar_project
    # A key written as a value in the project's own lmsform.yaml is never copied: its variable is.
    config = project.root / "lmsform.yaml"
    config.write_text(config.read_text().replace("${SKILLJAR_API_KEY}", CANARY_KEY))
    project.write("groups.yaml", "groups:\n  - name: engineering\n    members: [ann@acme.com]\n")
    project.write("users.yaml", "users:\n  - email: ann@acme.com\n    first_name: Ann\n")
    assert cli("apply", "project", "--auto-approve").exit_code == 0

    exported = cli("export", "project", "--to", "fresh")

    assert exported.exit_code == 0, exported.output
    written = (tmp_path / "fresh" / "lmsform.yaml").read_text()
    assert CANARY_KEY not in written
    assert "api_key: ${SKILLJAR_API_KEY}" in written
    assert f"base_url: {api_root}" in written
    planned = cli("plan", "fresh", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert cli("export", "project", "--to", "fresh").exit_code == 1  # never overwrites


def test_export_into_the_project_itself_leaves_its_lmsform_yaml_alone(
    skilljar_project: tuple[ProjectDir, str], cli: CliRunnerCall
) -> None:
    project, _ = skilljar_project
    before = (project.root / "lmsform.yaml").read_text()

    exported = cli("export", "project", "--kinds", "users")

    assert exported.exit_code == 0, exported.output
    assert (project.root / "lmsform.yaml").read_text() == before
    assert _schema_named(project.root / "users.yaml").is_file()


@pytest.fixture
def skilljar_project(skilljar: EmulatorServer, project: ProjectDir) -> tuple[ProjectDir, str]:
    """The project on the Skilljar emulator, with the API root it reaches."""
    project.configure(skilljar.url)
    return project, skilljar.url
