"""`validate` and `fmt` run without secrets (pre-commit, a CI step given none): a variable that is not
set is reported by the commands that connect, never by validate; and validate's summary counts what
the entries declare, as plan counts it."""

from __future__ import annotations

import pytest

from lmsform import secrets
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir

SKILLJAR = "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  api_key: ${SKILLJAR_API_KEY}\n"
HOOK = (
    "webhooks:\n  - url: https://hooks.acme.example/lms\n    events: [COURSE_COMPLETION]\n"
    "    basic_auth_password: ${LMSFORM_HOOK_PASSWORD}\n"
)
UNSET: dict[str, str | None] = {
    "SKILLJAR_API_KEY": None,
    "LMSFORM_HOOK_PASSWORD": None,
    "SKILLJAR_DOMAIN": None,
    "VERSAL_API_KEY": None,
}


def _validate(cli: CliRunnerCall, project: ProjectDir, env: dict[str, str | None] | None = None) -> str:
    result = cli("validate", project.root, env={**UNSET, **(env or {})})
    assert result.exit_code == 0, result.output
    return result.stdout


def _invalid(cli: CliRunnerCall, project: ProjectDir, env: dict[str, str | None] | None = None) -> list[str]:
    result = cli("validate", project.root, env={**UNSET, **(env or {})})
    assert result.exit_code == 1, result.output
    return result.stderr.splitlines()[:-1]


# --- no secrets needed ------------------------------------------------------------------------------


