"""What a user may reasonably write that lmsform does not manage is refused with the vendor's reason at
its place, never as "unknown" (the README's promise; docs/coverage.md lists the same reasons)."""

from __future__ import annotations

import pytest

from lmsform.providers import registry
from tests.conftest import CliRunnerCall, ProjectDir

SETTINGS = {
    "skilljar": "  domain: acme.skilljar.com\n",
    "damstra": "  organisation: Acme Safety\n",
    "training-records": "  username: lmsform\n",
}


@pytest.mark.parametrize(
    ("vendor", "manifest", "where", "refused"),
    [
        ("damstra", "paths:\n  - slug: onboarding\n", "1:1", "paths"),
        ("damstra", "domain:\n  catalog_title: Academy\n", "1:1", "domain"),
        ("damstra", "instructors:\n  - email: ian@acme.com\n", "1:1", "instructors"),
        (
            "damstra",
            "groups:\n  - name: crew\n    rule_email_domains: [acme.com]\n",
            "3:5",
            "groups.rule_email_domains",
        ),
        ("damstra", "groups:\n  - name: crew\n    category: Partners\n", "3:5", "groups.category"),
        ("damstra", "completions:\n  - user: ann\n    lesson: Forklifts\n", "1:1", "completions"),
        ("damstra", "lessons:\n  - name: Forklifts\n", "1:1", "lessons"),
        (  # a publication's catalogue rules: `published:` is refused as a whole, with the reason
            "training-records",
            "courses:\n  - title: Forklifts\n    api_id: pkg-fork\n    published:\n"
            "      prerequisites: [Basics]\n      tags: [safety]\n",
            "4:5",
            "courses.published",
        ),
    ],
)
def test_a_kind_or_field_the_vendor_has_and_lmsform_does_not_manage_is_refused_with_the_reason(
    project: ProjectDir, cli: CliRunnerCall, vendor: str, manifest: str, where: str, refused: str
) -> None:
    project.write("lmsform.yaml", f"provider:\n  type: {vendor}\n  base_url: sandbox\n{SETTINGS[vendor]}")
    project.write("things.yaml", manifest)

    result = cli("validate", project.root)

    assert result.exit_code == 1
    title = registry()[vendor].title
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert error.startswith(f"Error: project/things.yaml:{where}: {title} cannot manage {refused}: ")
    assert "unknown" not in error


def test_a_misspelt_field_is_still_unknown_with_the_fields_to_choose_from(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("lmsform.yaml", f"provider:\n  type: skilljar\n  base_url: sandbox\n{SETTINGS['skilljar']}")
    project.write("things.yaml", "groups:\n  - name: crew\n    categry: Partners\n")

    result = cli("validate", project.root)

    assert (
        "project/things.yaml:3:5: unknown field 'categry'; did you mean 'category'? (expected one of:"
        in result.stderr
    )
