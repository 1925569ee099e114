"""Symbolic links in a project: followed when they stay inside the project folder or its git
repository, refused with an error naming the link otherwise; never a manifest silently skipped, and
never one read twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmsform.manifest import load_project
from lmsform.providers import registry
from tests.conftest import CliRunnerCall, ProjectDir

SANDBOX = "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"
PEOPLE = "users:\n  - email: jane@acme.com\n  - email: bob@acme.com\n"


@pytest.fixture
def repository(tmp_path: Path, project: ProjectDir) -> Path:
    """The git repository holding the project (tmp_path/project), with a folder of shared manifests."""
    (tmp_path / ".git").mkdir()
    shared = tmp_path / "shared" / "people"
    shared.mkdir(parents=True)
    (shared / "staff.yaml").write_text(PEOPLE, encoding="utf-8")
    project.write("lmsform.yaml", SANDBOX)
    return tmp_path


def _errors(cli: CliRunnerCall, project: ProjectDir) -> list[str]:
    result = cli("validate", project.root)
    assert result.exit_code == 1, result.output
    return result.stderr.splitlines()[:-1]


def test_a_linked_folder_inside_the_repository_is_read(
    repository: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    (project.root / "people").symlink_to(repository / "shared" / "people")

    result = cli("validate", project.root)

    assert result.exit_code == 0, result.output
    assert result.stdout == "Valid: 2 users for Skilljar acme.skilljar.com.\n"


def test_errors_show_a_file_in_a_linked_folder_by_its_path_in_the_project(
    repository: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    (repository / "shared" / "people" / "staff.yaml").write_text(PEOPLE + "    active: maybe\n")
    (project.root / "people").symlink_to(repository / "shared" / "people")

    assert _errors(cli, project) == [
        "Error: project/people/staff.yaml:4:13: active: write true or false "
        "(YAML tools disagree on what yes, no, on and off mean)"
    ]


def test_the_manifest_digest_covers_files_read_through_a_linked_folder(
    repository: Path, project: ProjectDir
) -> None:
    (project.root / "people").symlink_to(repository / "shared" / "people")
    before = load_project(project.root, providers=registry(), environ={})
    (repository / "shared" / "people" / "staff.yaml").write_text(PEOPLE.replace("bob", "rob"))

    after = load_project(project.root, providers=registry(), environ={})

    assert len(after.desired) == 2
    assert after.digest != before.digest


def test_a_linked_file_inside_the_repository_is_read(
    repository: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    (project.root / "staff.yaml").symlink_to(repository / "shared" / "people" / "staff.yaml")

    result = cli("validate", project.root)

    assert result.exit_code == 0, result.output
    assert "2 users" in result.stdout


def test_a_linked_folder_outside_the_repository_is_refused(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    # No .git above the project: the project folder is the boundary.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "staff.yaml").write_text(PEOPLE, encoding="utf-8")
    project.write("lmsform.yaml", SANDBOX)
    (project.root / "people").symlink_to(elsewhere)

    assert _errors(cli, project) == [
        "Error: project/people is a symbolic link to a folder outside the project folder: lmsform reads "
        "manifests only from inside the project"
    ]


def test_a_linked_folder_outside_the_repository_names_both_boundaries(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    # The project is a repository of its own: tmp_path, above it, is outside both.
    (tmp_path / "inner").mkdir()
    (project.root / ".git").mkdir()
    project.write("lmsform.yaml", SANDBOX)
    (project.root / "people").symlink_to(tmp_path / "inner")

    assert _errors(cli, project) == [
        "Error: project/people is a symbolic link to a folder outside the project folder and its git "
        "repository: lmsform reads manifests only from inside them"
    ]


def test_a_link_into_a_hidden_folder_is_refused(
    repository: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(".lmsform/old/staff.yaml", PEOPLE)
    (project.root / "people").symlink_to(project.root / ".lmsform" / "old")
    (project.root / "git").symlink_to(repository / ".git")

    assert _errors(cli, project) == [
        "Error: project/git is a symbolic link into the hidden folder .git: lmsform reads no folder whose "
        "name starts with a dot (such as .git and .lmsform)",
        "Error: project/people is a symbolic link into the hidden folder .lmsform: lmsform reads no folder "
        "whose name starts with a dot (such as .git and .lmsform)",
    ]


def test_hidden_folders_are_still_not_read(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", SANDBOX)
    project.write(".lmsform/staff.yaml", PEOPLE)
    project.write(".github/workflows/lmsform.yml", "on: push\n")

    result = cli("validate", project.root)

    assert result.exit_code == 0, result.output
    assert "nothing declared" in result.stdout


def test_dangling_links_and_loops_are_errors_naming_the_link(
    repository: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    (project.root / "people").symlink_to(repository / "gone")
    (project.root / "teams").mkdir()
    (project.root / "teams" / "all").symlink_to(project.root)
    (project.root / "up").symlink_to(repository)

    assert _errors(cli, project) == [
        "Error: project/people is a symbolic link that leads nowhere (missing target or a loop of links)",
        "Error: project/teams/all is a symbolic link to a folder that holds it (project): following it "
        "would loop",
        "Error: project/up is a symbolic link to a folder that holds it (.): following it would loop",
    ]


def test_a_file_reached_twice_is_an_error_and_read_once(
    repository: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    (project.root / "people").symlink_to(repository / "shared" / "people")
    (project.root / "staff.yaml").symlink_to(repository / "shared" / "people" / "staff.yaml")
    (project.root / "also-people").symlink_to(project.root / "people")

    assert _errors(cli, project) == [
        "Error: project/people is the same folder as project/also-people (one of them through a symbolic "
        "link): lmsform reads every manifest once, so remove the link",
        "Error: project/staff.yaml:1:1: staff.yaml is the same file as project/also-people/staff.yaml "
        "(one of them through a symbolic link): lmsform reads every manifest once, so remove the link",
    ]


def test_fmt_formats_a_file_in_a_linked_folder_in_place(
    repository: Path, project: ProjectDir, cli: CliRunnerCall
) -> None:
    target = repository / "shared" / "people" / "staff.yaml"
    target.write_text("users:\n- email: jane@acme.com\n", encoding="utf-8")
    (project.root / "people").symlink_to(repository / "shared" / "people")

    result = cli("fmt", project.root)

    assert result.exit_code == 0, result.output
    assert result.stdout == "reformatted project/people/staff.yaml\n"
    assert target.read_text(encoding="utf-8") == "users:\n  - email: jane@acme.com\n"
    assert (project.root / "people").is_symlink()


def test_fmt_refuses_a_link_it_cannot_follow(tmp_path: Path, project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", SANDBOX)
    (project.root / "people").symlink_to(tmp_path / "gone")

    result = cli("fmt", project.root)

    assert result.exit_code == 1
    assert "project/people is a symbolic link that leads nowhere" in result.stderr
