"""Plans and apply results as text for people. Rendering only formats; it decides nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from lmsform.apply import ApplyResult, ChangeResult, Outcome
from lmsform.model import kind
from lmsform.plan import Action, Change, Plan

_SYMBOLS = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.DELETE: ("-", "red"),
    Action.DEACTIVATE: ("-", "red"),
    Action.REASSERT: ("=", "cyan"),
}
_DONE = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.DELETE: "deleted",
    Action.DEACTIVATE: "deactivated",
    Action.REASSERT: "sent again",
}


def plan_text(plan: Plan, *, title: str) -> str:
    warnings = [click.style(f"Warning: {warning}", fg="yellow") for warning in plan.warnings]
    if plan.is_empty:
        lines = [*warnings, f"No changes. {title} {plan.target} matches the manifests."]
        if plan.changes:
            shown = ", ".join(change.address for change in plan.changes[:5])
            more = f" and {len(plan.changes) - 5} more" if len(plan.changes) > 5 else ""
            lines.append(
                f"{title} cannot report back {len(plan.changes)} write-only setting(s); "
                f"apply sends them again (idempotent): {shown}{more}"
            )
        return "\n".join(lines) + "\n"
    lines = [f"lmsform will make these changes to {title} {plan.target}:", ""]
    for change in plan.changes:
        lines.extend(change_lines(change))
    lines.append("")
    lines.extend(warnings)
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def summary_line(plan: Plan) -> str:
    counts = plan.counts
    resend = f", {counts.reassert} to send again" if counts.reassert else ""
    return f"Plan: {counts.add} to add, {counts.change} to change, {counts.remove} to remove{resend}."


def change_lines(change: Change) -> list[str]:
    symbol, colour = _SYMBOLS[change.action]
    header = f"  {click.style(symbol, fg=colour, bold=True)} {change.address}"
    if change.action.is_removal:
        header += click.style(f"  ({change.action.value})", fg=colour)
    elif change.action is Action.REASSERT and change.after is not None and change.after.get("revoke"):
        header += click.style("  (revoke)", fg=colour)
    lines = [header]
    if change.action in (Action.CREATE, Action.REASSERT) and change.after is not None:
        lines.extend(_field_lines(_shown_fields(change)))
    elif change.action is Action.UPDATE and change.before is not None and change.after is not None:
        lines.extend(_diff_lines(change.before, change.after, change.changed))
    for note in change.notes:
        lines.append(click.style(f"      # {note}", dim=True))
    if change.cascade:
        shown = ", ".join(change.cascade[:5]) + (
            f" and {len(change.cascade) - 5} more" if len(change.cascade) > 5 else ""
        )
        lines.append(click.style(f"      # also removes {shown}", dim=True))
    return lines


def _shown_fields(change: Change) -> dict[str, Any]:
    """A new object's values, without the key fields its address already shows."""
    assert change.after is not None
    key_fields = kind(change.kind).key_fields
    shown_key = dict(zip(key_fields, change.key, strict=True))
    return {
        name: value
        for name, value in change.after.items()
        if value is not None and not (name in shown_key and shown_key[name].lower() == str(value).lower())
    }


def _field_lines(fields: Mapping[str, Any]) -> list[str]:
    width = max((len(name) for name in fields), default=0)
    return [f"      {name.ljust(width)}  {_value(value)}" for name, value in fields.items()]


def _diff_lines(before: Mapping[str, Any], after: Mapping[str, Any], changed: tuple[str, ...]) -> list[str]:
    width = max((len(name) for name in changed), default=0)
    return [
        f"      {name.ljust(width)}  {_value(before.get(name))} -> {_value(after.get(name))}"
        for name in changed
    ]


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def result_line(result: ChangeResult) -> str:
    change = result.change
    if result.outcome is Outcome.DONE:
        return f"{change.address}: {_DONE[change.action]}"
    if result.outcome is Outcome.FAILED:
        return click.style(f"{change.address}: {change.action.value} failed: {result.error}", fg="red")
    return f"{change.address}: not attempted"


def apply_summary(result: ApplyResult) -> str:
    done = result.with_outcome(Outcome.DONE)
    if result.ok:
        added = sum(1 for item in done if item.change.action is Action.CREATE)
        changed = sum(1 for item in done if item.change.action is Action.UPDATE)
        removed = sum(1 for item in done if item.change.action.is_removal)
        resent = sum(1 for item in done if item.change.action is Action.REASSERT)
        extra = f", {resent} sent again" if resent else ""
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
        lines.append(click.style(f"Error: {item.change.address}: {item.error}", fg="red"))
    lines.append("Run `lmsform plan` to see what is still to do.")
    return "\n".join(lines)
