"""Rules across kinds that a provider declares (`KindSupport.create_requires`): a create the vendor
would refuse because of another object (Damstra schedules no lesson for an inactive user) is
refused before any call, with the place of each declaration involved.

`validate` refuses what the manifests alone make impossible: an entry, or a group enrollment over
declared members, naming an object declared otherwise. `plan` refuses a create that names a live
object which is otherwise, and leaves out, with a warning, the ones a group brought in: those are
the group's members the vendor cannot serve, not objects anyone named.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lmsform.errors import Issue, Location
from lmsform.kinds import KINDS_BY_NAME, MEMBERSHIPS, Key, Kind, address
from lmsform.providers.base import Prerequisite, Provider
from lmsform.state import Resource, State

_SHOWN = 5


@dataclass(frozen=True)
class Unmet:
    """A prerequisite the object named by a create does not meet."""

    rule: Prerequisite
    key: Key
    value: Any
    # Where the manifests give the value; None when it is the live object's.
    declared_at: Location | None

    @property
    def who(self) -> str:
        return f"{KINDS_BY_NAME[self.rule.kind].singular} {self.key[0]!r}"

    def state(self, vendor: str) -> str:
        if self.declared_at is not None:
            return (
                f"is declared {self.rule.otherwise} ({self.rule.field}: {_yaml(self.value)} "
                f"at {self.declared_at})"
            )
        return f"is {self.rule.otherwise} in {vendor}"

    def fix(self, leave_out: str) -> str:
        singular = KINDS_BY_NAME[self.rule.kind].singular
        wanted = f"{self.rule.field}: {_yaml(self.rule.value)}"
        if self.declared_at is not None:
            return f"set {wanted} on the {singular}, or take the {singular} out of {leave_out}"
        return (
            f"declare the {singular} with {wanted} (apply makes that change first), "
            f"or take the {singular} out of {leave_out}"
        )


def unmet(
    provider: type[Provider],
    kind: Kind,
    key: Key,
    desired: State,
    live: Mapping[str, Mapping[Key, Resource]] | None = None,
) -> Unmet | None:
    """The first prerequisite a create of `kind` under `key` would break, given what the manifests
    declare and (when `live` is given) what the live account holds of the objects they do not."""
    support = provider.supports.get(kind.name)
    for rule in support.create_requires if support is not None else ():
        for target, target_key in kind.refs_of(key):
            if target != rule.kind:
                continue
            declared = desired.get(target, target_key)
            if declared is not None and rule.field in declared.fields:
                value, where = declared.fields[rule.field], declared.source
            else:
                found = (live or {}).get(target, {}).get(target_key)
                if found is None or rule.field not in found.fields:
                    continue  # made without it, or not known: the vendor's default applies
                value, where = found.fields[rule.field], None
            if value != rule.value:
                return Unmet(rule, target_key, value, where)
    return None


def declared_conflicts(desired: State, provider: type[Provider]) -> list[Issue]:
    """Declarations the provider's prerequisites refuse on the manifests alone (for `validate`)."""
    issues: list[Issue] = []
    kinds = [KINDS_BY_NAME[name] for name, support in provider.supports.items() if support.create_requires]
    for kind in kinds:
        for key, resource in desired.of(kind.name).items():
            found = unmet(provider, kind, key, desired)
            if found is not None:
                issues.append(Issue(resource.source, refusal(provider, kind, key, found)))
    names = {kind.name for kind in kinds}
    expansions = [expansion for expansion in desired.expansions if expansion.kind in names]
    if not expansions:
        return issues
    members: dict[str, list[Resource]] = defaultdict(list)
    for (group, _), membership in desired.of(MEMBERSHIPS.name).items():
        members[group].append(membership)
    for expansion in expansions:
        kind = KINDS_BY_NAME[expansion.kind]
        for membership in members.get(expansion.group, []):
            key = kind.key_of({**expansion.make_fields, "user": membership.fields["user"]})
            if desired.get(kind.name, key) is not None:
                continue  # declared for the user directly: that declaration wins, and is checked above
            found = unmet(provider, kind, key, desired)
            if found is not None:
                group = f"group {expansion.group!r}"
                message = (
                    f"{address(kind.name, key)} cannot be created through {group}: {found.who}, its "
                    f"member at {membership.source}, {found.state(provider.title)}, and "
                    f"{found.rule.reason}; {found.fix(group)}"
                )
                issues.append(Issue(expansion.source, message))
    return issues


def refusal(provider: type[Provider], kind: Kind, key: Key, found: Unmet) -> str:
    return (
        f"{address(kind.name, key)} cannot be created: {found.who} {found.state(provider.title)}, "
        f"and {found.rule.reason}; {found.fix('this entry')}"
    )


class PlannedCreates:
    """The planner's check of each create against the provider's prerequisites, with the live account."""

    def __init__(
        self, provider: type[Provider], desired: State, live: Mapping[str, Mapping[Key, Resource]]
    ) -> None:
        self.provider = provider
        self.desired = desired
        self.live = live
        self.issues: list[Issue] = []
        # (rule, declared?) → the creates left out, each with the group that brought it in.
        self._left_out: dict[tuple[Prerequisite, bool], list[str]] = defaultdict(list)

    def refuses(self, kind: Kind, wanted: Resource) -> bool:
        """True when the create of `wanted` must not be planned: an error, or left out with a warning
        when a group brought it in."""
        found = unmet(self.provider, kind, wanted.key, self.desired, self.live)
        if found is None:
            return False
        if wanted.origin is None:
            self.issues.append(Issue(wanted.source, refusal(self.provider, kind, wanted.key, found)))
        else:
            declared = found.declared_at is not None
            self._left_out[(found.rule, declared)].append(f"{wanted.address} via {wanted.origin}")
        return True

    def warnings(self) -> list[str]:
        warnings = []
        for (rule, declared), creates in self._left_out.items():
            singular = KINDS_BY_NAME[rule.kind].singular
            state = f"declared {rule.otherwise}" if declared else f"{rule.otherwise} in {self.provider.title}"
            more = len(creates) - _SHOWN
            shown = ", ".join(creates[:_SHOWN]) + (f" and {more} more" if more > 0 else "")
            warnings.append(
                f"{len(creates)} create(s) left out of the plan, because the {singular} is {state} and "
                f"{rule.reason}: {shown}"
            )
        return warnings


def _yaml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
