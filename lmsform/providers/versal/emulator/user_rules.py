"""Rules shared by the user routes and seeding: profiles, adding a user to an org, the removal cascade.

* Profile strings are stored as sent; an empty string clears the field, which is then omitted.
* Adding an e-mail that is already a member of the org answers 400 "User already exists in
  organization"; an e-mail known from elsewhere (another org, or removed earlier) adds that same user,
  names untouched, with the given roles (versal.md D6). E-mails match ignoring case (decision).
* `member` among the roles means "no role" (versal.md D1); roles are kept in the order admin, instructor,
  learner (versal.md D2).
* Removing users from an org also clears their course roles, tracking, progress and gadget data in
  every course of that org, and ends their sessions there (versal.md Removal).
"""

from __future__ import annotations

from collections.abc import Sequence

from lmsform.providers.versal.emulator.dates import now_stored
from lmsform.providers.versal.emulator.errors import bad_request
from lmsform.providers.versal.emulator.requests_in import Body
from lmsform.providers.versal.emulator.shapes import local_part
from lmsform.providers.versal.emulator.store import VersalStore
from lmsform.providers.versal.emulator.user_store import ORG_ROLES, MemberRecord

ORG_INPUT_ROLES = (*ORG_ROLES, "member")
"""`Org_User_Input_Model.roles`; `Role_Update_Input_Model.roles` takes only `ORG_ROLES`."""
PROFILE_KEYS = {
    "firstname": "firstname",
    "lastname": "lastname",
    "fullname": "fullname",
    "longDesc": "long_desc",
    "shortDesc": "short_desc",
}
"""Body field → store column, for `User_Input_Model` and `User_Patch_Model`."""


def read_profile(body: Body) -> dict[str, str | None]:
    """The profile fields the body sends (each a string); `""` becomes None (cleared)."""
    changes: dict[str, str | None] = {}
    for key, column in PROFILE_KEYS.items():
        value = body.text(key)
        if value is not None:
            changes[column] = value or None
    return changes


def add_org_user(
    store: VersalStore, org_id: int, email: str, profile: dict[str, str | None], roles: Sequence[str]
) -> MemberRecord:
    now = now_stored()
    user = store.user_by_email(email)
    if user is None:
        user = store.insert_user(email, store.free_username(local_part(email)), profile, now)
    elif store.is_member(org_id, user.id):
        raise bad_request("User already exists in organization")
    return store.add_member(org_id, user, [role for role in roles if role != "member"], now)


def remove_members(store: VersalStore, org_id: int, user_ids: Sequence[int]) -> None:
    store.forget_members(org_id, user_ids)
    store.delete_member_sessions(org_id, list(user_ids))
    store.delete_memberships(org_id, user_ids)
