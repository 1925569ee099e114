"""What a change looks like to a reader, independent of the output format."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from lmsform.characters import shown_inline
from lmsform.journal import Cause
from lmsform.kinds import kind
from lmsform.output.redaction import Redactor
from lmsform.plan import Action, Change, Counts, Plan

SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.DELETE: "-",
    Action.DEACTIVATE: "-",
    Action.REASSERT: "=",
}
CASCADE_SHOWN = 5


@dataclass(frozen=True)
class FieldView:
    name: str
    before: str | None  # None for a new value (create, re-send)
    after: str


@dataclass(frozen=True)
class ChangeView:
    """A change as text for people: every piece is one line with what could hide or restyle text, and
    line breaks, shown as escapes (`shown_inline`); a format escapes it further for its own syntax."""

    symbol: str
    address: str
    qualifier: str  # "(deactivate)", "(revoke)" or ""
    fields: tuple[FieldView, ...]
    notes: tuple[str, ...]


def view(change: Change, redactor: Redactor, *, cause: str = "") -> ChangeView:
    """`cause`: why a drift report shows the change, as `cause_text` words it (first among the notes)."""
    qualifier = ""
    if change.action.is_removal:
        qualifier = f"({change.action.value})"
    elif change.action is Action.REASSERT and (change.after or {}).get("revoke"):
        qualifier = "(revoke)"
    fields: list[FieldView] = []
    if change.action in (Action.CREATE, Action.REASSERT) and change.after is not None:
        fields = [
            FieldView(shown_inline(name), None, _value(name, value, redactor))
            for name, value in _new_fields(change).items()
        ]
    elif change.action is Action.UPDATE and change.before is not None and change.after is not None:
        fields = [
            FieldView(
                shown_inline(name),
                _value(name, change.before.get(name), redactor),
                _value(name, change.after.get(name), redactor),
            )
            for name in change.changed
        ]
    notes = [cause] if cause else []
    notes += change.notes
    if change.cascade:
        more = len(change.cascade) - CASCADE_SHOWN
        shown = ", ".join(change.cascade[:CASCADE_SHOWN]) + (f" and {more} more" if more > 0 else "")
        notes.append(f"also removes {shown}")
    return ChangeView(
        SYMBOLS[change.action],
        redactor.text(change.address),
        qualifier,
        tuple(fields),
        tuple(redactor.text(note) for note in notes),
    )


def _new_fields(change: Change) -> dict[str, Any]:
    """A new object's values, without the key fields its address already shows; of an object sent
    again, the values that cannot be read back."""
    assert change.after is not None
    if change.action is Action.REASSERT and change.changed:
        return {name: change.after.get(name) for name in change.changed}
    key_fields = kind(change.kind).key_fields_of(change.after)
    shown_key = dict(zip(key_fields, change.key, strict=False))
    return {
        name: value
        for name, value in change.after.items()
        if value is not None and not (name in shown_key and shown_key[name].lower() == str(value).lower())
    }


def _value(name: str, value: Any, redactor: Redactor) -> str:
    return redactor.text(json.dumps(redactor.value(name, value), ensure_ascii=False, default=str))


def cause_text(cause: Cause | None, title: str) -> str:
    """A drift's cause in words; "" when the journals cannot tell (the report then claims none)."""
    if cause is Cause.VENDOR:
        return f"changed in {title} since lmsform last applied it"
    if cause is Cause.NOT_APPLIED:
        return "not applied yet: the manifests changed since lmsform last applied it"
    return ""


def summary(plan: Plan, report: str) -> str:
    counts = plan.counts
    resend = (
        f", {counts.reassert} to send that cannot be read back"
        if counts.reassert and report == "plan"
        else ""
    )
    label = "Plan" if report == "plan" else "Drift"
    return f"{label}: {counts.add} to add, {counts.change} to change, {counts.remove} to remove{resend}."


def counted(counts: Mapping[str, int]) -> str:
    """One kind's counts (a `counts_by_kind` row) in words: "12 to add, 1 to remove"."""
    words = {"add": "to add", "change": "to change", "remove": "to remove", "reassert": "to send"}
    return ", ".join(f"{counts[name]} {word}" for name, word in words.items() if counts.get(name))


def resend_note(plan: Plan, title: str) -> str:
    """For a plan whose only changes send values the vendor cannot report back (`Plan.is_empty`): what
    apply sends, in one sentence that lists no change; "" when it sends nothing."""
    if not plan.changes:
        return ""
    kinds = ", ".join(f"{number} {name}" for name, number in Counter(c.kind for c in plan.changes).items())
    sends = (
        "apply sends them again (idempotent)"
        if not plan.unproven
        else f"apply sends them (idempotent); lmsform cannot tell whether {title} holds them"
    )
    return f"Not a change: {title} cannot report back the values of {kinds}; {sends}."


def counts_by_kind(plan: Plan) -> Mapping[str, Mapping[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for change in plan.changes:
        row = table.setdefault(change.kind, {column.name: 0 for column in fields(Counts)})
        row[change.action.counted_as] += 1
    return table
