"""Plans, drift reports and apply results as text for a terminal or a log (coloured on a terminal only)."""

from __future__ import annotations

from collections.abc import Mapping

import click

from lmsform.apply import ApplyResult, ChangeResult, Outcome
from lmsform.characters import shown_inline
from lmsform.journal import Cause
from lmsform.output.changes import ChangeView, cause_text, summary, view
from lmsform.output.redaction import Redactor
from lmsform.plan import Action, Plan

_COLOURS = {"+": "green", "~": "yellow", "-": "red", "=": "cyan"}
_DONE = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.DELETE: "deleted",
    Action.DEACTIVATE: "deactivated",
    Action.REASSERT: "sent (cannot be read back)",
}


def plan_text(
    plan: Plan,
    *,
    title: str,
    redactor: Redactor,
    report: str = "plan",
    causes: Mapping[str, Cause] | None = None,
) -> str:
    """`causes`: a drift report's known causes, by address."""
    title, target = shown_inline(title), shown_inline(plan.target)  # a saved plan's, for `show`
    if plan.environment:
        target += f" (environment {shown_inline(plan.environment)})"
    warnings = [click.style(f"Warning: {redactor.text(warning)}", fg="yellow") for warning in plan.warnings]
    warnings += [f"Note: {redactor.text(notice)}" for notice in plan.notices]
    if plan.is_empty:
        verdict = (
            f"No changes. {title} {target} matches the manifests."
            if report == "plan"
            else f"No drift. {title} {target} matches the manifests."
        )
        lines = [*_partial_header(plan, redactor), *warnings, verdict]
        if plan.changes and report == "plan":
            shown = ", ".join(redactor.text(change.address) for change in plan.changes[:5])
            more = f" and {len(plan.changes) - 5} more" if len(plan.changes) > 5 else ""
            unread = sorted({shown_inline(name) for change in plan.changes for name in change.changed})
            what = (
                f"the {' and '.join(unread)} of {len(plan.changes)} object(s)"
                if unread
                else f"{len(plan.changes)} write-only setting(s)"
            )
            # "Again" only where the journals show lmsform last sent those very values (Change.sent_before).
            sends = (
                "apply sends them again (idempotent)"
                if not plan.unproven
                else f"apply sends them (idempotent); lmsform cannot tell whether {title} holds them"
            )
            lines.append(f"{title} cannot report back {what}; {sends}: {shown}{more}")
        return "\n".join(lines) + "\n"
    heading = (
        f"lmsform will make these changes to {title} {target}:"
        if report == "plan"
        else f"{title} {target} differs from the manifests:"
    )
    lines = [*_partial_header(plan, redactor), heading, ""]
    for change in plan.changes:
        if report == "drift" and change.action is Action.REASSERT:
            continue
        cause = cause_text((causes or {}).get(change.address), title)
        lines.extend(_lines(view(change, redactor, cause=cause)))
    lines.append("")
    lines.extend(warnings)
    lines.append(summary(plan, report))
    return "\n".join(lines) + "\n"


def _partial_header(plan: Plan, redactor: Redactor) -> list[str]:
    """A partial plan says so first, with its targets as the command line gives them (a saved plan's:
    untrusted, so escaped)."""
    if not plan.targets.partial:
        return []
    limited = " ".join(redactor.text(option) for option in plan.targets.options)
    line = f"Partial plan: only {limited} and what they need; a plan without them shows the rest."
    return [click.style(line, bold=True), ""]


def _lines(change: ChangeView) -> list[str]:
    colour = _COLOURS[change.symbol]
    header = f"  {click.style(change.symbol, fg=colour, bold=True)} {change.address}"
    if change.qualifier:
        header += click.style(f"  {change.qualifier}", fg=colour)
    lines = [header]
    width = max((len(field.name) for field in change.fields), default=0)
    for field in change.fields:
        value = field.after if field.before is None else f"{field.before} -> {field.after}"
        lines.append(f"      {field.name.ljust(width)}  {value}")
    lines.extend(click.style(f"      # {note}", dim=True) for note in change.notes)
    return lines


def result_line(result: ChangeResult, redactor: Redactor) -> str:
    change = result.change
    where = redactor.text(change.address)
    if result.outcome is Outcome.DONE:
        return f"{where}: {_DONE[change.action]}"
    if result.outcome is Outcome.FAILED:
        return click.style(
            f"{where}: {change.action.value} failed: {redactor.text(result.error or '')}", fg="red"
        )
    return f"{where}: not attempted"


def batch_line(results: list[ChangeResult], redactor: Redactor) -> str:
    """One line for a finished unit of work: a change, or a batch of them (a bulk call)."""
    if len(results) == 1:
        return result_line(results[0], redactor)
    first = results[0]
    outcome = first.outcome
    verb = _DONE[first.change.action] if outcome is Outcome.DONE else outcome.value
    line = f"{shown_inline(first.change.kind)}: {len(results)} {verb} in one call"
    return click.style(line, fg="red") if outcome is Outcome.FAILED else line


def apply_summary(result: ApplyResult, redactor: Redactor) -> str:
    done = result.with_outcome(Outcome.DONE)
    if result.ok:
        added = sum(1 for item in done if item.change.action is Action.CREATE)
        changed = sum(1 for item in done if item.change.action is Action.UPDATE)
        removed = sum(1 for item in done if item.change.action.is_removal)
        resent = sum(1 for item in done if item.change.action is Action.REASSERT)
        extra = f", {resent} sent that cannot be read back" if resent else ""
        return click.style(
            f"Apply complete: {added} added, {changed} changed, {removed} removed{extra}.",
            fg="green",
            bold=True,
        )
    failed = result.with_outcome(Outcome.FAILED)
    skipped = result.with_outcome(Outcome.NOT_ATTEMPTED)
    lines = [
        click.style(
            f"Apply failed: {len(done)} of {len(result.results)} changes done, {len(failed)} failed, "
            f"{len(skipped)} not attempted.",
            fg="red",
            bold=True,
        )
    ]
    for item in failed:
        lines.append(
            click.style(
                f"Error: {redactor.text(item.change.address)}: {redactor.text(item.error or '')}", fg="red"
            )
        )
    lines.append("Run `lmsform plan` to see what is still to do.")
    return "\n".join(lines)
