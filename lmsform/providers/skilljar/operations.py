"""Planned changes → Skilljar API calls, one function per kind and action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lmsform.errors import ProviderError
from lmsform.model import GROUPS, MEMBERSHIPS, USERS
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext
from lmsform.providers.skilljar.client import SkilljarClient

NAME_FIELDS = ("first_name", "last_name")
GROUP_FIELDS = ("name", "discount_percent")

Operation = Callable[[SkilljarClient, Change, ApplyContext], None]


def create_user(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    identity = {"email": after["email"], **{name: after[name] for name in NAME_FIELDS if name in after}}
    created = client.create_domain_user(identity, active=bool(after.get("active", True)), key=change.address)
    user = created["user"]
    user_id = str(user["id"])
    context.record(USERS.name, change.key, user_id)
    # A known e-mail returns the existing user unchanged: names and `active` must then be set apart.
    names = {
        name: after[name] for name in NAME_FIELDS if name in after and (user.get(name) or "") != after[name]
    }
    if names:
        client.update_user(user_id, names, key=change.address)
    if "active" in after and bool(created.get("active", True)) != after["active"]:
        client.update_domain_user(user_id, {"active": after["active"]}, key=change.address)


def update_user(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    user_id = change.ids["id"]
    names = {name: after[name] for name in NAME_FIELDS if name in change.changed}
    if names:
        client.update_user(user_id, names, key=change.address)
    if "active" in change.changed:
        client.update_domain_user(user_id, {"active": after["active"]}, key=change.address)


def deactivate_user(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.update_domain_user(change.ids["id"], {"active": False}, key=change.address)


def create_group(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    body = {name: after[name] for name in GROUP_FIELDS if name in after}
    created = client.create_group(body, key=change.address)
    context.record(GROUPS.name, change.key, str(created["id"]))


def update_group(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    client.update_group(change.ids["id"], {name: after[name] for name in change.changed}, key=change.address)


def delete_group(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.delete_group(change.ids["id"], key=change.address)


def add_member(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    group_key, user_key = change.key
    group_id = context.id_of(GROUPS.name, (group_key,))
    user_id = context.id_of(USERS.name, (user_key,))
    try:
        client.add_group_user(group_id, user_id, key=change.address)
    except ProviderError as error:
        # Skilljar refuses a second add with 400; after a retry or a concurrent add the member is there.
        if error.status == 400 and client.group_user_exists(group_id, user_id, key=change.address):
            return
        raise


def remove_member(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.remove_group_user(change.ids["group"], change.ids["user"], key=change.address)


def _after(change: Change) -> Mapping[str, Any]:
    assert change.after is not None, f"{change.action} of {change.address} has no target state"
    return change.after


OPERATIONS: Mapping[tuple[str, Action], Operation] = {
    (USERS.name, Action.CREATE): create_user,
    (USERS.name, Action.UPDATE): update_user,
    (USERS.name, Action.DEACTIVATE): deactivate_user,
    (GROUPS.name, Action.CREATE): create_group,
    (GROUPS.name, Action.UPDATE): update_group,
    (GROUPS.name, Action.DELETE): delete_group,
    (MEMBERSHIPS.name, Action.CREATE): add_member,
    (MEMBERSHIPS.name, Action.DELETE): remove_member,
}
