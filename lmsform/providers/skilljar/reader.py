"""Read a Skilljar domain into a State: all normalisation of what Skilljar returns happens here."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lmsform.errors import ProviderError
from lmsform.model import GROUPS, MEMBERSHIPS, USERS
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.state import Resource, State


def read_state(client: SkilljarClient, desired: State, *, parallelism: int) -> State:
    """Domain users and groups of the whole organisation, and the members of the groups the manifests name."""
    try:
        return _read(client, desired, parallelism)
    except (KeyError, TypeError, AttributeError) as error:
        # Skilljar answered with JSON of an unexpected shape: say so instead of a traceback.
        raise ProviderError(
            vendor="skilljar", message=f"malformed response: an item lacks or mistypes {error}"
        ) from None


def _read(client: SkilljarClient, desired: State, parallelism: int) -> State:
    live = State()
    _check_domain(client)
    for item in client.list_domain_users():
        live.add(_user(item))
    groups = {resource.key: resource for resource in map(_group, client.list_groups())}
    for group in groups.values():
        live.add(group)
    in_scope = [groups[key] for key in _groups_named(desired) if key in groups]
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        for group, members in zip(in_scope, pool.map(_members_of(client), in_scope), strict=True):
            for member in members:
                live.add(_membership(group, member))
    return live


def _check_domain(client: SkilljarClient) -> None:
    try:
        client.get_domain()
    except ProviderError as error:
        if error.status == 404:
            raise ProviderError(
                vendor=error.vendor,
                message=f"domain {client.domain!r} does not exist in this Skilljar organisation "
                "(check provider.domain)",
                status=404,
                method=error.method,
                path=error.path,
            ) from None
        raise


def _groups_named(desired: State) -> list[tuple[str, ...]]:
    """Groups whose members matter: declared ones, and those desired memberships refer to."""
    named = set(desired.of(GROUPS.name))
    named.update(MEMBERSHIPS.ref_key("group", key) for key in desired.of(MEMBERSHIPS.name))
    return sorted(named)


def _members_of(client: SkilljarClient) -> Any:
    def members(group: Resource) -> list[dict[str, Any]]:
        return list(client.list_group_users(group.ids["id"]))

    return members


def _user(item: Mapping[str, Any]) -> Resource:
    user = item["user"]
    fields = {
        "email": user["email"],
        "first_name": user.get("first_name") or "",
        "last_name": user.get("last_name") or "",
        "active": bool(item.get("active", True)),
    }
    return Resource(kind=USERS.name, key=USERS.key_of(fields), fields=fields, ids={"id": str(user["id"])})


def _group(item: Mapping[str, Any]) -> Resource:
    fields = {
        "name": item["name"],
        "discount_percent": item.get("discount_percent"),
        "user_count": item.get("user_count"),
    }
    return Resource(kind=GROUPS.name, key=GROUPS.key_of(fields), fields=fields, ids={"id": str(item["id"])})


def _membership(group: Resource, item: Mapping[str, Any]) -> Resource:
    user = item["user"]
    fields = {"group": group.fields["name"], "user": user["email"]}
    return Resource(
        kind=MEMBERSHIPS.name,
        key=MEMBERSHIPS.key_of(fields),
        fields=fields,
        ids={"group": group.ids["id"], "user": str(user["id"])},
    )
