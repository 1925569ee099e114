"""Bad manifests: a precise file:line:column error, exit 1, and not a single HTTP request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import pytest

from lmsform.errors import ManifestError
from lmsform.manifest import load_project
from lmsform.providers.base import KindSupport
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.provider import SkilljarProvider
from tests.conftest import CliRunnerCall, ProjectDir
from tests.skilljar_api import SkilljarApi

JANE = "users:\n  - email: jane@acme.com\n    first_name: Jane\n"


def _errors_of(cli: CliRunnerCall, project: ProjectDir, command: str = "validate") -> list[str]:
    result = cli(command, project.root)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1].endswith("in the manifests; nothing was changed.")
    return lines[:-1]


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"users.yaml": "users:\n  - email: jane@acme.com\n    first_name: [Jane\n"},
            [
                "project/users.yaml:4:1: YAML syntax error: did not find expected ',' or ']' "
                "(while parsing a flow sequence at line 3, column 17)"
            ],
            id="yaml-syntax",
        ),
        pytest.param(
            {"users.yaml": "users:\n  - email: jane@acme.com\n    frist_name: Jane\n"},
            [
                "project/users.yaml:3:5: unknown field 'frist_name'; did you mean 'first_name'? "
                "(expected one of: email, first_name, last_name, active, expires_at, access_code, "
                "attributes, groups)"
            ],
            id="unknown-field",
        ),
        pytest.param(
            {"users.yaml": "users:\n  - email: jane@acme.com\n    active: maybe\n"},
            [
                "project/users.yaml:3:13: active: write true or false "
                "(YAML tools disagree on what yes, no, on and off mean)"
            ],
            id="wrong-type",
        ),
        pytest.param(
            {
                "a/users.yaml": JANE,
                "b/more-users.yml": "users:\n  - email: bob@acme.com\n  - email: JANE@acme.com\n",
            },
            [
                "project/b/more-users.yml:3:5: user 'jane@acme.com' is declared twice: "
                "here and at project/a/users.yaml:2:5"
            ],
            id="duplicate-across-files",
        ),
        pytest.param(
            {
                "users.yaml": JANE + "    groups: [enginering]\n",
                "groups.yaml": "groups:\n  - name: engineering\n",
            },
            [
                "project/users.yaml:4:14: group 'enginering' is not declared; "
                "with manage.groups: authoritative every group referred to must be declared; "
                "did you mean 'engineering'?"
            ],
            id="unknown-group-reference",
        ),
        pytest.param(
            {
                "users.yaml": "defaults: &crew {active: true}\nusers:\n  - <<: *crew\n"
                "    email: jane@acme.com\n    first_name: [Jane]\n"
            },
            [
                "project/users.yaml:1:1: unknown kind 'defaults' "
                "(expected one of: users, groups, courses, paths, enrollments, instructors, sessions, "
                "supervisors, webhooks, domain)",
                "project/users.yaml:5:17: first_name: Input should be a valid string",
            ],
            id="merge-key-positions",
        ),
        pytest.param(
            {"users.yaml": "users:\n  - email: not-an-address\n"},
            [
                "project/users.yaml:2:12: email: 'not-an-address' is not an e-mail address: write only the "
                "address, such as jane.doe@acme.com (no name, spaces, quotes or angle brackets)"
            ],
            id="bad-email",
        ),
        pytest.param(
            {"courses.yaml": "webinars:\n  - title: Intro\n"},
            [
                "project/courses.yaml:1:1: unknown kind 'webinars' "
                "(expected one of: users, groups, courses, paths, enrollments, instructors, sessions, "
                "supervisors, webhooks, domain)"
            ],
            id="unknown-kind",
        ),
        pytest.param(
            {"users.yaml": "users:\n  - email: jane@acme.com\n    first_name: " + "J" * 51 + "\n"},
            ["project/users.yaml:3:17: first_name: Skilljar allows at most 50 characters here, not 51"],
            id="vendor-length-limit",
        ),
    ],
)
def test_bad_manifests_fail_precisely_without_any_request(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    command: str,
    files: dict[str, str],
    expected: list[str],
) -> None:
    project.configure(skilljar.url, manage="groups: authoritative")
    for name, text in files.items():
        project.write(name, text)

    errors = _errors_of(cli, project, command)

    assert errors == [f"Error: {line}" for line in expected]
    assert skilljar.requests == []


def test_a_missing_environment_variable_names_where_it_is_used(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("users.yaml", JANE)

    result = cli("plan", project.root, env={"SKILLJAR_API_KEY": None})

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: project/lmsform.yaml:4:12: environment variable SKILLJAR_API_KEY is not set"
    )
    assert skilljar.requests == []


def test_every_error_of_a_run_is_reported_together(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", "provider:\n  type: skiljar\n  domain: acme.skilljar.com\n")
    project.write("a.yaml", "users:\n  - email: a@acme.com\n    active: nope\n  - first_name: NoEmail\n")
    project.write("b.yaml", "groups:\n  - name: ''\n")

    errors = _errors_of(cli, project)

    assert errors == [
        "Error: project/a.yaml:3:13: active: write true or false "
        "(YAML tools disagree on what yes, no, on and off mean)",
        "Error: project/a.yaml:4:5: email: required field is missing",
        "Error: project/b.yaml:2:11: name: String should have at least 1 character",
        "Error: project/lmsform.yaml:2:9: unknown provider type 'skiljar'; "
        "lmsform supports: damstra, skilljar, training-records, versal",
    ]


def test_provider_settings_are_validated_by_the_provider_model(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "lmsform.yaml",
        "provider:\n  type: skilljar\n  domain: 'Not A Domain!'\n  parallelism: 0\n  api_secret: x\n"
        "manage:\n  users: sometimes\n",
    )

    errors = _errors_of(cli, project)

    assert errors == [
        "Error: project/lmsform.yaml:3:11: provider.domain: must be a domain name such as acme.skilljar.com",
        "Error: project/lmsform.yaml:4:16: provider.parallelism: Input should be greater than or equal to 1",
        "Error: project/lmsform.yaml:5:3: unknown field 'provider.api_secret' "
        "(expected one of: type, base_url, parallelism, timeout, retries, rate_limit, allow_insecure, "
        "domain, api_key, bulk_timeout)",
        "Error: project/lmsform.yaml:7:10: manage.users: Input should be 'additive' or 'authoritative'",
    ]


def test_an_api_key_is_required_outside_the_sandbox(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n")

    errors = _errors_of(cli, project)

    assert errors == [
        "Error: project/lmsform.yaml:2:3: provider: api_key is required unless base_url is `sandbox` "
        "(e.g. api_key: ${SKILLJAR_API_KEY})"
    ]


def test_a_missing_project_file_is_an_error(
    tmp_path: object, cli: CliRunnerCall, project: ProjectDir
) -> None:
    result = cli("validate", project.root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: project: no lmsform.yaml here; a project directory holds lmsform.yaml"
    )


class _NarrowProvider(SkilljarProvider):
    """A vendor whose API manages users' names only, and no groups (to test what validate refuses)."""

    supports: ClassVar[Mapping[str, KindSupport]] = {
        "users": KindSupport(fields=frozenset({"first_name"}), unsupported_fields={"active": "no such flag"})
    }
    unsupported_kinds: ClassVar[Mapping[str, str]] = {"groups": "its API has no groups"}


