"""Safety rules on the whole plan, before any write: protected objects, lock-out guards, thresholds.

Protection lives in lmsform.yaml (`protect:`), not on the objects' declarations, so it outlives
them: an object dropped from the manifests stays protected. It belongs to the live object: found by
the key the vendor reports and held by the vendor's id, so it follows the object under whatever key
a manifest gives it (a rename, `adopt_by`, `id:`). What protection and the vendor's lock-out guard
keep from an object is every *demotion* (see `demotion`). Thresholds follow octoDNS: a plan may not
remove or update more than a share of the live objects of a kind, once there are enough of them;
a deactivation counts as a removal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from lmsform.errors import UnsafePlanError
from lmsform.kinds import KINDS_BY_NAME, Key, address, parse_address
from lmsform.patterns import matches
from lmsform.plan import Action, Change, Plan
from lmsform.project_config import ProjectConfig
from lmsform.providers.base import KindSupport
from lmsform.state import Resource, State

PROTECTED = "listed under protect: in lmsform.yaml"
_NO_SUPPORT = KindSupport(fields=frozenset())


# --- what a demotion is -------------------------------------------------------------------------------


def deactivates(change: Change) -> bool:
    """An update that turns an active object inactive: a removal by another name."""
    if change.action is not Action.UPDATE or "active" not in change.changed:
        return False
    return (change.before or {}).get("active") is True and (change.after or {}).get("active") is False


def removes(change: Change) -> bool:
    """Deletes or deactivates the object, however the plan spells it."""
    return change.action.is_removal or deactivates(change)


def demotion(change: Change, support: KindSupport | None) -> list[str]:
    """What the change takes from its object, as phrases ("deactivate it"); empty when it takes nothing.

    A demotion lowers privilege or moves identity: a removal or deactivation; a revoked grant; a
    grant taken away or lowered (the kind's `privileges`); a field that identifies the object to
    people or the vendor changed (its `identity`: an e-mail address password resets go to); an
    object lmsform did not manage taken over (`adopt`). A change of the key itself (a rename, an
    adoption under another key) is judged apart, by `Guard.move_refused`: protection may follow it.
    """
    if change.action is Action.DELETE:
        return ["delete it"]
    if change.action is Action.DEACTIVATE:
        return ["deactivate it"]
    after = change.after or {}
    if change.action is Action.REASSERT:
        if after.get("revoke"):
            return ["revoke it"]
        # Values the vendor cannot report back (a Skilljar supervisor's access): lmsform cannot tell
        # whether they lower the object's access, unless the journals show it sent these very values.
        unseen = ", ".join(change.unproven)
        return (
            [f"send {unseen}, values it cannot read back (so it cannot tell whether they lower it)"]
            if unseen
            else []
        )
    if change.action is not Action.UPDATE:
        return []
    support = support or _NO_SUPPORT
    before = change.before or {}
    found = ["deactivate it"] if deactivates(change) else []
    for name in change.changed:
        order = support.privileges.get(name)
        if order is not None:
            found += _lowered(name, order, before.get(name), after.get(name))
        if name in support.identity:
            found.append(f"change its {name}")
    if change.adopt:
        found.append("adopt it (lmsform would manage it from now on)")
    return found


def _lowered(name: str, order: Sequence[Any], was: Any, will: Any) -> list[str]:
    """`name` going from `was` to `will` lowers privilege: `order` ranks its values, least first;
    without one, every value is a grant of its own (a set of roles), and losing any is a demotion."""
    held, kept = _values(was), _values(will)
    if not order:
        lost = [value for value in held if value not in kept]
        return [f"take its {name} {', '.join(map(str, lost))} away"] if lost else []
    # A value outside the order (one the vendor shows only vaguely) ranks above everything: a change
    # away from it may be a demotion, and a guarded object is not put at that risk.
    rank = {value: position for position, value in enumerate(order)}
    highest = len(order)

    def best(values: list[Any]) -> int:
        return max((rank.get(value, highest) for value in values), default=-1)

    if best(kept) < best(held):
        return [f"lower its {name} from {_shown(was)} to {_shown(will)}"]
    return []


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def _shown(value: Any) -> str:
    values = _values(value)
    return ", ".join(map(repr, values)) if values else "none"


def moved_from(change: Change) -> Key | None:
    """The live key an update moves its object away from (a rename, an adoption), or None."""
    if change.action is not Action.UPDATE or not change.before:
        return None
    live = _live_key(change.kind, change.before)
    return live if live is not None and live != change.key else None


def _live_key(kind_name: str, fields: Mapping[str, Any]) -> Key | None:
    kind = KINDS_BY_NAME.get(kind_name)
    try:
        return None if kind is None else kind.key_of(fields)
    except (KeyError, TypeError):  # a kind whose live fields leave out part of the key
        return None


# --- who is guarded -----------------------------------------------------------------------------------


class Guard:
    """The live objects no plan may demote, with why: those the vendor guards (its lock-out guard:
    an account owner) and those whose live key `protect:` lists.

    Held by the key the vendor reports and, for objects the vendor gives an id of their own, by that
    id: so a change that reaches the object under another key (adoption, rename, `id:`) is caught.
    `supports` is the provider's, for what each kind's demotions are.
    """

    def __init__(
        self,
        protect: Mapping[str, Sequence[str]],
        vendor_guarded: Mapping[tuple[str, Key], str],
        *,
        live: State | None = None,
        supports: Mapping[str, KindSupport] | None = None,
        trusted: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._protect = protect
        self._trusted = trusted or {}
        self._vendor = dict(vendor_guarded)
        self.supports: Mapping[str, KindSupport] = supports or {}
        self._by_id: dict[tuple[str, str], str] = {}
        if live is not None:
            kinds = set(protect) | {kind for kind, _ in self._vendor}
            for kind_name in sorted(kinds & KINDS_BY_NAME.keys()):
                for resource in live.of(kind_name).values():
                    why = self.of_live(resource)
                    if why is not None and "id" in resource.ids:
                        self._by_id[(kind_name, resource.ids["id"])] = why

    def of_key(self, kind_name: str, key: Key) -> str | None:
        """Why the object with this live key is guarded, or None."""
        vendor = self._vendor.get((kind_name, key))
        if vendor is not None:
            return vendor
        return PROTECTED if self.protects(kind_name, key) else None

    def of_live(self, resource: Resource) -> str | None:
        return self.of_key(resource.kind, resource.key)

    def of_change(self, change: Change) -> str | None:
        """Why the live object a change touches is guarded: found by the vendor's id, else by the
        live key its `before` holds, else by its key."""
        own_id = change.ids.get("id")
        if own_id is not None and (change.kind, own_id) in self._by_id:
            return self._by_id[(change.kind, own_id)]
        live = _live_key(change.kind, change.before) if change.before else None
        why = self.of_key(change.kind, live) if live is not None else None
        return why if why is not None else self.of_key(change.kind, change.key)

    def protects(self, kind_name: str, key: Key) -> bool:
        """Does `protect:` list this key?"""
        return matches(self._protect.get(kind_name, ()), key)

    def move_refused(self, kind_name: str, live: Key, new: Key) -> str | None:
        """Why a guarded object must not move from its live key to `new`, or None.

        Protection follows an object whose new key `protect:` lists too; otherwise the move would
        shed it (rename now, drop later). What the vendor guards never moves: its key and what
        identifies it are the way in to the account."""
        vendor = self._vendor.get((kind_name, live))
        if vendor is not None:
            return f"it is protected ({vendor}), and lmsform never gives it another key"
        trusted = self._trusted.get(kind_name, ())
        if matches(trusted, live) and not matches(trusted, new):
            # lmsform.yaml is the pull request's: listing the new key there would let the next pull
            # request drop the line and the object with it.
            return (
                f"it is protected by LMSFORM_POLICY (the environment), and {address(kind_name, new)} is "
                f"not: to rename it, add {'/'.join(new)!r} to the policy's protect: {kind_name} first"
            )
        if self.protects(kind_name, live) and not self.protects(kind_name, new):
            shown = "/".join(new)
            return (
                f"it is protected ({PROTECTED}), and {address(kind_name, new)} is not: to rename it, list "
                f"{shown!r} under protect: {kind_name} in lmsform.yaml as well, and protection follows it"
            )
        return None


def make_guard(
    config: ProjectConfig,
    vendor_guarded: Mapping[tuple[str, Key], str],
    *,
    live: State | None = None,
    supports: Mapping[str, KindSupport] | None = None,
    trusted: Mapping[str, Sequence[str]] | None = None,
) -> Guard:
    """The guard for a plan: pass the live state it is made from and the provider's `supports`,
    so that protection is held by vendor id and every kind's demotions are known; `trusted`, what
    LMSFORM_POLICY protects (it also holds in `config`), so that only the policy can let it follow
    a rename."""
    protect = {str(kind_name): list(patterns) for kind_name, patterns in config.protect.items()}
    return Guard(protect, vendor_guarded, live=live, supports=supports, trusted=trusted)


def left_alone(change: Change, what: Sequence[str], why: str, *, taken: str | None = None) -> str:
    """The warning for a change the plan leaves out because it would demote a guarded object: its
    own (`what` it would do), or one it would take with it (the address `taken`)."""
    if taken is None:
        return (
            f"{change.address} is left as it is: it would {' and '.join(what)}, and it is protected ({why})"
        )
    return f"{change.address} is left as it is: it would take {taken} with it, which is protected ({why})"


# --- the checks on a whole plan -------------------------------------------------------------------------


def check_plan(plan: Plan, config: ProjectConfig, guard: Guard, *, force: bool) -> None:
    """Raise UnsafePlanError unless the plan keeps every rule; --force lifts thresholds only."""
    protected = _protection_violations(plan, guard)
    if protected:
        raise UnsafePlanError(protected, forceable=False)
    over = threshold_violations(plan, config)
    if over and not force:
        raise UnsafePlanError(over, forceable=True)


def _protection_violations(plan: Plan, guard: Guard) -> list[str]:
    """The plan's demotions of guarded objects. The planner leaves them out, so a plan holding one was
    made some other way (an edited file, a path the planner missed): it is refused, never applied."""
    return [reason for change in plan.changes for reason in _demotes_guarded(change, guard)]


def _demotes_guarded(change: Change, guard: Guard) -> list[str]:
    reasons = []
    why = guard.of_change(change)
    if why is not None:
        what = demotion(change, guard.supports.get(change.kind))
        if what:
            reasons.append(f"{change.address} would {' and '.join(what)}, which is protected: {why}")
        moved = moved_from(change)
        refused = guard.move_refused(change.kind, moved, change.key) if moved is not None else None
        if moved is not None and refused is not None:
            reasons.append(f"{change.address} would take {address(change.kind, moved)} over: {refused}")
    for item in change.cascade if removes(change) else ():
        taken = guard.of_key(*parse_address(item))
        if taken is not None:
            reasons.append(f"{change.address} would take {item} with it, which is protected: {taken}")
    return reasons


def threshold_violations(plan: Plan, config: ProjectConfig) -> list[str]:
    # What the vendor removes along with an object counts as removed too (a user's enrollments), and a
    # deactivation is a removal, whether the manifests drop the object or declare it `active: false`.
    removed = [change for change in plan.changes if removes(change)]
    removals = Counter(change.kind for change in removed)
    removals.update(parse_address(item)[0] for change in removed for item in change.cascade)
    declared_inactive = Counter(change.kind for change in removed if deactivates(change))
    updates = Counter(
        change.kind for change in plan.changes if change.action is Action.UPDATE and not deactivates(change)
    )
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
                inactive = declared_inactive[kind] if what == "removals" else 0
                counted = f" ({inactive} of them by active: false)" if inactive else ""
                reasons.append(
                    f"Too many {what} of {kind}: {share:.0f} % ({count}/{existing}) is over "
                    f"{limit:g} %{counted}"
                )
    return reasons
