"""Plans and drift reports as Markdown for a pull-request comment (GitHub-flavoured).

The first line is a hidden marker, so a CI step can find its earlier comment and update it
instead of adding one per push. Changes are grouped by kind as `diff` blocks (GitHub colours the
+ and - lines); a kind with many changes is collapsed.

Names come from pull requests and vendors, so none may change the comment's structure. Text in a
code block or a code span is fenced by more backticks than it holds in a row (CommonMark closes a
fence only with one as long); any other text has every character that Markdown or HTML gives a
meaning escaped with a backslash, so it can open no comment, tag, link, emphasis or table cell. Line
breaks in untrusted text are escapes already (`Redactor.text`), so none starts a Markdown block.

GitHub refuses a comment over 65,536 characters, so a comment can be made to fit a size
(`CommentLimit`): the document is a list of blocks, each closed in itself (a `<details>` with its
`</details>`, a code fence with its closing fence, a whole table), and a block that does not fit is
replaced by a one-line summary, never cut. A last line names what was left out and where the full
plan is.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from lmsform.characters import shown_inline
from lmsform.errors import LmsformError
from lmsform.journal import Cause
from lmsform.kinds import KINDS
from lmsform.output.changes import (
    ChangeView,
    cause_text,
    counted,
    counts_by_kind,
    resend_note,
    summary,
    view,
)
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


@dataclass(frozen=True)
class CommentLimit:
    """The most characters the Markdown may hold, and where the full plan is (an http(s) URL), for the
    line that says what was left out."""

    max_chars: int
    full_plan_url: str | None = None

    def __post_init__(self) -> None:
        if self.full_plan_url is not None and not _is_web_address(self.full_plan_url):
            raise ValueError("the full plan's URL must be an http:// or https:// address")


@dataclass(frozen=True)
class _Block:
    """A part of the comment that may be left out: its Markdown, and the line shown instead."""

    name: str  # for the line that says what was left out
    full: str
    short: str
    is_section: bool = False  # a kind's changes (its name is the kind's)


def plan_markdown(
    plan: Plan,
    *,
    title: str,
    redactor: Redactor,
    report: str = "plan",
    causes: Mapping[str, Cause] | None = None,
    limit: CommentLimit | None = None,
) -> str:
    """`causes`: a drift report's known causes, by address; `limit`: a size the comment must fit."""
    account = f"{escaped(title)} {code_span(shown_inline(plan.target))}"
    if plan.environment:
        account += f" (environment {code_span(shown_inline(plan.environment))})"
    head = [f"{MARKERS[report]}\n### lmsform {report}: {account}", *_partial(plan, redactor)]
    if plan.is_empty:  # values sent only because they cannot be read back are no section
        verdict = "No changes" if report == "plan" else "No drift"
        head.append(f"**{verdict}.** {account} matches the manifests.")
    else:
        head.append(f"**{summary(plan, report)}**")
    blocks = [_Block("the table of counts", "\n".join(_table(plan, report)), "")] if not plan.is_empty else []
    notices = _notices(plan, title, redactor, report)
    if notices:
        left_out = (
            f"> **Warning:** {len(notices)} warnings and notes are not shown here: read the full {report}."
        )
        blocks.append(_Block("the warnings and notes", "\n".join(notices), left_out))
    blocks += _sections(plan, title, redactor, report, causes or {})
    if limit is None:
        return _joined(head + [block.full for block in blocks])
    return _fitted(head, blocks, limit, report)


def _partial(plan: Plan, redactor: Redactor) -> list[str]:
    """A partial plan says so under its heading, with its targets as the command line gives them."""
    if not plan.targets.partial:
        return []
    limited = " ".join(code_span(redactor.text(option)) for option in plan.targets.options)
    return [f"**Partial plan:** only {limited} and what they need; a plan without them shows the rest."]


def _notices(plan: Plan, title: str, redactor: Redactor, report: str) -> list[str]:
    lines = [f"> **Warning:** {escaped(redactor.text(warning))}" for warning in plan.warnings]
    lines += [f"> **Note:** {escaped(redactor.text(notice))}" for notice in plan.notices]
    note = resend_note(plan, title) if plan.is_empty and report == "plan" else ""
    return lines + ([f"> **Note:** {escaped(redactor.text(note))}"] if note else [])


