"""Expand declarations that name a group into one object per member ("everyone in Engineering").

Members are the group's desired members, plus its live ones when lmsform leaves the group's live
members in place (memberships additive, or a group the manifests do not declare).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from lmsform.errors import Issue, ManifestError
from lmsform.kinds import KINDS_BY_NAME, MEMBERSHIPS, USERS
from lmsform.project_config import ManageConfig
from lmsform.state import GroupExpansion, Resource, State


def expand(desired: State, live: State, manage: ManageConfig) -> tuple[State, list[str]]:
    """The desired state with every group expansion turned into resources, and warnings."""
    if not desired.expansions:
        return desired, []
    result = desired.copy()
    members = _members_by_group(desired, live, manage)
    issues: list[Issue] = []
    not_users: dict[str, int] = defaultdict(int)
    for expansion in desired.expansions:
        for email in members.get(expansion.group, []):
            if (
                desired.get(USERS.name, (email.lower(),)) is None
                and live.get(USERS.name, (email.lower(),)) is None
            ):
                not_users[expansion.group] += 1
                continue
            _add(result, expansion, email, issues)
    if issues:
        raise ManifestError(issues)
    warnings = [
        f"{count} member(s) of group {group!r} are not users of this account and were left out of its "
        f"{desired.expansions[0].kind}"
        for group, count in sorted(not_users.items())
    ]
    return result, warnings


def expand_declared(desired: State, manage: ManageConfig) -> tuple[State, set[str]]:
    """`expand` with what the manifests alone say (validate): the desired state with each group
    expansion turned into one object per declared member who is a declared user, and the kinds
    whose expansions plan may make more of, from members found only in the live account."""
    expanded, _ = expand(desired, State(), manage)
    # A member who is not a declared user may be a live one.
    with_other_members = {
        key[0]
        for key, membership in desired.of(MEMBERSHIPS.name).items()
        if desired.get(USERS.name, (membership.fields["user"].lower(),)) is None
    }
    open_kinds = {
        expansion.kind
        for expansion in desired.expansions
        if _live_members_stay(desired, manage, expansion.group) or expansion.group in with_other_members
    }
    return expanded, open_kinds


def _live_members_stay(desired: State, manage: ManageConfig, group: str) -> bool:
    """Whether the group's live members are members too: lmsform leaves them in place."""
    governed = desired.scopes.get(MEMBERSHIPS.name, set())
    return manage.mode(MEMBERSHIPS.name) == "additive" or (group,) not in governed


def _members_by_group(desired: State, live: State, manage: ManageConfig) -> dict[str, list[str]]:
    members: dict[str, dict[str, str]] = defaultdict(dict)
    for key, membership in desired.of(MEMBERSHIPS.name).items():
        members[key[0]][key[1]] = membership.fields["user"]
    for key, membership in live.of(MEMBERSHIPS.name).items():
        if _live_members_stay(desired, manage, key[0]):
            members[key[0]].setdefault(key[1], membership.fields["user"])
    return {group: sorted(emails.values(), key=str.lower) for group, emails in members.items()}


def _settings(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What an expanded object declares besides its user, whom the key names already (the same user
    may be spelt in another case by each group's members)."""
    return {name: value for name, value in fields.items() if name != "user"}


def _add(result: State, expansion: GroupExpansion, email: str, issues: list[Issue]) -> None:
    kind = KINDS_BY_NAME[expansion.kind]
    fields = {**expansion.make_fields, "user": email}
    key = kind.key_of(fields)
    existing = result.get(kind.name, key)
    if existing is None:
        result.add(
            Resource(kind.name, key, fields, source=expansion.source, origin=f"group {expansion.group}")
        )
    elif existing.origin is not None and _settings(existing.fields) != _settings(fields):
        # Declared for the user directly: that declaration wins. Two groups disagreeing is an error.
        issues.append(
            Issue(
                expansion.source,
                f"{existing.address} comes from {existing.origin} (at {existing.source}) "
                f"and group {expansion.group!r} with different settings",
            )
        )
