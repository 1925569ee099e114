"""Errors that teach: one error for a YAML syntax error, "did you mean" for names a manifest
misspells, an undeclared course caught offline, `base_url` explained, arguments refused before
anything starts."""

from __future__ import annotations

import shutil
from pathlib import Path

from lmsform.yamlmessages import did_you_mean
from tests.conftest import CliRunnerCall, ProjectDir

EXAMPLES = Path(__file__).parent.parent / "examples"
SANDBOX = "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"


def test_did_you_mean_names_the_closest_choices_and_a_difference_of_case_first() -> None:
    assert did_you_mean("engineerng", ["engineering", "sales"]) == "; did you mean 'engineering'?"
    assert did_you_mean("Sales", ["salts", "sales"]) == "; did you mean 'sales'?"
    assert did_you_mean("grups", ["groups", "users", "courses"]) == "; did you mean 'groups'?"
    assert did_you_mean("marketing", ["engineering", "sales"]) == ""


def test_a_yaml_syntax_error_is_the_only_error_not_followed_by_what_the_file_declared(
    tmp_path: Path, cli: CliRunnerCall
) -> None:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES / "skilljar", root)
    staff = root / "people" / "staff.yaml"
    lines = staff.read_text().splitlines()
    lines[2] += " :: ["  # the first user's line
    staff.write_text("\n".join(lines) + "\n")

    result = cli("validate", "project")

    assert result.exit_code == 1
    assert result.stderr.count("Error:") == 1, result.stderr
    assert "project/people/staff.yaml:3:" in result.stderr
    assert "not declared" not in result.stderr


def test_an_undeclared_group_of_an_authoritative_kind_suggests_the_declared_one(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", SANDBOX + "manage:\n  groups: authoritative\n")
    project.write("groups.yaml", "groups:\n  - name: engineering\n")
    project.write("users.yaml", "users:\n  - email: ann@acme.com\n    groups: [Engineering]\n")

    result = cli("validate", "project")

    assert result.exit_code == 1
    assert (
        "project/users.yaml:3:14: group 'Engineering' is not declared; with manage.groups: authoritative "
        "every group referred to must be declared; did you mean 'engineering'?"
    ) in result.stderr


def test_a_course_title_not_declared_is_caught_offline_when_the_project_declares_the_catalogue(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("courses.yaml", "courses:\n  - title: Security Awareness 101\n    published: true\n")
    project.write(
        "enrollments.yaml", "enrollments:\n  - course: Security Awarenes 101\n    users: [a@acme.com]\n"
    )

    project.write("lmsform.yaml", SANDBOX)  # courses additive: the course may exist live only
    assert cli("validate", "project").exit_code == 0

    project.write("lmsform.yaml", SANDBOX + "manage:\n  courses: authoritative\n")
    result = cli("validate", "project")

    assert result.exit_code == 1
    assert (
        "project/enrollments.yaml:2:13: course 'Security Awarenes 101' is not declared; with "
        "manage.courses: authoritative every course referred to must be declared; did you mean "
        "'Security Awareness 101'?"
    ) in result.stderr


def test_a_course_declared_unpublished_may_be_named_by_an_enrollment(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Omitted, `published` leaves the course as it is live, where it may be published."""
    project.write("lmsform.yaml", SANDBOX + "manage:\n  courses: authoritative\n")
    project.write("courses.yaml", "courses:\n  - title: Security Awareness 101\n")
    project.write(
        "enrollments.yaml", "enrollments:\n  - course: Security Awareness 101\n    users: [a@acme.com]\n"
    )

    assert cli("validate", "project").exit_code == 0


def test_an_unknown_role_suggests_the_vendor_s(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", "provider:\n  type: versal\n  organisation: 1\n  base_url: sandbox\n")
    project.write("users.yaml", "users:\n  - email: a@acme.com\n    roles: [Learner]\n")

    result = cli("validate", "project")

    assert result.exit_code == 1
    assert "has no role 'Learner'" in result.stderr
    assert "did you mean 'learner'?" in result.stderr


def test_a_misspelt_base_url_says_what_is_valid(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", SANDBOX.replace("sandbox", "sandbx"))

    result = cli("validate", "project")

    assert result.exit_code == 1
    assert (
        "project/lmsform.yaml:4:13: provider.base_url: 'sandbx' is neither `sandbox` (the built-in "
        "emulator) nor an https:// URL of the vendor's API; did you mean 'sandbox'?"
    ) in result.stderr


def test_an_unknown_kind_to_export_is_an_error_in_the_arguments_before_the_sandbox_starts(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", SANDBOX)

    result = cli("export", "project", "--kinds", "users,grups")

    assert result.exit_code == 2
    assert "'grups' is not a kind; did you mean 'groups'?" in result.stderr
    assert not (project.root / ".lmsform").exists()
    assert sorted(path.name for path in project.root.iterdir()) == ["lmsform.yaml"]


def test_a_kind_the_vendor_cannot_export_is_refused_before_the_sandbox_starts(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", "provider:\n  type: versal\n  organisation: 1\n  base_url: sandbox\n")

    result = cli("export", "project", "--kinds", "webhooks")

    assert result.exit_code == 1
    assert "Versal cannot export webhooks" in result.stderr
    assert not (project.root / ".lmsform").exists()


def test_an_unknown_field_suggests_the_field_meant(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.configure("sandbox")
    project.write("users.yaml", "users:\n  - email: jane@acme.com\n    frist_name: Jane\n")

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert "users.yaml:3:5: unknown field 'frist_name'; did you mean 'first_name'? (expected one of:" in (
        result.output
    )