def _sections(
    plan: Plan, title: str, redactor: Redactor, report: str, causes: Mapping[str, Cause]
) -> list[_Block]:
    """One section per kind, in dependency order; none for a plan with no changes."""
    if plan.is_empty:
        return []
    by_kind: dict[str, list[Change]] = {}
    for change in plan.changes:
        if not (report == "drift" and change.action is Action.REASSERT):
            by_kind.setdefault(change.kind, []).append(change)
    blocks = []
    for kind in KINDS:
        if kind.name in by_kind:
            changes = by_kind[kind.name]
            views = [
                view(change, redactor, cause=cause_text(causes.get(change.address), title))
                for change in changes
            ]
            counts = Counter(change.action.counted_as for change in changes)
            short = f"#### {escaped(kind.name)}: {_changes(len(changes))}, not shown ({counted(counts)})"
            blocks.append(_Block(kind.name, "\n".join(_section(kind.name, views)), short, is_section=True))
    return blocks


def _fitted(head: list[str], blocks: Sequence[_Block], limit: CommentLimit, report: str) -> str:
    """The comment within `limit`: each block whole where it fits, in order, its summary otherwise."""
    room_for_footer = len(_footer(blocks, limit, report)) + 2  # the longest it can be
    kept = [False] * len(blocks)
    for index in range(len(blocks)):
        trial = [*kept[:index], True, *kept[index + 1 :]]
        if _size(head + _shown(blocks, trial)) + room_for_footer <= limit.max_chars:
            kept = trial
    left_out = [block for block, whole in zip(blocks, kept, strict=True) if not whole]
    text = _joined(head + _shown(blocks, kept) + ([_footer(left_out, limit, report)] if left_out else []))
    if len(text) > limit.max_chars:
        raise LmsformError(
            f"the Markdown {report} does not fit in {limit.max_chars} characters even with every section "
            f"left out (it needs {len(text)}): raise --max-chars"
        )
    return text


def _shown(blocks: Sequence[_Block], kept: list[bool]) -> list[str]:
    return [block.full if whole else block.short for block, whole in zip(blocks, kept, strict=True)]


def _footer(left_out: Sequence[_Block], limit: CommentLimit, report: str) -> str:
    """The last line: what was left out, and where the full plan is."""
    parts = [block.name for block in left_out if not block.is_section]
    kinds = [escaped(block.name) for block in left_out if block.is_section]
    if kinds:
        parts.append(f"the changes of {', '.join(kinds)} (counted above)")
    where = (
        f"Read [the full {report}]({_link_destination(limit.full_plan_url)})."
        if limit.full_plan_url
        else f"For the full {report}, see the run's artifacts, or run `lmsform {report}` without "
        "`--max-chars`."
    )
    return f"**Left out to fit in {limit.max_chars} characters:** {'; '.join(parts)}. {where}"


def _joined(blocks: list[str]) -> str:
    return "\n\n".join(block for block in blocks if block) + "\n"


def _size(blocks: list[str]) -> int:
    """`len(_joined(blocks))`, without building it."""
    present = [block for block in blocks if block]
    return sum(map(len, present)) + 2 * max(len(present) - 1, 0) + 1


def _changes(count: int) -> str:
    return f"{count} change{'s' if count != 1 else ''}"


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url.isprintable() and " " not in url


def _link_destination(url: str) -> str:
    """`url` percent-encoded wherever Markdown could read syntax (spaces, brackets, angle brackets,
    backslashes, backticks, quotes): it can end neither the link nor the paragraph."""
    return quote(url, safe="/:?#@!$&*+,;=%-._~")


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
    number = _changes(len(views))
    if len(views) > COLLAPSE_OVER:  # an HTML block: Markdown escapes would show, HTML's hold
        summary_line = f"<summary><b>{html.escape(shown_inline(kind_name))}: {number}</b></summary>"
        return ["<details>", summary_line, "", *body, "", "</details>"]
    return [f"#### {escaped(kind_name)}: {number}", "", *body]


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
