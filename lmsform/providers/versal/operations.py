"""Planned changes to Versal API calls: one function per (kind, action), and batched user removal.

The only POSTs are adding a user (not idempotent: after a lost answer the member is looked up by
e-mail before any repeat, `create_once`) and the batch removal (idempotent, with a 404 fallback).
PUT, PATCH and DELETE are idempotent and re-sent by the HTTP layer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from lmsform.batches import chunks
from lmsform.errors import ProviderError
from lmsform.kinds import ENROLLMENTS, ORG_COURSES, USERS
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext, Operation, Work
from lmsform.providers.safe_writes import create_once
from lmsform.providers.versal.client import VersalClient
from lmsform.providers.versal.reader import COURSE_ROLES, NO_ROLE
from lmsform.providers.versal.settings import VersalSettings

log = logging.getLogger("lmsform.versal")

# Manifest field → Versal's user attribute (User_Input_Model / User_Patch_Model).
PROFILE: Mapping[str, str] = {
    "first_name": "firstname",
    "last_name": "lastname",
    "full_name": "fullname",
    "short_description": "shortDesc",
    "long_description": "longDesc",
}
NEW_USER_ROLES = ("learner",)
NOT_FOUND = 404


def _profile(fields: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {PROFILE[name]: fields[name] for name in names if name in PROFILE and fields.get(name) is not None}


def create_user(client: VersalClient, change: Change, context: ApplyContext) -> None:
    after = change.after or {}
    profile = _profile(after, list(PROFILE))
    roles = after.get("roles") or list(NEW_USER_ROLES)
    email = after["email"]
    # After a lost answer, look for the member by e-mail before adding again: a repeat is refused
    # with 400 once the first one went through.
    answer = create_once(
        lambda: client.add_user(roles, {"email": email, **profile}, key=change.address),
        lambda: client.find_member(email),
        what=change.address,
        vendor_unique=True,
        attempts=client.http.attempts,
    )
    user = answer["user"]
    user_id = str(user["id"])
    context.record(USERS.name, change.key, user_id)
    # An address Versal already knows (a former member) joins with the names it had: set ours. A
    # member found after a lost answer may be such a one too; the member list shows no descriptions,
    # so those are then sent again, to be sure.
    stale = {attribute: value for attribute, value in profile.items() if user.get(attribute) != value}
    if stale:
        client.update_profile(user_id, stale, key=change.address)


def update_user(client: VersalClient, change: Change, context: ApplyContext) -> None:
    """Profile fields by one PUT; the org role by another, which replaces the role set. The profile
    carries the declared descriptions whatever else changed (`Change.sends`): the member list never
    shows them, so no later plan could tell they were left out."""
    after = change.after or {}
    user_id = change.ids["id"]
    profile = _profile(after, change.sends)
    if profile:
        client.update_profile(user_id, profile, key=change.address)
    if "roles" in change.sends:
        roles = [role for role in after.get("roles") or [] if role != NO_ROLE]
        client.set_org_roles(user_id, roles, key=change.address)


def remove_user(client: VersalClient, change: Change, context: ApplyContext) -> None:
    try:
        client.remove_user(change.ids["id"], key=change.address)
    except ProviderError as error:
        if error.status != NOT_FOUND:
            raise
        log.info("%s: already not a member (a retried call may have removed it)", change.address)


def work(
    client: VersalClient, settings: VersalSettings, kind: str, action: Action, changes: Sequence[Change]
) -> list[Work] | None:
    """Users leaving the organisation go in batches; every other change is one call (None)."""
    if kind == USERS.name and action is Action.DELETE and len(changes) > 1:
        size = settings.batch_remove_size
        return [Work(chunk, partial(remove_users, client, chunk)) for chunk in chunks(changes, size)]
    return None


def remove_users(client: VersalClient, changes: Sequence[Change], context: ApplyContext) -> None:
    """One `delete_users` call. Versal removes all or none: when one is no longer a member (404),
    the rest go one by one."""
    try:
        client.remove_users([change.ids["id"] for change in changes], key=f"users (batch of {len(changes)})")
    except ProviderError as error:
        if error.status != NOT_FOUND:
            raise
        for change in changes:
            remove_user(client, change, context)


def set_enrollment(client: VersalClient, change: Change, context: ApplyContext) -> None:
    """Tracking and the course role by one idempotent PATCH: also how an enrollment is made. Both go
    in every PATCH, so a declared role Versal cannot show (`Change.unread`) is sent whatever changed."""
    after = change.after or {}
    _, course, email = change.key
    course_id = change.ids.get("course") or context.id_of(ORG_COURSES.name, (course,))
    user_id = change.ids.get("user") or context.id_of(USERS.name, (email,))
    role = after.get("role")
    # A role the manifests leave out stays as it is: what was read of it is no role to send.
    roles = [role] if role in COURSE_ROLES else None
    client.set_course_user(course_id, user_id, tracked=after.get("tracked"), roles=roles, key=change.address)


def remove_enrollment(client: VersalClient, change: Change, context: ApplyContext) -> None:
    """Versal has no unenroll: untrack the user and take their course roles away."""
    client.set_course_user(
        change.ids["course"], change.ids["user"], tracked=False, roles=[], key=change.address
    )


OPERATIONS: Mapping[tuple[str, Action], Operation[VersalClient]] = {
    (USERS.name, Action.CREATE): create_user,
    (USERS.name, Action.UPDATE): update_user,
    (USERS.name, Action.REASSERT): update_user,
    (USERS.name, Action.DELETE): remove_user,
    (ENROLLMENTS.name, Action.CREATE): set_enrollment,
    (ENROLLMENTS.name, Action.UPDATE): set_enrollment,
    (ENROLLMENTS.name, Action.REASSERT): set_enrollment,
    (ENROLLMENTS.name, Action.DELETE): remove_enrollment,
}