def test_validate_needs_no_credential_variable(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", SKILLJAR)
    project.write("hooks.yaml", HOOK)

    assert _validate(cli, project) == "Valid: 1 webhook for Skilljar acme.skilljar.com.\n"


def test_validate_takes_an_unset_setting_as_written_and_still_checks_the_others(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "lmsform.yaml",
        "provider:\n  type: skilljar\n  domain: ${SKILLJAR_DOMAIN}\n  api_key: ${SKILLJAR_API_KEY}\n",
    )
    assert _validate(cli, project) == "Valid: nothing declared for Skilljar ${SKILLJAR_DOMAIN}.\n"

    project.write(
        "lmsform.yaml",
        "provider:\n  type: skilljar\n  domain: ${SKILLJAR_DOMAIN}\n  api_key: ${SKILLJAR_API_KEY}\n"
        "  parallelism: 0\n",
    )
    assert _invalid(cli, project) == [
        "Error: project/lmsform.yaml:5:16: provider.parallelism: Input should be greater than or equal to 1"
    ]


def test_validate_needs_no_versal_key_although_it_checks_one_that_is_set(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "lmsform.yaml", "provider:\n  type: versal\n  organisation: 7\n  api_key: ${VERSAL_API_KEY}\n"
    )

    assert _validate(cli, project) == "Valid: nothing declared for Versal 7.\n"
    assert _invalid(cli, project, {"VERSAL_API_KEY": CANARY_KEY}) == [
        "Error: project/lmsform.yaml:4:12: provider.api_key: is not a Versal API key: those are UUIDs"
    ]


def test_validate_still_checks_every_reference_without_its_value(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", SKILLJAR)
    project.write(
        "hooks.yaml",
        "webhooks:\n  - url: https://hooks.acme.example/${SKILLJAR_API_KEY}\n"
        "    events: [COURSE_COMPLETION]\n"
        "  - url: https://hooks.acme.example/${1ST}\n    events: [COURSE_ENROLLMENT]\n"
        "    basic_auth_password: written-inline\n",
    )

    assert _invalid(cli, project) == [
        "Error: project/hooks.yaml:2:10: ${SKILLJAR_API_KEY} holds provider.api_key: a credential cannot be "
        "used in a manifest value, where lmsform would send it to the vendor as data",
        "Error: project/hooks.yaml:4:10: invalid environment reference ${1ST}: write ${NAME}, "
        "${NAME:-default} or ${var.NAME}, nothing else",
        "Error: project/hooks.yaml:6:26: basic_auth_password must come from the environment: write "
        "${VARIABLE_NAME}, not the value",
    ]


def test_validate_with_the_variables_set_is_as_before_and_prints_no_secret(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", SKILLJAR)
    project.write("hooks.yaml", HOOK)

    result = cli(
        "validate",
        project.root,
        env={"SKILLJAR_API_KEY": CANARY_KEY, "LMSFORM_HOOK_PASSWORD": "hook-CANARY-77"},
    )

    assert result.exit_code == 0, result.output
    assert result.output == "Valid: 1 webhook for Skilljar acme.skilljar.com.\n"
    assert _invalid(cli, project, {"SKILLJAR_API_KEY": "   "}) == [
        "Error: project/lmsform.yaml:4:12: provider.api_key: is empty"
    ]


def test_an_unset_secret_leaves_no_mask_on_its_reference(project: ProjectDir, cli: CliRunnerCall) -> None:
    # Secrets loaded are masked in every later message; the text `${NAME}` of an unset one must not be.
    project.write("lmsform.yaml", SKILLJAR)
    project.write("hooks.yaml", HOOK)

    _validate(cli, project)

    assert (
        secrets.redact("${SKILLJAR_API_KEY} ${LMSFORM_HOOK_PASSWORD}")
        == "${SKILLJAR_API_KEY} ${LMSFORM_HOOK_PASSWORD}"
    )


def test_plan_reports_the_unset_variable_and_sends_nothing(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("hooks.yaml", HOOK)

    result = cli("plan", project.root, env=UNSET)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "Error: project/hooks.yaml:4:26: environment variable LMSFORM_HOOK_PASSWORD is not set",
        "Error: project/lmsform.yaml:4:12: environment variable SKILLJAR_API_KEY is not set",
    ]
    assert skilljar.requests == []


def test_fmt_needs_no_variable(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", SKILLJAR)
    project.write("hooks.yaml", HOOK)

    result = cli("fmt", "--check", project.root, env=UNSET)

    assert result.exit_code == 0, result.output


# --- what the summary counts ------------------------------------------------------------------------

TEAM = "".join(f"  - email: dev{n}@acme.com\n    groups: [engineering]\n" for n in range(31))
ENROLLED = "enrollments:\n  - course: Security\n    users: [dev0@acme.com]\n    groups: [engineering]\n"
MORE = "(more if groups have members only in Skilljar)"
CONFIG = "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"


@pytest.mark.parametrize(
    ("manage", "groups", "expected"),
    [
        pytest.param(
            "manage:\n  memberships: authoritative\n",
            "groups:\n  - name: engineering\n",
            "31 users, 1 group, 31 memberships, 31 enrollments",
            id="members-all-declared",
        ),
        pytest.param(
            "",
            "groups:\n  - name: engineering\n",
            "31 users, 1 group, 31 memberships, 31 enrollments " + MORE,
            id="additive-memberships",
        ),
    ],
)
def test_validate_counts_an_entry_naming_a_group_as_one_enrollment_per_member(
    manage: str, groups: str, expected: str, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", CONFIG + manage)
    project.write("people.yaml", "users:\n" + TEAM + groups)
    project.write("enrollments.yaml", ENROLLED)

    assert _validate(cli, project) == f"Valid: {expected} for Skilljar acme.skilljar.com.\n"


def test_validate_names_enrollments_of_a_group_it_cannot_count(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", CONFIG)
    project.write("enrollments.yaml", "enrollments:\n  - course: Security\n    groups: [everyone]\n")

    assert _validate(cli, project) == (f"Valid: 0 enrollments {MORE} for Skilljar acme.skilljar.com.\n")


def test_validate_needs_no_variable_for_a_base_url_either(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write(
        "lmsform.yaml",
        "provider:\n  type: training-records\n  username: ${TR_USER}\n  api_key: ${TR_KEY}\n"
        "  base_url: ${TR_URL}\n",
    )

    assert _validate(cli, project, {"TR_USER": None, "TR_KEY": None, "TR_URL": None}) == (
        "Valid: nothing declared for Training Records.\n"
    )