def test_kinds_and_fields_the_provider_cannot_manage_are_refused_with_the_reason(project: ProjectDir) -> None:
    project.write(
        "lmsform.yaml", "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"
    )
    project.write("users.yaml", "users:\n  - email: a@acme.com\n    active: false\n    last_name: A\n")
    project.write("groups.yaml", "groups:\n  - name: g\n")

    with pytest.raises(ManifestError) as failure:
        load_project(project.root, providers={"skilljar": _NarrowProvider})

    assert [issue.message for issue in failure.value.issues] == [
        "Skilljar cannot manage groups: its API has no groups",
        "Skilljar cannot manage users.active: no such flag",
        "Skilljar cannot manage users.last_name: its API does not manage this field",
    ]
    assert [str(issue.location).rsplit("/", 1)[-1] for issue in failure.value.issues] == [
        "groups.yaml:1:1",
        "users.yaml:3:5",
        "users.yaml:4:5",
    ]


def test_a_live_only_group_can_be_referenced_when_groups_are_additive(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    SkilljarApi(skilljar.url).add_group("existing-team")
    project.configure(skilljar.url)
    project.write("users.yaml", "users:\n  - email: a@acme.com\n    groups: [existing-team, missing-team]\n")

    result = cli("plan", project.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: project/users.yaml:3:29: group 'missing-team' is neither declared in the manifests "
        "nor present in Skilljar"
    )


def test_yaml_in_hidden_folders_is_not_read_as_manifests(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write(
        "lmsform.yaml", "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"
    )
    project.write(".github/workflows/plan.yaml", "on: push\njobs: {}\n")
    project.write("people/users.yml", "users:\n  - email: a@acme.com\n")

    result = cli("validate", project.root)

    assert result.exit_code == 0, result.output
    assert result.stdout == "Valid: 1 user for Skilljar acme.skilljar.com.\n"


def test_skilljar_limits_on_new_kinds_are_checked_offline(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write(
        "lmsform.yaml", "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"
    )
    project.write(
        "catalogue.yaml",
        "courses:\n  - title: Safety\n    published:\n      slug: safety\n"
        "enrollments:\n  - course: Safety\n    path: onboarding\n    users: [a@acme.com]\n"
        "webhooks:\n  - url: https://hooks.example/x\n    events: [COURSE_DONE]\n"
        "supervisors:\n  - user: a@acme.com\n    group: g\n",
    )

    errors = _errors_of(cli, project)

    assert errors == [
        "Error: project/catalogue.yaml:4:7: published: slug: Skilljar needs lower-case words joined by "
        "hyphens, e.g. safety-101",
        "Error: project/catalogue.yaml:6:5: name exactly one of course, path or plan",
        "Error: project/catalogue.yaml:11:13: events: 'COURSE_DONE' is not a Skilljar event type "
        "(COURSE_COMPLETION, COURSE_ENROLLMENT, DASHBOARD_TASK_CREATED, DOMAIN_ENROLLMENT, "
        "LESSON_COMPLETION, PATH_COMPLETION, PATH_ENROLLMENT, PURCHASE_FULFILLMENT, QUIZ_COMPLETION, "
        "VILT_EVENT_REGISTRATION)",
        "Error: project/catalogue.yaml:13:5: a grant needs course_access, path_access (or revoke: true)",
    ]


def test_supervisors_cannot_be_authoritative_on_skilljar(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write(
        "lmsform.yaml",
        "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"
        "manage:\n  supervisors: authoritative\n",
    )

    errors = _errors_of(cli, project)

    assert errors == [
        "Error: project/lmsform.yaml:6:16: manage.supervisors cannot be authoritative: Skilljar cannot list "
        "student-manager access, so it cannot remove grants it does not know; declare `revoke: true` on a "
        "supervisor instead"
    ]


def test_an_undeclared_learner_is_reported_at_their_place_in_the_enrollment(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "lmsform.yaml",
        "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"
        "manage:\n  users: authoritative\n",
    )
    project.write(
        "people.yaml",
        "users:\n  - email: a@acme.com\n    groups: [crew]\n  - email: b@acme.com\n"
        "groups:\n  - name: crew\n    members: [a@acme.com, ghost@acme.com]\n",
    )
    project.write(
        "learning.yaml",
        "courses:\n  - title: Safety\n    published: true\n"
        "enrollments:\n  - course: Safety\n    users:\n      - a@acme.com\n      - nobody@acme.com\n"
        "      - b@acme.com\n  - course: Safety\n    users: [x@acme.com, b@acme.com, y@acme.com]\n",
    )

    errors = _errors_of(cli, project)

    assert errors == [
        "Error: project/learning.yaml:8:9: user 'nobody@acme.com' is not declared; with "
        "manage.users: authoritative every user referred to must be declared",
        "Error: project/learning.yaml:11:13: user 'x@acme.com' is not declared; with "
        "manage.users: authoritative every user referred to must be declared",
        "Error: project/learning.yaml:11:25: enrollment 'course / Safety / b@acme.com' is declared "
        "twice: here and at project/learning.yaml:9:9",
        "Error: project/learning.yaml:11:37: user 'y@acme.com' is not declared; with "
        "manage.users: authoritative every user referred to must be declared",
        "Error: project/people.yaml:7:27: user 'ghost@acme.com' is not declared; with "
        "manage.users: authoritative every user referred to must be declared",
    ]
