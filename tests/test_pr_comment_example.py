"""examples/pr-comment/plan.md is what lmsform posts on a realistic pull request: keep it true.

The pull request changes examples/skilljar after it was applied: a course renamed and shown in the
catalogue again, a new hire, twelve interns in a new group, a leaver, a longer enrollment, one more
webhook event. Regenerate the file with
`LMSFORM_REGENERATE=1 python -m pytest tests/test_pr_comment_example.py`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import CliRunnerCall
from tests.examples import copy_example

ROOT = Path(__file__).parent.parent
REDACT_KEY = "example-key-of-the-committed-comment"
EXPECTED = ROOT / "examples" / "pr-comment" / "plan.md"

PULL_REQUEST = {
    "people/staff.yaml": [
        (
            "  - email: sam.okafor@acme.com\n",
            "  - email: nadia.rahman@acme.com     # new hire\n    first_name: Nadia\n    last_name: Rahman\n"
            "    groups: [sales]\n  - email: sam.okafor@acme.com\n",
        ),
        (
            "  - email: tom.berg@acme.com\n    first_name: Tom\n    last_name: Berg\n"
            "    groups: [operations]\n",
            "",
        ),
    ],
    "groups.yaml": [
        (
            "  - name: contractors\n",
            "  - name: interns                  # the summer cohort: collapsed in the comment\n"
            "    members: [" + ", ".join(f"intern{n:02d}@acme.com" for n in range(1, 13)) + "]\n"
            "  - name: contractors\n",
        )
    ],
    "people/interns.yaml": [
        ("", "users:\n" + "".join(f"  - email: intern{n:02d}@acme.com\n" for n in range(1, 13)))
    ],
    "catalogue/courses.yaml": [
        (
            "  - title: Working at Heights\n",
            "  - title: Working at Heights and Ladders\n    previously: [Working at Heights]\n",
        ),
        (
            "      hidden: true                 # only visible to the groups it is offered to",
            "      hidden: false",
        ),
    ],
    "catalogue/paths.yaml": [("      - Working at Heights\n", "      - Working at Heights and Ladders\n")],
    "training.yaml": [("{course: Working at Heights,", "{course: Working at Heights and Ladders,")],
    "enrollments.yaml": [
        ("  - course: Working at Heights\n", "  - course: Working at Heights and Ladders\n"),
        ("expires_at: 2027-06-30T00:00:00Z", "expires_at: 2027-12-31T00:00:00Z"),
    ],
    "supervisors.yaml": [
        (
            "courses: [Manual Handling Basics, Working at Heights]",
            "courses: [Manual Handling Basics, Working at Heights and Ladders]",
        )
    ],
    "integrations.yaml": [
        (
            "events: [COURSE_COMPLETION, PATH_COMPLETION]",
            "events: [COURSE_COMPLETION, PATH_COMPLETION, QUIZ_COMPLETION]",
        )
    ],
}


def test_the_committed_pull_request_comment_is_what_lmsform_renders(
    cli: CliRunnerCall, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LMSFORM_ACME_HOOK_PASSWORD", "example-password")
    monkeypatch.setenv("LMSFORM_REDACT_KEY", REDACT_KEY)  # a CI secret; pseudonyms then hold across runs
    project = tmp_path / "acme"
    copy_example("skilljar", project)
    assert cli("apply", project, "--auto-approve").exit_code == 0
    for name, edits in PULL_REQUEST.items():
        path = project / name
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        for old, new in edits:
            assert old in text, (name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")

    result = cli("plan", project, "--format", "markdown", "--redact", "emails")

    assert result.exit_code == 0, result.output
    if os.environ.get("LMSFORM_REGENERATE"):
        EXPECTED.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == EXPECTED.read_text(encoding="utf-8")
    assert "tom.berg@" not in result.stdout and "Nadia" not in result.stdout
    assert REDACT_KEY not in result.stdout
    # Twelve interns, twelve pseudonyms, each the same in users and in memberships.
    new_users = re.findall(r'^\+ users\["(user-[0-9a-f]{8}@acme\.com)"\]', result.stdout, re.MULTILINE)
    interns = set(
        re.findall(r'^\+ memberships\["interns", "(user-[0-9a-f]{8}@acme\.com)"\]', result.stdout, re.M)
    )
    assert len(interns) == 12 and interns < set(new_users)
