"""Safety rules on the whole plan, before any write: protected objects, lock-out guards, thresholds.

Protection lives in lmsform.yaml (`protect:`), not on the objects' declarations, so it outlives
them: an object dropped from the manifests stays protected. Thresholds follow octoDNS: a plan may
not remove or update more than a share of the live objects of a kind, once there are enough of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase

from lmsform.errors import UnsafePlanError
from lmsform.model import Key, ProjectConfig, address, parse_address
from lmsform.plan import Action, Change, Plan

# Why an object must never be removed or demoted, or None.
Guard = Callable[[str, Key], str | None]


def matches(patterns: Iterable[str], key: Key) -> bool:
    """Does a key match one of the patterns? Keys of several parts are joined with `/`; case is ignored."""
    text = "/".join(key).casefold()
    return any(fnmatchcase(text, pattern.casefold()) for pattern in patterns)


def make_guard(config: ProjectConfig, vendor_guarded: Mapping[tuple[str, Key], str]) -> Guard:
    def guard(kind: str, key: Key) -> str | None:
        if (kind, key) in vendor_guarded:
            return vendor_guarded[(kind, key)]
        if matches(config.protected(kind), key):
            return "listed under protect: in lmsform.yaml"
        return None

    return guard


def demotes(change: Change) -> bool:
    """Removes the object, deactivates it, or takes a grant away."""
    if change.action.is_removal:
        return True
    after, before = change.after or {}, change.before or {}
    if change.action is Action.UPDATE and "active" in change.changed:
        return before.get("active") is True and after.get("active") is False
    return change.action is Action.REASSERT and bool(after.get("revoke"))


def check_plan(plan: Plan, config: ProjectConfig, guard: Guard, *, force: bool) -> None:
    """Raise UnsafePlanError unless the plan keeps every rule; --force lifts thresholds only."""
    protected = _protection_violations(plan, guard)
    if protected:
        raise UnsafePlanError(protected, forceable=False)
    over = threshold_violations(plan, config)
    if over and not force:
        raise UnsafePlanError(over, forceable=True)


def _protection_violations(plan: Plan, guard: Guard) -> list[str]:
    reasons = []
    for change in plan.changes:
        if not demotes(change):
            continue
        touched = [(change.kind, change.key)] + [parse_address(item) for item in change.cascade]
        for kind, key in touched:
            why = guard(kind, key)
            if why is not None:
                reasons.append(
                    f"{change.address} would {change.action.value} {address(kind, key)}, "
                    f"which is protected: {why}"
                )
    return reasons


def threshold_violations(plan: Plan, config: ProjectConfig) -> list[str]:
    # What the vendor removes along with an object counts as removed too (a user's enrollments).
    removals = Counter(change.kind for change in plan.changes if change.action.is_removal)
    removals.update(
        parse_address(item)[0]
        for change in plan.changes
        if change.action.is_removal
        for item in change.cascade
    )
    updates = Counter(change.kind for change in plan.changes if change.action is Action.UPDATE)
    reasons = []
    for kind, existing in sorted(plan.existing.items()):
        if existing < config.safety.min_existing:
            continue
        max_remove, max_update = config.safety.limits(kind)
        for what, count, limit in (
            ("removals", removals[kind], max_remove),
            ("updates", updates[kind], max_update),
        ):
            share = 100 * count / existing
            if share > limit:
                reasons.append(
                    f"Too many {what} of {kind}: {share:.0f} % ({count}/{existing}) is over {limit:g} %"
                )
    return reasons
