"""Partial plans (`--target ADDRESS`, `--kind KIND`), as in Terraform: a plan of the whole account,
limited to the objects the targets select and what their changes need.

What a change needs is what it names: the objects in its key (a membership's group and user) and
in its fields (a path's courses, a group's parent), the same references the planner collects ids
for; and a session's attendees need their enrollment in its lesson (a vendor that keeps sessions
registers only users scheduled for the lesson, `declarations`). A needed object comes along with
its create or update, never with a removal: a removal is planned only when the targets select it
themselves, by address, glob or kind.

The result is a plan like any other (thresholds, protection and saved-plan checks apply to it as
they are); its references and live fingerprints are those of the changes it keeps, so a saved
partial plan goes stale only when what it touches changes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from functools import partial

from lmsform.characters import shown_inline
from lmsform.kinds import (
    DOMAIN_SETTINGS_KEY,
    ENROLLMENTS,
    KIND_NAMES,
    KINDS_BY_NAME,
    SESSIONS,
    Key,
    Kind,
    address,
)
from lmsform.plan import Action, Change, Plan, Targets
from lmsform.providers.base import KindSupport
from lmsform.safety import removes
from lmsform.state import State

_EXAMPLE = 'users["jane@acme.com"]'


class TargetError(ValueError):
    """A `--target` that is not an address lmsform could plan."""


@dataclass(frozen=True)
class AddressPattern:
    """One `--target`: a kind and one shell-style glob per part of the key."""

    text: str
    kind: str
    parts: Key

    def matches(self, kind_name: str, key: Key) -> bool:
        return (
            kind_name == self.kind
            and len(key) == len(self.parts)
            and all(fnmatchcase(part, pattern) for part, pattern in zip(key, self.parts, strict=True))
        )


def parse_target(text: str) -> AddressPattern:
    """The address `text` names, as the plan prints it; globs allowed in each part of the key."""
    shown = shown_inline(text)
    kind_name, bracket, rest = text.strip().partition("[")
    if not bracket or not rest.endswith("]"):
        raise TargetError(
            f"{shown} is not an address: write it as the plan prints it, e.g. {_EXAMPLE} (a whole kind: "
            f"--kind {kind_name or 'users'})"
        )
    kind = KINDS_BY_NAME.get(kind_name)
    if kind is None:
        raise TargetError(
            f"{shown}: unknown kind {shown_inline(kind_name)!r} (one of {', '.join(KIND_NAMES)})"
        )
    if kind.reference_only:
        raise TargetError(f"{shown}: lmsform only reads {kind.name}, it never plans them")
    try:
        parts = json.loads(f"[{rest[:-1]}]")
    except ValueError:
        parts = None
    if not isinstance(parts, list) or not all(isinstance(part, str) for part in parts):
        raise TargetError(f"{shown}: the key is quoted strings separated by commas, e.g. {_EXAMPLE}")
    expected = _key_length(kind)
    if len(parts) != expected:
        named = f" ({', '.join(kind.key_fields)})" if kind.key_fields else ""
        wider = (
            f"; {address(kind.name, (*parts, *['*'] * (expected - len(parts))))} selects any of the rest"
            if len(parts) < expected
            else ""
        )
        raise TargetError(
            f"{shown}: a {kind.singular}'s address has {expected} part(s){named}, not {len(parts)}{wider}"
        )
    return AddressPattern(text, kind.name, _normalised(kind, tuple(parts)))


def _key_length(kind: Kind) -> int:
    return len(DOMAIN_SETTINGS_KEY) if kind.singleton else len(kind.key_fields)


def _normalised(kind: Kind, parts: Key) -> Key:
    """The parts as the kind normalises keys (e-mail addresses lower-cased), where it can take them:
    `users["Jane@Acme.com"]` names the user the plan shows as users["jane@acme.com"]."""
    if kind.singleton:
        return parts
    try:
        normalised = kind.key_of(dict(zip(kind.key_fields, parts, strict=True)))
    except (KeyError, TypeError, ValueError):  # a part the kind cannot read, a glob in a start time
        return parts
    return normalised if len(normalised) == len(parts) else parts


@dataclass(frozen=True)
class Selection:
    """What the targets select, parsed."""

    targets: Targets
    addresses: tuple[AddressPattern, ...]
    kinds: frozenset[str]

    def selects(self, kind_name: str, key: Key) -> bool:
        return kind_name in self.kinds or any(pattern.matches(kind_name, key) for pattern in self.addresses)


def selection(targets: Targets) -> Selection:
    """The targets parsed; raises TargetError for one that is not an address or not a kind."""
    unknown = [name for name in targets.kinds if name not in KIND_NAMES]
    if unknown:
        raise TargetError(f"unknown kind {shown_inline(unknown[0])!r} (one of {', '.join(KIND_NAMES)})")
    return Selection(targets, tuple(map(parse_target, targets.addresses)), frozenset(targets.kinds))


def targeted(
    plan: Plan,
    chosen: Selection,
    *,
    supports: Mapping[str, KindSupport],
    known: Iterable[State],
    ignored: State,
    title: str,
) -> Plan:
    """`plan` limited to the changes `chosen` selects and those they need. `known` are the states
    (desired, live) whose objects a target may name without a change; a target naming none of them
    is reported in the plan's warnings."""
    kept = _closure(plan.changes, chosen, supports)
    changes = tuple(change for change in plan.changes if id(change) in kept)
    named = {ref for change in changes for ref in _named(change, supports)}
    touched = named | {where for change in changes for where in _own_keys(change)}
    return replace(
        plan,
        changes=changes,
        refs={where: ids for where, ids in plan.refs.items() if where in named},
        live_fingerprint={
            where: digest for where, digest in plan.live_fingerprint.items() if where in touched
        },
        warnings=(*plan.warnings, *_unmatched(plan, chosen, list(known), ignored, title)),
        targets=chosen.targets,
    )


