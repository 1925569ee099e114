"""Plans and drift reports as Markdown for a pull-request comment (GitHub-flavoured).

The first line is a hidden marker, so a CI step can find its earlier comment and update it
instead of adding one per push. Changes are grouped by kind as `diff` blocks (GitHub colours the
+ and - lines); a kind with many changes is collapsed.

Names come from pull requests and vendors, so none may change the comment's structure. Text in a
code block or a code span is fenced by more backticks than it holds in a row (CommonMark closes a
fence only with one as long); any other text has every character that Markdown or HTML gives a
meaning escaped with a backslash, so it can open no comment, tag, link, emphasis or table cell. Line
breaks in untrusted text are escapes already (`Redactor.text`), so none starts a Markdown block.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from lmsform.characters import shown_inline
from lmsform.journal import Cause
from lmsform.kinds import KINDS
from lmsform.output.changes import ChangeView, cause_text, counts_by_kind, summary, view
from lmsform.output.redaction import Redactor
from lmsform.plan import Action, Change, Plan

MARKERS = {"plan": "<!-- lmsform:plan -->", "drift": "<!-- lmsform:drift -->"}
COLLAPSE_OVER = 10
_COLUMNS = (("add", "Add"), ("change", "Change"), ("remove", "Remove"), ("reassert", "Send (unreadable)"))
# Besides the characters of Markdown and HTML syntax: `:` and `.` so no `https://` or `www.` becomes a
# link (GitHub links both), `$` for GitHub's maths. Any ASCII punctuation may be escaped in CommonMark.
# An @-mention stays one: GitHub finds mentions in the rendered text, where no escape reaches.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]()<>#+\-.!|~&$:]")
_BACKTICKS = re.compile("`+")


def plan_markdown(
    plan: Plan,
    *,
    title: str,
    redactor: Redactor,
    report: str = "plan",
    causes: Mapping[str, Cause] | None = None,
) -> str:
    """`causes`: a drift report's known causes, by address."""
    changes = [
        change for change in plan.changes if not (report == "drift" and change.action is Action.REASSERT)
    ]
    account = f"{escaped(title)} {code_span(shown_inline(plan.target))}"
    lines = [MARKERS[report], f"### lmsform {report}: {account}", ""]
    if plan.is_empty:
        verdict = "No changes" if report == "plan" else "No drift"
        lines.append(f"**{verdict}.** {account} matches the manifests.")
    else:
        lines += [f"**{summary(plan, report)}**", "", *_table(plan, report)]
    lines += [""] + [f"> **Warning:** {escaped(redactor.text(warning))}" for warning in plan.warnings]
    lines += [f"> **Note:** {escaped(redactor.text(notice))}" for notice in plan.notices]
    by_kind: dict[str, list[Change]] = {}
    for change in changes:  # one section per kind, in dependency order
        by_kind.setdefault(change.kind, []).append(change)
    for kind in KINDS:
        if kind.name in by_kind:
            views = [
                view(change, redactor, cause=cause_text((causes or {}).get(change.address), title))
                for change in by_kind[kind.name]
            ]
            lines += ["", *_section(kind.name, views)]
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


def _table(plan: Plan, report: str) -> list[str]:
    columns = [(name, label) for name, label in _COLUMNS if report == "plan" or name != "reassert"]
    rows = ["| Kind | " + " | ".join(label for _, label in columns) + " |"]
    rows.append("|:--|" + "--:|" * len(columns))
    totals = dict.fromkeys((name for name, _ in columns), 0)
    for kind_name, counts in counts_by_kind(plan).items():
        rows.append(
            f"| {escaped(kind_name)} | " + " | ".join(str(counts[name]) for name, _ in columns) + " |"
        )
        for name, _ in columns:
            totals[name] += counts[name]
    rows.append("| **Total** | " + " | ".join(f"**{totals[name]}**" for name, _ in columns) + " |")
    return rows


def _section(kind_name: str, views: list[ChangeView]) -> list[str]:
    body = code_block("diff", [line for shown in views for line in _diff_lines(shown)])
    counted = f"{len(views)} change{'s' if len(views) != 1 else ''}"
    if len(views) > COLLAPSE_OVER:  # an HTML block: Markdown escapes would show, HTML's hold
        summary_line = f"<summary><b>{html.escape(shown_inline(kind_name))}: {counted}</b></summary>"
        return ["<details>", summary_line, "", *body, "", "</details>"]
    return [f"#### {escaped(kind_name)}: {counted}", "", *body]


def escaped(text: str) -> str:
    """Text outside code, with line breaks and hidden characters shown as escapes (`shown_inline`) and
    every character Markdown or HTML would read as syntax escaped: it shows as it is, and only that."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", shown_inline(text))


def _fence_for(lines: list[str], shortest: int) -> str:
    """Backticks that no run of backticks in `lines` can close: one more than the longest run."""
    longest = max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
    return "`" * max(shortest, longest + 1)


def code_block(info: str, lines: list[str]) -> list[str]:
    """`lines` (each one line already) as a fenced code block that none of them can close."""
    fence = _fence_for(lines, 3)
    return [f"{fence}{info}", *lines, fence]


def code_span(text: str) -> str:
    """`text` (one line) as inline code that it cannot close. CommonMark strips one space from each end
    of a code span that begins and ends with one (unless it is all spaces): padded with a space where
    the text begins or ends with a backtick, or begins and ends with a space, so it shows exactly."""
    fence = _fence_for([text], 1)
    spaced = text.startswith(" ") and text.endswith(" ") and text.strip(" ") != ""
    padding = " " if text.startswith("`") or text.endswith("`") or spaced else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _diff_lines(change: ChangeView) -> list[str]:
    head = {"+": "+", "-": "-", "~": "!", "=": "#"}[change.symbol]
    lines = [f"{head} {change.address}" + (f"  {change.qualifier}" if change.qualifier else "")]
    for field in change.fields:
        if field.before is None:
            lines.append(f"{head}     {field.name}: {field.after}")
        else:
            lines += [f"-     {field.name}: {field.before}", f"+     {field.name}: {field.after}"]
    lines += [f"#     {note}" for note in change.notes]
    return lines
