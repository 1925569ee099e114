"""Untrusted text cannot take over the output: a pull request's manifests, the vendor's names and error
messages, file names and a saved plan's contents reach the terminal, the CI log and the pull-request
comment, and each format shows them as text and only as text.

The attacks: a name that closes the Markdown code block and opens an HTML comment to hide the rest of
the comment; control characters that restyle or retitle a terminal (an OSC 8 link, a C1 CSI); bidi
controls that reorder a line; and a line break followed by `::error::`, a GitHub workflow command,
which the runner obeys when it begins a line of the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import pytest
import requests
from markdown_it import MarkdownIt
from markdown_it.token import Token

from lmsform import app
from lmsform.characters import REFUSED, shown_inline
from lmsform.console import configure_logging
from lmsform.output import render
from lmsform.output.markdown import MARKERS, code_span
from lmsform.plan import Action, Change, Plan
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir

# A terminal link (OSC 8), a C1 control sequence introducer, a right-to-left override and a workflow
# command on a line of its own.
TERMINAL_ATTACK = "ops\x1b]8;;https://evil.example\x07\x9b2J\u202e\n::error::pwned\r::add-mask::x"
# The finding's group name: a code fence, an HTML comment and bold text, on lines of their own.
MARKDOWN_ATTACK = "x\n```\n<!--\n**bold** [link](https://evil.example) <b>| cell |</b> &amp; $x$"


def assert_shown_safely(output: str) -> None:
    """Nothing a terminal acts on, and no line a CI runner would read as a workflow command."""
    assert REFUSED.search(output) is None, output
    assert "\r" not in output
    for line in output.splitlines():
        assert not line.lstrip().startswith(("::", "##[")), line


def yaml_quoted(text: str) -> str:
    """`text` as a double-quoted YAML string that spells every character a manifest may not show as an
    escape (JSON's escapes are YAML's)."""
    return json.dumps(text)


# --- Markdown ------------------------------------------------------------------------------------------


def _tokens(markdown: str) -> list[Token]:
    """Every token of `markdown` as a CommonMark parser with GitHub's tables reads it, inline ones too."""
    parser = MarkdownIt("commonmark").enable("table")
    flat: list[Token] = []
    for token in parser.parse(markdown):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def _html(tokens: list[Token]) -> list[str]:
    return [token.content.strip() for token in tokens if token.type in ("html_block", "html_inline")]


OUR_HTML = {MARKERS["plan"], MARKERS["drift"], "</details>"}


def _only_our_html(tokens: list[Token]) -> None:
    for html in _html(tokens):
        assert html in OUR_HTML or (
            html.startswith("<details>\n<summary><b>") and html.endswith("</b></summary>")
        ), html


