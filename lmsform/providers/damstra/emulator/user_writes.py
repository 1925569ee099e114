"""Creating and changing users: the rules `POST /user`, `POST /user/{id}`, `/bulkUserImport` and seeding
share.

* Create needs non-blank `firstName`, `lastName` and `emailAddress` (damstra.md Users, U7); `emailAddress`
  must look like `local@domain` (decision: nothing stricter). `userName` is generated when absent (U8:
  lower-cased first and last name with everything but a-z and 0-9 removed, then `2`, `3`, … on a
  collision; `user` when nothing is left). `roles` default to [6]; `timeZone` to the organisation's.
* `userName` is unique ignoring case across all users, active or not (U6) → 409.
* `roles` must be integers 3 to 8 (U9) → 400; an empty list means [6]; repeats are dropped and the list is
  kept sorted. Granting or taking away OWNER (7) → 403 E831 — this includes a bulk merge that omits
  `roles` for the owner, since that would reset the owner to [6] (B3).
* `phoneNumber`, `mobileNumber` and `employeeNumber` accept null as "" (U13; decision: the same for
  the two phone fields).
* `groups`/`groupsSupervised` name active groups (unknown or inactive → 404 E842). On create they set
  the relations; on update and merge a present array replaces the user's whole set and an absent one
  leaves it alone (U11). Inactive users may be put in groups (their membership is kept but not listed,
  U19).
* `password` is stored hashed (U15). `sendWelcomeEmail` (default true) puts `{"to", "userName"}` in the
  outbox for each new user (U14); it is ignored on update and merge.
* `modifiedDate` moves only when something stored changes: a field, the password, or a relation set.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from lmsform.providers.damstra.emulator.dates import is_time_zone
from lmsform.providers.damstra.emulator.errors import (
    bad_request,
    group_not_found,
    not_authorised,
    user_name_taken,
)
from lmsform.providers.damstra.emulator.group_store import Relation
from lmsform.providers.damstra.emulator.requests_in import Body, is_integer
from lmsform.providers.damstra.emulator.store import OWNER_ROLE, DamstraStore
from lmsform.providers.damstra.emulator.user_store import (
    ACTIVE_STATUS,
    UserRecord,
    encode_roles,
    hash_password,
    password_matches,
    user_name_key,
)

VALID_ROLES = range(3, 9)
TRAINEE_ROLES = (6,)
REQUIRED_ON_CREATE = ("firstName", "lastName", "emailAddress")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
# Request field → column, for the plain text fields.
_TEXT_COLUMNS = {
    "userName": "user_name",
    "firstName": "first_name",
    "lastName": "last_name",
    "emailAddress": "email_address",
    "phoneNumber": "phone_number",
    "mobileNumber": "mobile_number",
    "employeeNumber": "employee_number",
    "timeZone": "time_zone",
}


@dataclass(frozen=True)
class UserInput:
    """A validated user body; None means the field was not sent."""

    text: dict[str, str]
    """Column → value for the plain text fields that were sent."""
    password: str | None
    roles: tuple[int, ...] | None
    groups: tuple[int, ...] | None
    groups_supervised: tuple[int, ...] | None
    send_welcome_email: bool


def read_user_input(body: Body) -> UserInput:
    """Check every field's type and value (400 on the first problem)."""
    text: dict[str, str] = {}
    for name in ("userName", "firstName", "lastName", "emailAddress"):
        value = body.text(name, blank=False)
        if value is not None:
            text[_TEXT_COLUMNS[name]] = value
    for name in ("phoneNumber", "mobileNumber", "employeeNumber"):
        value = body.text(name, nullable=True)
        if value is not None:
            text[_TEXT_COLUMNS[name]] = value
    if "email_address" in text and not _EMAIL.fullmatch(text["email_address"]):
        raise bad_request(f"emailAddress is not an e-mail address: {text['email_address']!r}")
    time_zone = body.text("timeZone")
    if time_zone is not None:
        if not is_time_zone(time_zone):
            raise bad_request(f"timeZone is not an IANA time zone name: {time_zone!r}")
        text["time_zone"] = time_zone
    groups, supervised = body.id_objects("groups"), body.id_objects("groupsSupervised")
    return UserInput(
        text=text,
        password=body.text("password", blank=False),
        roles=_read_roles(body),
        groups=None if groups is None else tuple(groups),
        groups_supervised=None if supervised is None else tuple(supervised),
        send_welcome_email=body.boolean("sendWelcomeEmail") is not False,
    )


