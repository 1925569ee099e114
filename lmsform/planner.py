"""Diff desired against live: objects are matched by key (set algebra), matched objects compared by field.

Before the set algebra, a desired object may claim a live one under another key: pinned by the
vendor's `id`, or found under one of its `previously` keys. Such a rename is an update, and the
objects that name the renamed one in their keys (a course's publication and enrollments) follow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from lmsform.equality import same_value
from lmsform.errors import Issue, ManifestError
from lmsform.expansion import expand
from lmsform.hierarchy import cycles
from lmsform.kinds import GROUPS, KINDS, KINDS_BY_NAME, Key, Kind, address
from lmsform.plan import ABSENT, Action, Change, Plan
from lmsform.prerequisites import PlannedCreates
from lmsform.project_config import ManageConfig
from lmsform.providers.base import KindSupport, Provider, Removal
from lmsform.references import Reference, unresolved_message
from lmsform.safety import Guard, demotion, left_alone
from lmsform.state import Resource, State

# What the apply journals say lmsform last wrote to each object: address → field → value.
WrittenValues = Mapping[str, Mapping[str, Any]]


def make_plan(
    desired: State,
    live: State,
    *,
    provider: type[Provider],
    manage: ManageConfig,
    target: str,
    unresolved: Sequence[Reference] = (),
    guard: Guard | None = None,
    written: WrittenValues | None = None,
) -> Plan:
    """The plan from live to desired. `guard` names the live objects no plan may demote (see
    `lmsform.safety.demotion`). `written` is what earlier applies wrote (from their journals): only a
    value found there is called "sent again"."""
    _check_references(unresolved, live, provider)
    expanded, warnings = expand(desired, live, manage)
    planner = _Planner(
        expanded,
        live,
        provider,
        manage,
        warnings,
        guard or Guard({}, {}),
        written if written is not None else {},
    )
    return planner.plan(target)


def changed_fields(
    wanted: Mapping[str, Any], present: Mapping[str, Any], key_fields: Sequence[str]
) -> tuple[str, ...]:
    """Fields the manifests set to a value other than the live one (`same_value` says what equal
    means); fields they omit are not managed."""
    changed = [
        name
        for name, value in wanted.items()
        if name not in key_fields and not same_value(value, present.get(name))
    ]
    return tuple(sorted(changed)) if changed else ()


def _check_references(unresolved: Sequence[Reference], live: State, provider: type[Provider]) -> None:
    issues = [
        unresolved_message(ref, provider.title, live.unusable.get((ref.kind, ref.key)))
        for ref in unresolved
        if live.get(ref.kind, ref.key) is None and (ref.kind, ref.key) not in live.ambiguous
    ]
    for ref in unresolved:
        ids = live.ambiguous.get((ref.kind, ref.key))
        if ids:
            target = KINDS_BY_NAME[ref.kind]
            which = (
                f"{len(ids)} {target.singular}s in {provider.title} are named {ref.key[0]!r} "
                f"(ids {', '.join(ids)})"
            )
            issues.append(Issue(ref.source, f"{which}: {target.ambiguous_hint}"))
    if issues:
        raise ManifestError(issues)


class _Planner:
    def __init__(
        self,
        desired: State,
        live: State,
        provider: type[Provider],
        manage: ManageConfig,
        warnings: list[str],
        guard: Guard,
        written: WrittenValues,
    ) -> None:
        self.guard = guard
        self.written = written
        self.desired = desired
        self.live = live
        self.provider = provider
        self.manage = manage
        self.warnings = warnings
        self.changes: list[Change] = []
        self.issues: list[Issue] = []
        self.refs: dict[tuple[str, Key], Mapping[str, str]] = {}
        # Live objects per kind under the keys they have after renames of the objects they name.
        self.present: dict[str, dict[Key, Resource]] = {}
        self.live_keys: dict[int, Key] = {}
        self.renamed: dict[tuple[str, Key], Key] = {}
        self.cascaded: set[tuple[str, Key]] = set()
        self.protected_left: dict[tuple[str, str], int] = defaultdict(int)
        # What the manifests ask for but the vendor's API cannot do, by kind and what.
        self.impossible: dict[tuple[str, str], list[str]] = defaultdict(list)
        # Why, for those whose reason is not the kind's own (a field the API cannot clear).
        self.impossible_reasons: dict[tuple[str, str], str] = {}
        # What each change depends on: live objects by their live key, ABSENT for objects to create.
        self.depends: dict[tuple[str, Key], str] = {}
        # Live objects a declaration replaces (found under a former key the vendor cannot change):
        # (kind, live key) → the new key.
        self.replaced: dict[tuple[str, Key], Key] = {}
        self.prerequisites = PlannedCreates(provider, desired, self.present)
        self._skipped: dict[str, tuple[str, ...]] = {}

    def plan(self, target: str) -> Plan:
        for kind in KINDS:
            self.present[kind.name] = self._rekeyed(kind)
        children = _ChildrenByParent(dict(self.present))
        for kind in KINDS:
            support = self.provider.supports.get(kind.name)
            if support is None or kind.reference_only or support.names_only:
                continue
            if not support.readable:
                self._reassert(kind)
                continue
            matched = self._match(kind)
            self._creates_and_updates(kind, matched)
            self._removals(kind, support, matched, children)
        self.issues.extend(self.prerequisites.issues)
        self.issues.extend(self._cycles_with_the_live_tree())
        if self.issues:
            raise ManifestError(self.issues)
        for (kind_name, reason), count in sorted(self.protected_left.items()):
            self.warnings.append(f"{count} live {kind_name} left alone: {reason}")
        for (kind_name, what), addresses in sorted(self.impossible.items()):
            self.warnings.append(self._impossible(kind_name, what, addresses))
        self.warnings.extend(self.prerequisites.warnings())
        for change in self.changes:
            self._collect_refs(change)
        existing = {kind: len(self.live.of(kind)) for kind in KINDS_BY_NAME if self.live.of(kind)}
        return Plan.build(
            self.provider.name, target, self.changes, self.refs, self.warnings, self.depends, existing
        )

    # --- matching ---------------------------------------------------------------------------------

    def _rekeyed(self, kind: Kind) -> dict[Key, Resource]:
        """Live objects of `kind`, their keys following renames of the objects they name.

        Objects the manifests only name (with the vendor's id) stand for themselves."""
        support = self.provider.supports.get(kind.name)
        if support is not None and support.names_only:
            return dict(self.desired.of(kind.name))
        objects = self.live.of(kind.name)
        if not self.renamed:  # nothing renamed (yet): every object keeps its key
            self.live_keys.update(zip(map(id, objects.values()), objects.keys(), strict=True))
            return dict(objects)
        result = {}
        for key, resource in objects.items():
            new_key = list(key)
            for position, target in kind.key_refs(key):
                new_key[position] = self.renamed.get((target, (key[position],)), (key[position],))[0]
            if tuple(new_key) != key:
                self.renamed[(kind.name, key)] = tuple(new_key)
            result[tuple(new_key)] = resource
            self.live_keys[id(resource)] = tuple(new_key)
        return result

    def _match(self, kind: Kind) -> dict[Key, Resource]:
        """Desired key → the live object it stands for."""
        present = self.present[kind.name]
        matched: dict[Key, Resource] = {}
        claimed: dict[Key, Resource] = {}
        for key, wanted in self.desired.of(kind.name).items():
            found = self._find(kind, wanted, present)
            if found is None:
                continue
            live_key = self._live_key(kind, found)
            if live_key in claimed:
                self.issues.append(
                    Issue(wanted.source, f"{found.address} is also claimed at {claimed[live_key].source}")
                )
                continue
            if live_key != key and self._move_refused(kind, wanted, found, live_key):
                continue
            claimed[live_key] = wanted
            matched[key] = found
            if live_key != key:
                keyed_before = dict(self.renamed)
                self.renamed[(kind.name, live_key)] = key
                # The renamed object's dependants were keyed under its old key: key them anew.
                for later in KINDS[KINDS.index(kind) + 1 :]:
                    self.present[later.name] = self._rekeyed(later)
                self._followers_refused(wanted, keyed_before, (kind.name, live_key))
        return matched

    # A declaration that reaches a guarded live object under another key (`previously:`, `adopt_by`,
    # `id:`) would move it, and so would renaming what its key names: refused at the declaration, with
    # the whole plan, where a demotion is left out with a warning. Left out, the claim would turn the
    # declaration into a new object, which is not what it asks for.

    def _move_refused(self, kind: Kind, wanted: Resource, found: Resource, present_key: Key) -> bool:
        why = self.guard.move_refused(kind.name, found.key, wanted.key)
        if why is not None:
            how = _how_claimed(wanted, present_key)
            self.issues.append(
                Issue(wanted.source, f"{wanted.address} would take {found.address} over {how}: {why}")
            )
        return why is not None

    def _followers_refused(
        self, wanted: Resource, keyed_before: Mapping[tuple[str, Key], Key], own: tuple[str, Key]
    ) -> None:
        for (kind_name, live_key), new_key in self.renamed.items():
            if (kind_name, live_key) == own or keyed_before.get((kind_name, live_key)) == new_key:
                continue
            why = self.guard.move_refused(kind_name, live_key, new_key)
            if why is not None:
                moved = f"{address(kind_name, live_key)} to {address(kind_name, new_key)}"
                self.issues.append(
                    Issue(wanted.source, f"{wanted.address} would move {moved} with it: {why}")
                )

    def _find(self, kind: Kind, wanted: Resource, present: Mapping[Key, Resource]) -> Resource | None:
        pinned = wanted.ids.get("id")
        if pinned is not None:
            found = next((item for item in present.values() if item.ids.get("id") == pinned), None)
            if found is None:
                self.issues.append(
                    Issue(wanted.source, f"no {kind.singular} with id {pinned!r} in {self.provider.title}")
                )
            return found
        ambiguous = self.live.ambiguous.get((kind.name, wanted.key))
        if ambiguous:
            ids = ", ".join(ambiguous)
            self.issues.append(
                Issue(
                    wanted.source,
                    f"{len(ambiguous)} {kind.name} in {self.provider.title} share the key {wanted.key[0]!r} "
                    f"(ids {ids}); add `id:` to say which one this is",
                )
            )
            return None
        if wanted.key in present:
            return present[wanted.key]
        former = next((present[old] for old in wanted.previously if old in present), None)
        if former is not None and not self.provider.supports[kind.name].renames:
            self.replaced[(kind.name, self._live_key(kind, former))] = wanted.key
            return None
        if former is not None or not wanted.match_on:
            return former
        return self._adopted(kind, wanted, present)

    def _adopted(self, kind: Kind, wanted: Resource, present: Mapping[Key, Resource]) -> Resource | None:
        """The one live object whose fields match `match_on` (compared without regard to case)."""
        candidates = [
            item
            for item in present.values()
            if all(
                str(item.fields.get(name) or "").casefold() == value.casefold()
                for name, value in wanted.match_on.items()
            )
        ]
        if len(candidates) > 1:
            shown = ", ".join(item.address for item in candidates[:5])
            which = " and ".join(f"{name} {value!r}" for name, value in wanted.match_on.items())
            self.issues.append(
                Issue(
                    wanted.source, f"cannot adopt by {which}: {len(candidates)} {kind.name} match ({shown})"
                )
            )
            return None
        return candidates[0] if candidates else None

    def _live_key(self, kind: Kind, resource: Resource) -> Key:
        return self.live_keys[id(resource)]

    # --- creates and updates ----------------------------------------------------------------------

    def _creates_and_updates(self, kind: Kind, matched: Mapping[Key, Resource]) -> None:
        updatable = self.provider.supports[kind.name].updatable
        for key, wanted in sorted(self.desired.of(kind.name).items()):
            found = matched.get(key)
            if found is None:
                if not self._found_elsewhere(kind, key) and not self.prerequisites.refuses(kind, wanted):
                    self.depends[(kind.name, key)] = ABSENT
                    notes = _origin(wanted) + self._replacing(kind, key)
                    made = {**self.provider.supports[kind.name].create_defaults, **wanted.fields}
                    self.changes.append(Change(Action.CREATE, kind.name, key, None, made, notes=notes))
                continue
            change = self._update(kind, wanted, found)
            if change is not None and change.action is Action.UPDATE and not updatable:
                self.impossible[(kind.name, "changed")].append(change.address)
                continue
            if change is not None and self._demotes_guarded(wanted, found, change):
                continue
            if change is not None:
                self.depends[(kind.name, found.key)] = found.fingerprint()
                self.changes.append(change)

    def _replacing(self, kind: Kind, key: Key) -> tuple[str, ...]:
        return tuple(
            f"replaces {address(kind.name, old)}: {self.provider.title} cannot change a {kind.singular}'s "
            f"{' or '.join(kind.key_fields).replace('email', 'e-mail address')}, so this is a new one"
            for (kind_name, old), new in sorted(self.replaced.items())
            if kind_name == kind.name and new == key
        )

    def _found_elsewhere(self, kind: Kind, key: Key) -> bool:
        """A pinned or ambiguous declaration that failed to match is an error already, not a create."""
        wanted = self.desired.of(kind.name)[key]
        return "id" in wanted.ids or (kind.name, key) in self.live.ambiguous

    def _update(self, kind: Kind, wanted: Resource, found: Resource) -> Change | None:
        renamed = self._live_key(kind, found) != wanted.key
        support = self.provider.supports[kind.name]
        not_compared = self._not_compared(kind.name, support)
        key_fields = () if renamed else kind.key_fields_of(wanted.fields)
        changed = set(changed_fields(wanted.fields, found.fields, (*not_compared, *key_fields)))
        unknown = []
        for name, judge in support.readback.items():
            if name in wanted.fields:
                verdict = judge(wanted.fields[name], found.fields.get(name))
                if verdict is False:
                    changed.add(name)
                elif verdict is None:
                    unknown.append(name)
        kept = {}  # declared nulls the API cannot set: the object keeps its live values
        for name in sorted(changed & support.uncleared.keys()):
            if wanted.fields.get(name) is None:
                changed.discard(name)
                kept[name] = found.fields.get(name)
                what = f"left without a {name}"
                self.impossible[(kind.name, what)].append(found.address)
                self.impossible_reasons[(kind.name, what)] = support.uncleared[name]
        unread = tuple(sorted(unknown))
        if not changed and unread:
            return self._resent(kind, wanted, found, unread)
        if not changed:
            # Matching an object lmsform does not own adopts it on paper only: the ownership mark
            # is written with the next real update, so an export re-plans with no changes.
            return None
        adopted = found.protected is not None
        notes = list(_origin(wanted))
        if adopted:
            notes.append(f"adopts it: {found.protected}; lmsform manages it from now on")
        if renamed:
            notes.append(f"renames it from {found.key[0]!r}")
        if "active" in changed and wanted.fields.get("active") is True:
            notes.append(f"reactivates the {kind.singular}")
        # Nothing can show that a value the vendor does not report back ever arrived, so every write
        # of the object carries it: were it left out, it would stay unsent for as long as the readable
        # fields agree, and every plan would call it "sent again".
        sent_before = self._sent_before(wanted.address, wanted.fields, unread)
        notes += self._unread_notes(unread, sent_before, alongside=" with this update")
        return Change(
            Action.UPDATE,
            kind.name,
            wanted.key,
            before=dict(found.fields),
            after={**found.fields, **wanted.fields, **kept},
            changed=tuple(sorted(changed)),
            ids=dict(found.ids),
            notes=tuple(notes),
            adopt=adopted,
            unread=unread,
            sent_before=sent_before,
        )

    def _not_compared(self, kind_name: str, support: KindSupport) -> tuple[str, ...]:
        """Fields compared apart (read back in part) or never (sent on create only), per kind."""
        found = self._skipped.get(kind_name)
        if found is None:
            found = self._skipped[kind_name] = tuple(sorted(support.create_only | set(support.readback)))
        return found

    def _resent(self, kind: Kind, wanted: Resource, found: Resource, unknown: tuple[str, ...]) -> Change:
        """A matched object whose readable fields agree, but some declared values cannot be read."""
        sent_before = self._sent_before(wanted.address, wanted.fields, unknown)
        return Change(
            Action.REASSERT,
            kind.name,
            wanted.key,
            before=dict(found.fields),
            after={**found.fields, **wanted.fields},
            changed=unknown,
            ids=dict(found.ids),
            notes=(*_origin(wanted), *self._unread_notes(unknown, sent_before)),
            unread=unknown,
            sent_before=sent_before,
        )

    def _sent_before(self, where: str, declared: Mapping[str, Any], names: Sequence[str]) -> tuple[str, ...]:
        """Of `names`, those whose declared value the journals show lmsform last wrote to `where`."""
        written = self.written.get(where, {})
        return tuple(
            name for name in names if name in written and same_value(declared.get(name), written[name])
        )

    def _unread_notes(
        self, unread: Sequence[str], sent_before: Sequence[str], *, alongside: str = ""
    ) -> list[str]:
        """What the plan may truthfully say of values it sends without being able to read them back.

        "Again" only for values the journals show lmsform last wrote to the object; of the others
        lmsform knows nothing: the vendor may hold them (sent by a machine whose journals are not
        here) or not (left out by an apply before every write carried them)."""
        title = self.provider.title
        notes = []
        again = [name for name in unread if name in sent_before]
        first = [name for name in unread if name not in sent_before]
        if again:
            it = "it" if len(again) == 1 else "them"
            notes.append(
                f"{title} cannot report {', '.join(again)} back, so apply sends {it} again{alongside} "
                "(an earlier apply sent this value; idempotent)"
            )
        if first:
            it, value = ("it", "this value") if len(first) == 1 else ("them", "these values")
            notes.append(
                f"{title} cannot report {', '.join(first)} back, so apply sends {it}{alongside}; no apply "
                f"journal here shows {value} sent, so lmsform cannot tell whether {title} holds {it}"
            )
        return notes

    # --- removals ---------------------------------------------------------------------------------

    def _removals(
        self,
        kind: Kind,
        support: KindSupport,
        matched: Mapping[Key, Resource],
        children: _ChildrenByParent,
    ) -> None:
        taken = {id(resource) for resource in matched.values()}
        authoritative = self.manage.mode(kind.name) == "authoritative"
        scopes = self.desired.scopes.get(kind.name, set())
        unmatched = [(key, item) for key, item in self.present[kind.name].items() if id(item) not in taken]
        for key, resource in sorted(unmatched):
            if (kind.name, key) in self.cascaded:
                continue
            replacement = self.replaced.get((kind.name, key))
            declared_absent = (kind.name, key) in self.desired.absent or replacement is not None
            in_scope = kind.scope_of(key) is None or kind.scope_of(key) in scopes
            if not declared_absent and not (authoritative and in_scope):
                continue
            if resource.protected is not None and not declared_absent:
                self.protected_left[(kind.name, resource.protected)] += 1
                continue
            dependents = _dependents(resource, support, children)
            change = _removal(kind, key, resource, support, dependents)
            if change is not None and replacement is not None:
                why = f"replaced by {address(kind.name, replacement)}"
                change = replace(change, notes=(why, *change.notes))
            if change is None and support.removal is Removal.NONE:
                self.impossible[(kind.name, "removed")].append(resource.address)
                continue
            if change is not None and self._takes_guarded(change, resource, dependents):
                continue
            if change is not None:
                self.depends[(kind.name, resource.key)] = resource.fingerprint()
                self.changes.append(change)
                self.cascaded.update((item.kind, self._current_key(item)) for item in dependents)

    def _impossible(self, kind_name: str, what: str, addresses: list[str]) -> str:
        """A warning for differences the API cannot resolve: reported on every plan, never planned."""
        support = self.provider.supports[kind_name]
        shown = ", ".join(addresses[:3]) + (f" and {len(addresses) - 3} more" if len(addresses) > 3 else "")
        reason = self.impossible_reasons.get((kind_name, what)) or (
            support.removal_note
            if what == "removed"
            else f"{self.provider.title} cannot change them once made"
        )
        return (
            f"{len(addresses)} {kind_name} cannot be {what} through {self.provider.title}'s API "
            f"({reason}): {shown}"
        )

    def _current_key(self, resource: Resource) -> Key:
        return self.renamed.get((resource.kind, resource.key), resource.key)

    def _cycles_with_the_live_tree(self) -> list[Issue]:
        """Declared parents that close a cycle with the live parents of groups whose parent the
        manifests leave as it is: apply would fail half-way, when the vendor refuses the move that
        closes it. (Cycles among declared parents alone are refused when the manifests load.)"""
        support = self.provider.supports.get(GROUPS.name)
        if support is None or "parent" not in support.fields:
            return []

        def now_named(name: Any) -> str | None:
            return None if name is None else self.renamed.get((GROUPS.name, (str(name),)), (str(name),))[0]

        parents = {
            now_named(key[0]) or key[0]: now_named(group.fields.get("parent"))
            for key, group in self.present[GROUPS.name].items()
        }
        for change in self.changes:
            if change.kind == GROUPS.name and change.after is not None:
                parents[change.key[0]] = now_named(change.after.get("parent"))
            elif change.kind == GROUPS.name:
                parents.pop(change.key[0], None)
        declared = self.desired.of(GROUPS.name)
        issues = []
        for cycle in cycles(parents):
            placed = [name for name in cycle if (name,) in declared and "parent" in declared[(name,)].fields]
            first = min(placed, key=lambda name: _declared_at(declared[(name,)])) if placed else cycle[0]
            cycle = cycle[cycle.index(first) :] + cycle[: cycle.index(first)]
            kept = [name for name in cycle if name not in placed]
            path = " -> ".join(repr(name) for name in [*cycle, cycle[0]])
            which = ", ".join(map(repr, kept)) + (
                " keeps its parent" if len(kept) == 1 else " keep their parents"
            )
            issues.append(
                Issue(
                    declared[(first,)].source if placed else None,
                    f"group {first!r} would be its own ancestor after this plan: {path}, where {which} "
                    f"in {self.provider.title} (not declared in the manifests); groups must form a tree: "
                    "declare a parent that breaks the cycle",
                )
            )
        return issues

    # --- write-only kinds ---------------------------------------------------------------------------

    def _reassert(self, kind: Kind) -> None:
        for key, wanted in sorted(self.desired.of(kind.name).items()):
            change = self._unreadable(kind, key, dict(wanted.fields))
            why = self.guard.of_key(kind.name, key)
            what = demotion(change, None) if why is not None else []
            if why is not None and what:
                self.warnings.append(left_alone(change, what, why))
            else:
                self.changes.append(change)
        for kind_name, key in sorted(self.desired.absent):
            if kind_name != kind.name:
                continue
            revoke = self._unreadable(kind, key, {"revoke": True})
            why = self.guard.of_key(kind.name, key)
            if why is None:
                self.changes.append(revoke)
            else:
                self.warnings.append(left_alone(revoke, demotion(revoke, None), why))

    def _unreadable(self, kind: Kind, key: Key, values: dict[str, Any]) -> Change:
        """An object of a kind the vendor cannot list: all of it is sent on every apply."""
        title = self.provider.title
        unread = tuple(sorted(values))
        sent_before = self._sent_before(address(kind.name, key), values, unread)
        note = (
            f"{title} cannot list {kind.name}, so apply sends this again "
            "(an earlier apply sent the same; idempotent)"
            if sent_before == unread
            else f"{title} cannot list {kind.name}, so apply sends this; no apply journal here shows it "
            f"sent, so lmsform cannot tell whether {title} holds it"
        )
        return Change(
            Action.REASSERT,
            kind.name,
            key,
            None,
            values,
            notes=(note,),
            unread=unread,
            sent_before=sent_before,
        )

    # A demotion of a guarded object is left out of the plan, with a warning, and the rest of the plan
    # goes ahead: what the README has always promised for `protect:` and the lock-out guard, and what
    # an object that leaves the manifests while protected needs (refused, it would fail every plan).
    # Nothing of it reaches the vendor either way; `safety.check_plan` refuses any plan that holds one.

    def _demotes_guarded(self, wanted: Resource, found: Resource, change: Change) -> bool:
        why = self.guard.of_live(found)
        what = demotion(change, self.provider.supports.get(change.kind)) if why is not None else []
        if why is None or not what:
            return False
        if found.key != wanted.key:
            # Protection followed a rename: left out, the update would leave its dependants renamed.
            doing = " and ".join(what)
            self.issues.append(
                Issue(
                    wanted.source,
                    f"{wanted.address} would {doing} ({found.address}), which is protected ({why})",
                )
            )
        else:
            self.warnings.append(left_alone(change, what, why))
        return True

    def _takes_guarded(self, change: Change, removed: Resource, dependents: Sequence[Resource]) -> bool:
        for resource in (removed, *dependents):
            why = self.guard.of_live(resource)
            if why is not None:
                taken = None if resource is removed else resource.address
                self.warnings.append(left_alone(change, demotion(change, None), why, taken=taken))
                return True
        return False

    def _collect_refs(self, change: Change) -> None:
        kind = KINDS_BY_NAME[change.kind]
        support = self.provider.supports.get(change.kind)
        after = change.after or {}
        by_fields = support.field_refs(kind, after) if support else kind.field_refs(after)
        named = kind.refs_of(change.key) + list(by_fields)
        for target, target_key in named:
            resource = self.present[target].get(target_key)
            if resource is not None and resource.ids:
                self.refs[(target, target_key)] = dict(resource.ids)
                support = self.provider.supports.get(target)
                if support is None or not support.names_only:  # named ones are not in the vendor's state
                    self.depends.setdefault((target, resource.key), resource.fingerprint())


def _declared_at(resource: Resource) -> tuple[bool, Any]:
    return (resource.source is None, resource.source)


def _how_claimed(wanted: Resource, present_key: Key) -> str:
    if "id" in wanted.ids:
        return f"by its id {wanted.ids['id']!r}"
    if present_key in wanted.previously:
        return f"as a rename (previously: {'/'.join(present_key)!r})"
    if wanted.match_on:
        return "by adopt_by: " + " and ".join(f"{name} {value!r}" for name, value in wanted.match_on.items())
    return "under another key"


def _origin(wanted: Resource) -> tuple[str, ...]:
    return (f"via {wanted.origin}",) if wanted.origin else ()


class _ChildrenByParent:
    """Live objects by the object their key names (by identity): a group's memberships.

    Indexed at the first removal that asks, from the live objects as they were keyed before any
    rename; a plan without deletes never builds it."""

    def __init__(self, present: Mapping[str, Mapping[Key, Resource]]) -> None:
        self._present = present
        self._index: dict[int, list[Resource]] | None = None

    def get(self, parent: Resource) -> list[Resource]:
        if self._index is None:
            self._index = defaultdict(list)
            for kind in KINDS:
                for key, resource in self._present[kind.name].items():
                    for target, target_key in kind.refs_of(key):
                        found = self._present[target].get(target_key)
                        if found is not None:
                            self._index[id(found)].append(resource)
        return self._index.get(id(parent), [])


def _dependents(resource: Resource, support: KindSupport, children: _ChildrenByParent) -> list[Resource]:
    """Live objects the vendor removes along with this one (transitively), whatever its removal is
    called (Damstra "inactivates" a group, and its memberships go with it)."""
    if support.removal is Removal.NONE or not support.cascades:
        return []
    found: list[Resource] = []
    queue = [resource]
    while queue:
        for child in children.get(queue.pop()):
            if child.kind in support.cascades:
                found.append(child)
                queue.append(child)
    # In kind order, then by key: the order the reads listed them in is not stable (pages read in
    # parallel), and a plan must read the same whichever way they came.
    return sorted(found, key=lambda item: (KINDS.index(KINDS_BY_NAME[item.kind]), item.key))


def _removal(
    kind: Kind, key: Key, present: Resource, support: KindSupport, dependents: list[Resource]
) -> Change | None:
    note = _format_note(support.removal_note, present.fields)
    notes = (note,) if note else ()
    if support.removal is Removal.DELETE:
        return Change(
            Action.DELETE,
            kind.name,
            key,
            before=dict(present.fields),
            after=None,
            ids=dict(present.ids),
            cascade=tuple(resource.address for resource in dependents),
            notes=notes,
        )
    if support.removal is Removal.DEACTIVATE:
        if present.fields.get("active") is False:
            return None
        return Change(
            Action.DEACTIVATE,
            kind.name,
            key,
            before=dict(present.fields),
            after={**present.fields, "active": False},
            changed=("active",),
            ids=dict(present.ids),
            cascade=tuple(resource.address for resource in dependents),
            notes=notes,
        )
    return None


def _format_note(template: str, fields: Mapping[str, Any]) -> str:
    class _Blank(dict[str, Any]):
        def __missing__(self, name: str) -> str:
            return "?"

    return template.format_map(_Blank(fields))
