"""A Markdown plan that fits a pull-request comment (`--max-chars`): GitHub refuses a comment over
65,536 characters, and a comment cut anywhere leaves a `<details>` or a code fence open, which hides
everything after it. Whole sections are kept or summarised, every element is closed, and a last line
names what was left out and where the full plan is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from lmsform.errors import LmsformError
from lmsform.output import render
from lmsform.output.markdown import CommentLimit
from lmsform.plan import Action, Change, Plan
from tests.conftest import CliRunnerCall

COMMONMARK = MarkdownIt("commonmark").enable("table")
FULL_PLAN = "https://github.com/acme/lms/actions/runs/42"


def _big_plan() -> Plan:
    """5,000 changes over five kinds, about 340,000 characters of Markdown in full."""
    changes = [
        Change(
            Action.CREATE, "users", (f"intern{n:04d}@acme.com",), None, {"first_name": "Ian", "active": True}
        )
        for n in range(2500)
    ]
    changes += [Change(Action.CREATE, "groups", ("interns",), None, {"name": "interns"})]
    changes += [
        Change(Action.CREATE, "memberships", ("interns", f"intern{n:04d}@acme.com"), None, {})
        for n in range(2000)
    ]
    changes += [
        Change(
            Action.CREATE,
            "enrollments",
            ("course", "Safety", f"intern{n:04d}@acme.com"),
            None,
            {"active": True},
        )
        for n in range(495)
    ]
    changes += [
        Change(Action.REASSERT, "supervisors", (f"lead{n}@acme.com",), None, {"group": "interns"}, ("group",))
        for n in range(4)
    ]
    return Plan.build("skilljar", "acme.skilljar.com", changes, {}, ["a warning for the reviewer"])


def _saved(plan: Plan, path: Path) -> Path:
    path.write_text(json.dumps(plan.to_json()), encoding="utf-8")
    return path


def _closed_elements(markdown: str) -> list[Token]:
    """The document's top-level blocks, once it is shown that every element in it is closed: each
    `<details>` by a `</details>`, each code fence by a fence as long, each table by its end."""
    lines = markdown.split("\n")
    assert markdown.count("<details>") == markdown.count("</details>")
    depth = 0
    for line in lines:
        depth += line == "<details>"
        depth -= line == "</details>"
        assert 0 <= depth <= 1
    tokens = COMMONMARK.parse(markdown)
    for token in tokens:
        if token.type == "fence":
            assert token.map is not None
            closing = lines[token.map[1] - 1]
            assert closing.startswith(token.markup) and closing.strip("`") == "", token.content[:80]
    opened = [token.type.removesuffix("_open") for token in tokens if token.nesting == 1]
    closed = [token.type.removesuffix("_close") for token in tokens if token.nesting == -1]
    assert sorted(opened) == sorted(closed)
    return tokens


def test_a_5000_change_plan_fits_60000_characters_and_names_what_it_left_out(
    cli: CliRunnerCall, tmp_path: Path
) -> None:
    plan = _big_plan()
    path = _saved(plan, tmp_path / "plan.json")
    whole = render(plan, "markdown", title="Skilljar", redact="none")

    shown = cli("show", path, "--format", "markdown", "--max-chars", "60000", "--full-plan-url", FULL_PLAN)

    assert shown.exit_code == 0, shown.output
    comment = shown.stdout
    assert len(whole) > 300_000 and len(comment) <= 60_000
    tokens = _closed_elements(comment)
    # The last line stands on its own, after every closed element, and names what is not shown.
    last = tokens[-2]
    assert [token.type for token in tokens[-3:]] == ["paragraph_open", "inline", "paragraph_close"]
    assert last.content.startswith(
        "**Left out to fit in 60000 characters:** the changes of users, memberships"
    )
    links = [child for child in last.children or [] if child.type == "link_open"]
    assert [link.attrGet("href") for link in links] == [FULL_PLAN]
    assert "#### users: 2500 changes, not shown (2500 to add)" in comment
    assert "#### memberships: 2000 changes, not shown (2000 to add)" in comment
    # What is kept is kept whole: the same as in the full comment.
    kept = comment[comment.index("<details>") : comment.index("</details>") + len("</details>")]
    assert kept.count("+ enrollments[") == 495 and kept in whole
    assert "| **Total** | **4996** | **0** | **0** | **4** |" in comment
    assert "a warning for the reviewer" in comment


def test_a_plan_that_fits_is_the_same_as_without_a_limit() -> None:
    plan = Plan.build(
        "skilljar",
        "acme.skilljar.com",
        [Change(Action.CREATE, "users", (f"u{n}@acme.com",), None, {"active": True}) for n in range(30)],
        {},
        [],
    )
    whole = render(plan, "markdown", title="Skilljar", redact="none")

    assert render(plan, "markdown", title="Skilljar", redact="none", limit=CommentLimit(60_000)) == whole


def test_a_comment_cut_to_fit_is_the_same_every_time() -> None:
    plan = _big_plan()
    limit = CommentLimit(20_000)

    first = render(plan, "markdown", title="Skilljar", redact="none", limit=limit)

    assert render(plan, "markdown", title="Skilljar", redact="none", limit=limit) == first
    assert len(first) <= 20_000
    assert "For the full plan, see the run's artifacts" in first.splitlines()[-1]


def test_the_empty_plan_shows_no_section() -> None:
    """Values sent only because the vendor cannot report them back are not changes: no table, no
    section, only a note."""
    resends = [
        Change(Action.REASSERT, "supervisors", (f"lead{n}@acme.com",), None, {"group": "ops"}, ("group",))
        for n in range(2)
    ]
    plan = Plan.build("skilljar", "acme.skilljar.com", resends, {}, [])

    comment = render(plan, "markdown", title="Skilljar", redact="none")

    assert plan.is_empty
    assert "**No changes.**" in comment
    assert "####" not in comment and "<details>" not in comment and "|" not in comment
    assert "supervisors: 2 changes" not in comment
    _closed_elements(comment)


def test_a_url_for_the_full_plan_cannot_leave_its_link() -> None:
    """The URL is the workflow's, but may carry a branch name a pull request chose."""
    url = "https://ci.example/runs/1?branch=x)](javascript:alert(1))`<b>\\*"
    plan = _big_plan()

    comment = render(plan, "markdown", title="Skilljar", redact="none", limit=CommentLimit(20_000, url))

    last = _closed_elements(comment)[-2]
    links = [child.attrGet("href") for child in last.children or [] if child.type == "link_open"]
    assert links == ["https://ci.example/runs/1?branch=x%29%5D%28javascript:alert%281%29%29%60%3Cb%3E%5C*"]
    assert "<b>" not in COMMONMARK.render(comment.splitlines()[-1])


@pytest.mark.parametrize(
    "arguments",
    [
        ["--max-chars", "60000"],  # text has no size to fit
        ["--format", "markdown", "--max-chars", "999"],
        ["--format", "markdown", "--full-plan-url", FULL_PLAN],  # a place for what nothing left out
        ["--format", "markdown", "--max-chars", "60000", "--full-plan-url", "javascript:alert(1)"],
    ],
)
def test_a_misused_size_option_is_an_error_in_the_arguments(
    cli: CliRunnerCall, tmp_path: Path, arguments: list[str]
) -> None:
    """Exit 2 before anything starts: the project folder does not even exist."""
    result = cli("plan", tmp_path / "missing", *arguments)

    assert result.exit_code == 2, result.output


def test_a_limit_too_small_for_the_heading_is_an_error() -> None:
    plan = Plan.build(
        "skilljar", "a" * 2000, [Change(Action.CREATE, "users", ("u@acme.com",), None, {})], {}, []
    )

    with pytest.raises(LmsformError, match=re.escape("does not fit in 1000 characters")):
        render(plan, "markdown", title="Skilljar", redact="none", limit=CommentLimit(1000))
