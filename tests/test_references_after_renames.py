"""A reference by the former name of an object the manifests rename (`previously:`) is an error at
validate, at the reference, naming the declaration that renames it and the new name: apply would
rename the object and leave the reference naming nothing (failing mid-apply, or on the next plan)."""

from __future__ import annotations

import pytest

from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir, writes

SKILLJAR = "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"
DAMSTRA = "provider:\n  type: damstra\n  base_url: sandbox\n"
VERSAL = "provider:\n  type: versal\n  organisation: 7\n  base_url: sandbox\n"

COURSE_RENAMED = "courses:\n  - title: Security Basics\n    previously: [Security 101]\n    published: true\n"
GROUP_RENAMED = "groups:\n  - name: platform\n    previously: [engineering]\n"
JANE = "users:\n  - email: jane@acme.com\n"


def _errors(cli: CliRunnerCall, project: ProjectDir, command: str = "validate") -> list[str]:
    result = cli(command, project.root)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr.splitlines()[:-1]


def _renamed(old: str, new: str, declared_at: str, singular: str = "group") -> str:
    return (
        f"{singular} {old!r} is renamed to {new!r} (`previously:` of the declaration at "
        f"project/{declared_at}); refer to it by its new name"
    )


@pytest.mark.parametrize(
    ("config", "files", "expected"),
    [
        pytest.param(
            SKILLJAR,
            {
                "c.yaml": COURSE_RENAMED,
                "e.yaml": "enrollments:\n  - course: Security 101\n    users: [jane@acme.com]\n",
            },
            "project/e.yaml:2:13: " + _renamed("Security 101", "Security Basics", "c.yaml:2:5", "course"),
            id="enrollment-course",
        ),
        pytest.param(
            SKILLJAR,
            {
                "c.yaml": COURSE_RENAMED + GROUP_RENAMED,
                "s.yaml": "supervisors:\n  - user: jane@acme.com\n    group: platform\n"
                "    course_access: SELECTED\n    path_access: NONE\n    courses: [Security 101]\n",
            },
            "project/s.yaml:6:15: " + _renamed("Security 101", "Security Basics", "c.yaml:2:5", "course"),
            id="supervisor-courses",
        ),
        pytest.param(
            SKILLJAR,
            {"g.yaml": GROUP_RENAMED, "u.yaml": JANE + "    groups: [engineering]\n"},
            "project/u.yaml:3:14: " + _renamed("engineering", "platform", "g.yaml:2:5"),
            id="user-groups",
        ),
        pytest.param(
            SKILLJAR,
            {
                "g.yaml": GROUP_RENAMED,
                "e.yaml": "enrollments:\n  - plan: All Access\n    groups: [engineering]\n",
            },
            "project/e.yaml:3:14: " + _renamed("engineering", "platform", "g.yaml:2:5"),
            id="enrollment-groups",
        ),
        pytest.param(
            SKILLJAR,
            {
                "g.yaml": GROUP_RENAMED,
                "s.yaml": "supervisors:\n  - user: jane@acme.com\n    group: engineering\n"
                "    course_access: ALL\n    path_access: ALL\n",
            },
            "project/s.yaml:3:12: " + _renamed("engineering", "platform", "g.yaml:2:5"),
            id="supervisor-group",
        ),
        pytest.param(
            DAMSTRA,
            {"g.yaml": GROUP_RENAMED + "  - name: backend\n    parent: engineering\n"},
            "project/g.yaml:5:13: " + _renamed("engineering", "platform", "g.yaml:2:5"),
            id="group-parent",
        ),
        pytest.param(
            DAMSTRA,
            {
                "g.yaml": GROUP_RENAMED,
                "u.yaml": (
                    "users:\n  - username: jane\n    email: jane@acme.com\n    supervises: [engineering]\n"
                    "    first_name: Jane\n    last_name: Doe\n"
                ),
            },
            "project/u.yaml:4:18: " + _renamed("engineering", "platform", "g.yaml:2:5"),
            id="user-supervises",
        ),
        pytest.param(
            VERSAL,
            {
                "u.yaml": "users:\n  - email: jane.doe@acme.com\n    previously: [jane@acme.com]\n",
                "e.yaml": "enrollments:\n  - course: Onboarding\n    users: [Jane@acme.com]\n",
            },
            "project/e.yaml:3:13: " + _renamed("jane@acme.com", "jane.doe@acme.com", "u.yaml:2:5", "user"),
            id="enrollment-user",
        ),
    ],
)
def test_a_reference_by_a_former_name_is_an_error_at_the_reference(
    config: str, files: dict[str, str], expected: str, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", config)
    for name, text in files.items():
        project.write(name, text)

    assert _errors(cli, project) == [f"Error: {expected}"]


def test_references_by_the_new_name_and_by_a_name_declared_again_are_valid(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    # `engineering` was renamed once and is now a new group of its own: references name the new one.
    project.write("lmsform.yaml", SKILLJAR)
    project.write("g.yaml", GROUP_RENAMED + "  - name: engineering\n")
    project.write("u.yaml", JANE + "    groups: [platform, engineering]\n")

    result = cli("validate", project.root)

    assert result.exit_code == 0, result.output


def test_plan_refuses_a_stale_reference_before_any_write(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", JANE + "    groups: [engineering]\ngroups:\n  - name: engineering\n")
    project.write("c.yaml", "courses:\n  - title: Security 101\n    published: true\n")
    project.write("e.yaml", "enrollments:\n  - course: Security 101\n    users: [jane@acme.com]\n")
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    # Rename both; the user's groups and the enrollment still name the old ones.
    project.write("people.yaml", JANE + "    groups: [engineering]\n" + GROUP_RENAMED)
    project.write("c.yaml", COURSE_RENAMED)
    before = len(skilljar.requests)

    errors = _errors(cli, project, "plan")

    assert errors == [
        "Error: project/e.yaml:2:13: " + _renamed("Security 101", "Security Basics", "c.yaml:2:5", "course"),
        "Error: project/people.yaml:3:14: " + _renamed("engineering", "platform", "people.yaml:5:5"),
    ]
    assert writes(skilljar, since=before) == []


def test_a_reference_to_an_object_declared_not_to_exist_says_where_that_is(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", SKILLJAR)
    project.write("c.yaml", "courses:\n  - title: Security 101\n    published: false\n")
    project.write("e.yaml", "enrollments:\n  - course: Security 101\n    users: [jane@acme.com]\n")

    assert _errors(cli, project) == [
        "Error: project/e.yaml:2:13: publication 'Security 101' is declared not to exist "
        "(at project/c.yaml:3:16)"
    ]
