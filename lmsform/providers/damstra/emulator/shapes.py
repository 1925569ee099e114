"""User and Group objects as the API shows them (damstra.md Users, Groups).

Users carry the documented fields plus `active`, `clientId` and `lastLoggedInDate` (null: nobody logs
in to an emulator) from the live sample (damstra.md U20); dates in F1 (U21); `employeeNumber`, `phoneNumber`
and `mobileNumber` are "" when unset (U13). `groups`/`groupsSupervised` list active groups by id.
Groups carry `description` and `parentId` (null for a root, damstra.md G3) although the vendor's examples
leave them out; `createdDate` is F3 in UTC (G7); there is no `modifiedDate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lmsform.providers.damstra.emulator.dates import f1, f3, optional_f2
from lmsform.providers.damstra.emulator.group_store import GroupRecord
from lmsform.providers.damstra.emulator.organisation_store import CLIENT_ID
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.damstra.emulator.user_store import UserRecord


def _id_objects(ids: Sequence[int]) -> list[dict[str, int]]:
    return [{"id": ident} for ident in ids]


def user_json(user: UserRecord, groups: Sequence[int], supervised: Sequence[int]) -> dict[str, Any]:
    return {
        "id": user.id,
        "userName": user.user_name,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "emailAddress": user.email_address,
        "phoneNumber": user.phone_number,
        "mobileNumber": user.mobile_number,
        "employeeNumber": user.employee_number,
        "clientStatusId": user.client_status_id,
        "active": user.active,
        "clientId": CLIENT_ID,
        "groups": _id_objects(groups),
        "groupsSupervised": _id_objects(supervised),
        "roles": list(user.roles),
        "timeZone": user.time_zone,
        "lastLoggedInDate": optional_f2(user.last_logged_in_at),
        "createdDate": f1(user.created_at),
        "modifiedDate": f1(user.modified_at),
    }


def users_json(store: DamstraStore, users: Sequence[UserRecord]) -> list[dict[str, Any]]:
    """Users in the given order, their relations read in two queries."""
    user_ids = [user.id for user in users]
    groups = store.groups_of_users("memberships", user_ids)
    supervised = store.groups_of_users("supervisions", user_ids)
    return [user_json(user, groups[user.id], supervised[user.id]) for user in users]


def one_user_json(store: DamstraStore, user: UserRecord) -> dict[str, Any]:
    return users_json(store, [user])[0]


def groups_json(store: DamstraStore, groups: Sequence[GroupRecord]) -> list[dict[str, Any]]:
    counts = store.member_counts([group.id for group in groups])
    return [
        {
            "id": group.id,
            "name": group.name,
            "description": group.description,
            "parentId": group.parent_id,
            "memberCount": counts[group.id],
            "createdDate": f3(group.created_at),
            "clientId": CLIENT_ID,
        }
        for group in groups
    ]


def one_group_json(store: DamstraStore, group: GroupRecord) -> dict[str, Any]:
    return groups_json(store, [group])[0]