def test_attack_group_name_with_a_fence_a_comment_and_bold_hides_no_section(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The finding: a group name holding a code fence, `<!--` and bold text closed the diff block and
    hid the supervisors and webhooks sections of the pull-request comment."""
    name = yaml_quoted(MARKDOWN_ATTACK)
    project.configure(skilljar.url)
    project.write(
        "people.yaml",
        f"""
        groups:
          - name: {name}
        users:
          - email: ann@acme.com
            groups: [{name}]
        supervisors:
          - user: ann@acme.com
            group: {name}
            course_access: ALL
            path_access: ALL
        webhooks:
          - url: https://hooks.acme.example/completions
            events: [COURSE_COMPLETION]
        courses:
          - title: Safety
            published: true
        enrollments:                 # a note on each enrollment names the group it comes from
          - course: Safety
            groups: [{name}]
        """,
    )

    result = cli("plan", project.root, "--format", "markdown")

    assert result.exit_code == 0, result.output
    tokens = _tokens(result.stdout)
    headings = [
        tokens[index + 1].content for index, token in enumerate(tokens) if token.type == "heading_open"
    ]
    assert headings[1:] == [
        "users: 1 change",
        "groups: 1 change",
        "memberships: 1 change",
        "courses: 1 change",
        "publications: 1 change",
        "enrollments: 1 change",
        "supervisors: 1 change",
        "webhooks: 1 change",
    ]
    fences = [token for token in tokens if token.type == "fence"]
    assert [fence.info for fence in fences] == ["diff"] * 8
    assert f"#     via group {shown_inline(MARKDOWN_ATTACK)}\n" in fences[5].content
    assert f"+ groups[{shown_inline(json.dumps(MARKDOWN_ATTACK, ensure_ascii=False))}]\n" == fences[1].content
    _only_our_html(tokens)
    assert not [token for token in tokens if token.type in ("link_open", "em_open")]
    # Bold only where lmsform writes it: the summary line and the totals row.
    assert sum(token.type == "strong_open" for token in tokens) == 1 + 5


def _hostile_plan(text: str, *, changes: int = 1) -> Plan:
    """A plan (as `show` could read it from a file) with `text` in every place a format shows."""
    users = [
        Change(
            action=Action.CREATE,
            kind="users",
            key=(f"u{number}@acme.com",),
            before=None,
            after={"email": f"u{number}@acme.com", text: text, "first_name": text},
            notes=(text,),
        )
        for number in range(changes)
    ]
    group = Change(
        action=Action.DELETE,
        kind="groups",
        key=(text,),
        before={"name": text},
        after=None,
        ids={"id": "1"},
        cascade=(text,),
    )
    return Plan(
        provider="skilljar",
        target=text,
        changes=(*users, group),
        warnings=(text, f"left alone: {text}"),
        notices=(text,),
    )


@pytest.mark.parametrize("changes", [1, 12], ids=["a section", "a collapsed section"])
def test_attack_untrusted_text_outside_code_opens_no_comment_tag_link_or_cell(changes: int) -> None:
    """In the heading, the warnings, the notes and a saved plan's target: text that would open an
    HTML comment, a tag, a link, emphasis or a new table cell shows as that text and nothing else."""
    markdown = render(
        _hostile_plan(MARKDOWN_ATTACK, changes=changes), "markdown", title="Skilljar", redact="none"
    )

    tokens = _tokens(markdown)
    _only_our_html(tokens)
    assert not [token for token in tokens if token.type in ("link_open", "em_open", "image")]
    shown = shown_inline(MARKDOWN_ATTACK)
    spans = [token.content for token in tokens if token.type == "code_inline"]
    assert spans == [shown]  # the target, in the heading
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    shown_lines = [
        ("Warning:", shown),
        ("Warning:", f"left alone: {shown}"),
        ("Note:", shown),
    ]  # consecutive quoted lines are one paragraph: each ends in a line break or the paragraph's end
    for label, text in shown_lines:
        line = f"<strong>{label}</strong> {_html_text(text)}"
        assert f"{line}\n" in rendered or f"{line}</p>" in rendered, line
    rows = [token for token in tokens if token.type == "tr_open"]
    cells = [token for token in tokens if token.type in ("th_open", "td_open")]
    assert len(rows) == 4 and len(cells) == 4 * 5  # header, users, groups, total; five columns each
    assert [fence.info for fence in tokens if fence.type == "fence"] == ["diff", "diff"]


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@pytest.mark.parametrize("text", ["`", "a`b", "``x``", "` padded `", "```"])
def test_attack_backticks_cannot_close_the_code_span_they_are_in(text: str) -> None:
    tokens = _tokens(f"a {code_span(text)} b")

    assert [token.content for token in tokens if token.type == "code_inline"] == [text]


# --- terminal and CI log -------------------------------------------------------------------------------


def _seed(server: EmulatorServer, document: dict[str, Any]) -> None:
    requests.post(f"{server.url}/_emulator/seed", json=document, timeout=10).raise_for_status()


@pytest.mark.parametrize(
    ("command", "output_format"), [("plan", "text"), ("plan", "markdown"), ("drift", "text")]
)
def test_attack_group_name_in_a_manifest_with_terminal_controls_and_a_workflow_command_is_escaped(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, command: str, output_format: str
) -> None:
    """A pull request names a group with an OSC 8 link, a C1 CSI, a bidi override and `\\n::error::`
    (spelt as YAML escapes, which manifests allow): the note on each enrollment the group brings
    ("via group ...") shows it escaped, on one line."""
    name = yaml_quoted(TERMINAL_ATTACK)
    project.configure(skilljar.url)
    project.write(
        "people.yaml",
        f"""
        groups:
          - name: {name}
            members: [ann@acme.com]
        users:
          - email: ann@acme.com
        courses:
          - title: Safety
            published: true
        enrollments:
          - course: Safety
            groups: [{name}]
        """,
    )

    result = cli(command, project.root, "--format", output_format)

    assert result.exit_code == (0 if command == "plan" else 2), result.output
    assert_shown_safely(result.stdout + result.stderr)
    assert f"via group {shown_inline(TERMINAL_ATTACK)}" in result.stdout


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_attack_live_group_name_with_terminal_controls_and_a_workflow_command_is_escaped(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, output_format: str
) -> None:
    """A name the vendor holds (anyone with access to the LMS may have typed it) with an OSC 8 link,
    a C1 CSI, a bidi override and `\\n::error::`: the plan shows it escaped, on one line."""
    _seed(skilljar, {"groups": [{"name": TERMINAL_ATTACK}]})
    project.configure(skilljar.url, manage="groups: authoritative")
    project.write("people.yaml", "users:\n  - email: ann@acme.com\n")

    result = cli("plan", project.root, "--format", output_format)

    assert result.exit_code == 0, result.output
    assert_shown_safely(result.stdout + result.stderr)
    assert shown_inline(json.dumps(TERMINAL_ATTACK, ensure_ascii=False)) in result.stdout


def test_attack_the_same_plan_as_json_keeps_the_name_exact(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """JSON is data: the name reads back byte for byte, although the text holds no raw control."""
    _seed(skilljar, {"groups": [{"name": TERMINAL_ATTACK}]})
    project.configure(skilljar.url, manage="groups: authoritative")
    project.write("people.yaml", "users:\n  - email: ann@acme.com\n")

    result = cli("plan", project.root, "--format", "json")

    assert result.exit_code == 0, result.output
    assert_shown_safely(result.stdout)
    keys = [change["key"] for change in json.loads(result.stdout)["changes"] if change["kind"] == "groups"]
    assert keys == [[TERMINAL_ATTACK]]


@pytest.fixture
def hostile_vendor() -> Iterator[EmulatorServer]:
    """A vendor whose every answer is an error message written to take over the terminal."""
    app = flask.Flask("hostile")

    @app.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def refuse(anything: str) -> flask.Response:
        return flask.Response(json.dumps({"detail": TERMINAL_ATTACK}), 403, content_type="application/json")

    with EmulatorServer(app) as server:
        yield server


def test_attack_vendor_error_message_with_terminal_controls_is_escaped(
    hostile_vendor: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(hostile_vendor.url, extra="  retries: 0\n")
    project.write("people.yaml", "users:\n  - email: ann@acme.com\n")

    result = cli("plan", project.root)

    assert result.exit_code == 1
    assert_shown_safely(result.stdout + result.stderr)
    assert shown_inline(TERMINAL_ATTACK) in result.stderr
    assert result.stderr.count("\n") == 1  # one error, one line


def test_attack_manifest_file_name_with_terminal_controls_is_escaped_in_errors(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    """A pull request adds a manifest whose name holds the attack, and an error in it, so that the
    error's location prints the name."""
    project.configure("https://127.0.0.1:1")
    name = "people" + TERMINAL_ATTACK.replace("https://", "") + ".yaml"  # a file name holds no slash
    project.write(name, "users:\n  - emial: ann@acme.com\n")

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert_shown_safely(result.stdout + result.stderr)
    assert f"{shown_inline(name)}:2:5: unknown field 'emial'" in result.stderr


def test_attack_forged_lock_file_cannot_write_to_the_log(project: ProjectDir, cli: CliRunnerCall) -> None:
    """The lock file is in the checkout: a pull request may commit one whose holder is the attack."""
    project.configure("https://127.0.0.1:1")
    project.write(".lmsform/apply.lock", json.dumps({"pid": 1, "host": TERMINAL_ATTACK, "since": "now"}))

    refused = cli("unlock", project.root)
    forced = cli("unlock", project.root, "--force")

    assert refused.exit_code == 1 and forced.exit_code == 0
    for result in (refused, forced):
        assert_shown_safely(result.stdout + result.stderr)
        assert shown_inline(TERMINAL_ATTACK) in result.output


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_attack_edited_plan_file_is_escaped_by_show(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path, output_format: str
) -> None:
    """`show` renders a plan file the plan job wrote, which a pull request may have replaced: its
    target, warnings and notices are as untrusted as the manifests."""
    project.configure(skilljar.url)
    project.write("people.yaml", "users:\n  - email: ann@acme.com\n")
    saved = tmp_path / "plan.json"
    assert cli("plan", project.root, "--out", saved).exit_code == 0
    document = json.loads(saved.read_text(encoding="utf-8"))
    document.update(target=TERMINAL_ATTACK, warnings=[TERMINAL_ATTACK], notices=[MARKDOWN_ATTACK])
    saved.write_text(json.dumps(document), encoding="utf-8")

    shown = cli("show", saved, "--format", output_format)
    as_json = cli("show", saved, "--format", "json")

    assert shown.exit_code == 0, shown.output
    assert_shown_safely(shown.stdout + shown.stderr)
    assert shown_inline(TERMINAL_ATTACK) in shown.stdout  # in the heading: a code span in Markdown
    assert_shown_safely(as_json.stdout)
    assert json.loads(as_json.stdout)["target"] == TERMINAL_ATTACK


def test_attack_vendor_text_in_a_log_record_cannot_start_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`--verbose` logs what vendors answer (an id a create returned, a record found): one line each."""
    configure_logging(verbose=True)

    logging.getLogger("lmsform.writes").info("%s: record %s was already created", "users", TERMINAL_ATTACK)

    logged = capsys.readouterr().err
    assert_shown_safely(logged)
    assert logged == f"lmsform.writes: users: record {shown_inline(TERMINAL_ATTACK)} was already created\n"


def test_attack_an_unexpected_error_quoting_untrusted_text_cannot_start_a_line(
    project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug whose message quotes a hostile name: the message is escaped like any error, the frames
    are kept for a report, and the exit is 1, not an interpreter traceback printed raw."""

    def broken(directory: Path, *, offline: bool = False) -> None:
        raise RuntimeError(f"cannot handle {TERMINAL_ATTACK}")

    monkeypatch.setattr(app, "load", broken)
    project.configure("sandbox")

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert_shown_safely(result.stderr)
    assert "Traceback (most recent call last):" in result.stderr
    assert "unexpected error, a bug in lmsform (please report it): RuntimeError: cannot handle ops" in (
        result.stderr
    )
