"""Plans and drift reports as Markdown for a pull-request comment (GitHub-flavoured).

The first line is a hidden marker, so a CI step can find its earlier comment and update it
instead of adding one per push. Changes are grouped by kind as `diff` blocks (GitHub colours the
+ and - lines); a kind with many changes is collapsed.
"""

from __future__ import annotations

from collections.abc import Mapping

from lmsform.journal import Cause
from lmsform.model import KINDS
from lmsform.output.changes import ChangeView, cause_text, counts_by_kind, summary, view
from lmsform.output.redaction import Redactor
from lmsform.plan import Action, Change, Plan

MARKERS = {"plan": "<!-- lmsform:plan -->", "drift": "<!-- lmsform:drift -->"}
COLLAPSE_OVER = 10
_COLUMNS = (("add", "Add"), ("change", "Change"), ("remove", "Remove"), ("reassert", "Send (unreadable)"))


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
    lines = [MARKERS[report], f"### lmsform {report}: {title} `{plan.target}`", ""]
    if plan.is_empty:
        verdict = "No changes" if report == "plan" else "No drift"
        lines.append(f"**{verdict}.** {title} `{plan.target}` matches the manifests.")
    else:
        lines += [f"**{summary(plan, report)}**", "", *_table(plan, report)]
    lines += [""] + [f"> **Warning:** {redactor.text(warning)}" for warning in plan.warnings]
    lines += [f"> **Note:** {redactor.text(notice)}" for notice in plan.notices]
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
        rows.append(f"| {kind_name} | " + " | ".join(str(counts[name]) for name, _ in columns) + " |")
        for name, _ in columns:
            totals[name] += counts[name]
    rows.append("| **Total** | " + " | ".join(f"**{totals[name]}**" for name, _ in columns) + " |")
    return rows


def _section(kind_name: str, views: list[ChangeView]) -> list[str]:
    body = ["```diff", *(line for shown in views for line in _diff_lines(shown)), "```"]
    heading = f"{kind_name}: {len(views)} change{'s' if len(views) != 1 else ''}"
    if len(views) > COLLAPSE_OVER:
        return ["<details>", f"<summary><b>{heading}</b></summary>", "", *body, "", "</details>"]
    return [f"#### {heading}", "", *body]


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
