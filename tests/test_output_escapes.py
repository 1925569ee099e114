"""A name may hold characters a manifest may not show as themselves when it spells them as escapes
(or the vendor holds them): the plan a person reads shows them as escapes too, never raw, so a bidi
override cannot reorder a pull-request comment nor a control character restyle a terminal."""

from __future__ import annotations

import html
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from lmsform.characters import REFUSED, shown_inline
from lmsform.output import render
from lmsform.output.markdown import code_block, code_span, escaped
from lmsform.plan import Plan
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir

HOSTILE = r"""
groups:
  - name: "ad\u202emins\u200b"
users:
  - email: ann@acme.com
    first_name: "Ann\u202e"
    last_name: "Safety \x9b31m team \u2066"
    groups: ["ad\u202emins\u200b"]
"""


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_a_plan_shows_hidden_characters_as_escapes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, output_format: str
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", HOSTILE)

    result = cli("plan", project.root, "--format", output_format)

    assert result.exit_code == 0, result.output
    assert REFUSED.search(result.stdout) is None
    assert r'groups["ad\u202emins\u200b"]' in result.stdout
    assert r"Ann\u202e" in result.stdout
    assert r"Safety \u009b31m team \u2066" in result.stdout


# Any text at all: what a vendor or a saved plan may hold.
ANY_TEXT = st.text(st.characters(codec="utf-8"))
COMMONMARK = MarkdownIt("commonmark").enable("table")


def _as_html(text: str) -> str:
    return html.escape(text, quote=True).replace("&#x27;", "'")


@given(ANY_TEXT)
def test_text_for_one_line_holds_no_control_and_no_line_break(text: str) -> None:
    shown = shown_inline(text)

    assert REFUSED.search(shown) is None
    assert "\n" not in shown and "\r" not in shown


@given(ANY_TEXT)
def test_markdown_text_shows_exactly_itself(text: str) -> None:
    """Whatever the text, outside code it renders as that text (escaped as `shown_inline` shows it):
    no tag, comment, link, emphasis or entity."""
    rendered = COMMONMARK.render(f"> **Warning:** a{escaped(text)}z")

    assert rendered == (
        f"<blockquote>\n<p><strong>Warning:</strong> {_as_html('a' + shown_inline(text) + 'z')}</p>\n"
        "</blockquote>\n"
    )


@given(ANY_TEXT)
def test_markdown_text_stays_in_its_table_cell(text: str) -> None:
    tokens = COMMONMARK.parse(f"| Kind | Add |\n|:--|--:|\n| a{escaped(text)}z | 1 |\n")

    cells = [token.content for token in tokens if token.type == "inline"]
    assert len(cells) == 4
    assert COMMONMARK.renderInline(cells[2]) == _as_html("a" + shown_inline(text) + "z")


@given(ANY_TEXT.map(shown_inline).filter(bool))
@example("`")
@example("a``b")
@example(" `x` ")
@example(" 0 ")
def test_a_code_span_shows_exactly_its_text(text: str) -> None:
    tokens = COMMONMARK.parse(f"### a {code_span(text)} b")

    spans = [
        child.content for token in tokens for child in token.children or [] if child.type == "code_inline"
    ]
    assert spans == [text]


@given(st.lists(ANY_TEXT.map(shown_inline)))
@example(["```"])
@example(["x", "````", "</details>"])
def test_a_code_block_holds_its_lines_and_nothing_after_it(lines: list[str]) -> None:
    document = ["<details>", "<summary>x</summary>", "", *code_block("diff", lines), "", "</details>"]

    tokens = COMMONMARK.parse("\n".join([*document, "", "#### after"]))

    fences = [token for token in tokens if token.type == "fence"]
    assert len(fences) == 1 and fences[0].content == "".join(f"{line}\n" for line in lines)
    assert tokens[-2].content == "after"


@given(ANY_TEXT)
def test_json_keeps_any_text_exact_and_shows_no_control(text: str) -> None:
    plan = Plan(provider="skilljar", target=text, changes=(), warnings=(text,))

    document = render(plan, "json", title="Skilljar", redact="none")

    assert REFUSED.search(document) is None
    assert json.loads(document)["target"] == text and json.loads(document)["warnings"] == [text]