def _read_roles(body: Body) -> tuple[int, ...] | None:
    if not body.has("roles"):
        return None
    roles = body.raw("roles")
    if not isinstance(roles, list) or not all(is_integer(role) and role in VALID_ROLES for role in roles):
        raise bad_request("roles must be an array of role ids between 3 and 8")
    return tuple(sorted(set(roles))) or TRAINEE_ROLES


def check_owner_role_kept(before: tuple[int, ...], after: tuple[int, ...]) -> None:
    """Nobody gains or loses OWNER through the API (damstra.md A4)."""
    if (OWNER_ROLE in before) != (OWNER_ROLE in after):
        raise not_authorised()


def check_groups_exist(store: DamstraStore, group_ids: tuple[int, ...] | None) -> None:
    for group_id in group_ids or ():
        if store.get_group(group_id) is None:
            raise group_not_found(group_id)


def _check_user_name_free(store: DamstraStore, user_name: str, own_id: int | None = None) -> None:
    holder = store.user_by_user_name(user_name)
    if holder is not None and holder.id != own_id:
        raise user_name_taken(user_name)


def generated_user_name(store: DamstraStore, first_name: str, last_name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", f"{first_name}{last_name}").encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]", "", ascii_name.lower()) or "user"
    candidate, suffix = base, 1
    while store.user_by_user_name(candidate) is not None:
        suffix += 1
        candidate = f"{base}{suffix}"
    return candidate


def create_user(store: DamstraStore, given: UserInput) -> UserRecord:
    missing = [name for name in REQUIRED_ON_CREATE if _TEXT_COLUMNS[name] not in given.text]
    if missing:
        raise bad_request(f"Missing required field(s): {', '.join(missing)}")
    roles = given.roles or TRAINEE_ROLES
    check_owner_role_kept((), roles)
    if "user_name" in given.text:
        _check_user_name_free(store, given.text["user_name"])
    check_groups_exist(store, given.groups)
    check_groups_exist(store, given.groups_supervised)
    user_name = given.text.get("user_name") or generated_user_name(
        store, given.text["first_name"], given.text["last_name"]
    )
    now = store.now_stored()
    columns: dict[str, Any] = {
        "time_zone": store.organisation().time_zone,
        **given.text,
        "user_name": user_name,
        "password_hash": None if given.password is None else hash_password(given.password),
        "roles": encode_roles(roles),
        "client_status_id": ACTIVE_STATUS,
        "created_at": now,
        "modified_at": now,
    }
    user = store.insert_user(store.next_id("user"), columns)
    store.replace_user_groups("memberships", user.id, given.groups or ())
    store.replace_user_groups("supervisions", user.id, given.groups_supervised or ())
    if given.send_welcome_email:
        store.send_welcome_email(user.email_address, user.user_name)
    return user


def change_user(
    store: DamstraStore, user: UserRecord, given: UserInput, *, reset_absent_roles: bool
) -> UserRecord:
    """Apply the fields sent; `reset_absent_roles` makes absent `roles` mean [6] (bulk import, B3)."""
    roles = given.roles if given.roles is not None else (TRAINEE_ROLES if reset_absent_roles else user.roles)
    check_owner_role_kept(user.roles, roles)
    if "user_name" in given.text and user_name_key(given.text["user_name"]) != user_name_key(user.user_name):
        _check_user_name_free(store, given.text["user_name"], user.id)
    check_groups_exist(store, given.groups)
    check_groups_exist(store, given.groups_supervised)
    changes: dict[str, Any] = {
        column: value for column, value in given.text.items() if getattr(user, column) != value
    }
    if roles != user.roles:
        changes["roles"] = encode_roles(roles)
    if given.password is not None and not password_matches(user.password_hash, given.password):
        changes["password_hash"] = hash_password(given.password)
    relations_changed = _replace_relations(store, user.id, given)
    if changes or relations_changed:
        changes["modified_at"] = store.now_stored()
    return store.update_user(user.id, changes)


def _replace_relations(store: DamstraStore, user_id: int, given: UserInput) -> bool:
    changed = False
    wanted_sets: tuple[tuple[Relation, tuple[int, ...] | None], ...] = (
        ("memberships", given.groups),
        ("supervisions", given.groups_supervised),
    )
    for relation, wanted in wanted_sets:
        if wanted is None:
            continue
        if sorted(set(wanted)) != store.groups_of_users(relation, [user_id])[user_id]:
            store.replace_user_groups(relation, user_id, wanted)
            changed = True
    return changed