def _closure(changes: Sequence[Change], chosen: Selection, supports: Mapping[str, KindSupport]) -> set[int]:
    """The ids of the selected changes and of the creates and updates they need, transitively."""
    planned = _Planned(changes)
    selected = [change for change in changes if chosen.selects(change.kind, change.key)]
    kept = {id(change) for change in selected}
    queue = [change for change in selected if _brings_about(change)]
    while queue:
        change = queue.pop()
        for needed in planned.needed_by(change, supports):
            if id(needed) not in kept:
                kept.add(id(needed))
                queue.append(needed)
    return kept


def _brings_about(change: Change) -> bool:
    """Makes or keeps its object (a create, an update, a value sent again), rather than removing,
    deactivating or revoking it: only such a change is needed by another, or needs one."""
    return not removes(change) and not (
        change.action is Action.REASSERT and (change.after or {}).get("revoke")
    )


class _Planned:
    """The plan's changes that bring their object about, by what another change may need of them."""

    def __init__(self, changes: Iterable[Change]) -> None:
        self.by_object: dict[tuple[str, Key], list[Change]] = defaultdict(list)
        # Enrollments by (target, user): a session's attendee needs the one in its lesson, whatever
        # the vendor calls the enrollment's type.
        self.enrollments: dict[Key, list[Change]] = defaultdict(list)
        for change in changes:
            if _brings_about(change):
                self.by_object[(change.kind, change.key)].append(change)
                if change.kind == ENROLLMENTS.name:
                    self.enrollments[change.key[1:]].append(change)

    def needed_by(self, change: Change, supports: Mapping[str, KindSupport]) -> Iterator[Change]:
        for where in _named(change, supports):
            yield from self.by_object.get(where, ())
        if change.kind == SESSIONS.name:
            lesson = change.key[0]
            for user in (change.after or {}).get("attendees") or ():
                yield from self.enrollments.get((lesson, str(user)), ())


def _named(change: Change, supports: Mapping[str, KindSupport]) -> list[tuple[str, Key]]:
    """The objects a change names, as the planner collects their ids (`_Planner._collect_refs`)."""
    kind = KINDS_BY_NAME[change.kind]
    support = supports.get(change.kind)
    after = change.after or {}
    by_fields = support.field_refs(kind, after) if support else kind.field_refs(after)
    return [*kind.refs_of(change.key), *by_fields]


def _own_keys(change: Change) -> Iterator[tuple[str, Key]]:
    """Where the plan's live fingerprints hold the change's object: its key, and the live key its
    `before` gives (a renamed object's former one)."""
    yield change.kind, change.key
    if change.before:
        try:
            yield change.kind, KINDS_BY_NAME[change.kind].key_of(change.before)
        except (KeyError, TypeError, ValueError):  # a kind whose live fields leave out part of the key
            return


def _unmatched(plan: Plan, chosen: Selection, known: list[State], ignored: State, title: str) -> list[str]:
    """A warning for each target that selects nothing: no change, and no object in `known`."""
    warnings = []
    for option, kind_name, matches in _each_target(chosen):
        if any(matches(change.kind, change.key) for change in plan.changes):
            continue
        if any(matches(kind_name, key) for state in known for key in state.of(kind_name)):
            continue
        if any(matches(kind_name, key) for key in ignored.of(kind_name)):
            warnings.append(
                f"{option} matches only objects that ignore: in lmsform.yaml hides, which lmsform never plans"
            )
        else:
            warnings.append(f"{option} matches nothing in the manifests or in {title}")
    return warnings


def _each_target(chosen: Selection) -> Iterator[tuple[str, str, Callable[[str, Key], bool]]]:
    for pattern in chosen.addresses:
        yield f"--target {pattern.text}", pattern.kind, pattern.matches
    for kind_name in sorted(chosen.kinds):
        yield f"--kind {kind_name}", kind_name, partial(_of_kind, kind_name)


def _of_kind(wanted: str, kind_name: str, key: Key) -> bool:
    return kind_name == wanted
