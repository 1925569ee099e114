"""Planned changes → Damstra Learning API calls.

Damstra's writes favour batches: one bulk import for many new users, one bulk merge for many
changed ones, one call per group and direction for members and supervisors, one call per user for
all of their new lesson schedules. `work` groups a phase's changes into those calls, and orders new
groups in waves, parents before children; each function below runs one of them.

No create is sent twice blindly: after a lost answer (no answer, 5xx, 429) a user, an import or a
group is first looked up by its key (`create_once`), and the apply carries on with what is there.
Damstra keeps user names unique but not group names: a group create that may still land is never
sent again, and each phase of new groups is guarded against another apply (`NewObjects`). The
other writes are safe to repeat, and the client re-sends them (see `client`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from lmsform.batches import chunks
from lmsform.errors import ProviderError
from lmsform.kinds import ENROLLMENTS, GROUP_SUPERVISORS, GROUPS, LESSONS, MEMBERSHIPS, SESSIONS, USERS
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext, Operation, Work
from lmsform.providers.damstra.client import DamstraClient
from lmsform.providers.damstra.reader import (
    ATTENDEE,
    ENROLLED_STATUSES,
    OWNER_ROLE,
    ROLE_IDS,
    SESSION_CANCELLED,
)
from lmsform.providers.damstra.settings import DamstraSettings
from lmsform.providers.safe_writes import NewObjects, create_once

log = logging.getLogger("lmsform.damstra")

# Below this many new users, single creates beat a bulk import (no difference in safety).
BULK_THRESHOLD = 10
# One changed user is one call either way, and `POST /user/{id}` names it by id; from two on, a bulk
# merge carries them all in one call.
MERGE_THRESHOLD = 2
_RELATION_ACTIONS = {
    (MEMBERSHIPS.name, Action.CREATE): "add_members",
    (MEMBERSHIPS.name, Action.DELETE): "remove_members",
    (GROUP_SUPERVISORS.name, Action.CREATE): "add_supervisors",
    (GROUP_SUPERVISORS.name, Action.DELETE): "remove_supervisors",
}


def _after(change: Change) -> Mapping[str, Any]:
    assert change.after is not None, f"{change.action} of {change.address} has no target state"
    return change.after


@dataclass(frozen=True)
class Organisation:
    """What every write below is given, as other vendors' writes are given their client: Damstra's
    API, and the project's settings (the defaults of new users and of lesson schedules)."""

    api: DamstraClient
    settings: DamstraSettings


def work(
    org: Organisation,
    kind: str,
    action: Action,
    changes: Sequence[Change],
    *,
    parents: Mapping[str, str | None],
) -> list[Work] | None:
    """Batched work for this phase, or None for one call per change. `parents`: each live group's
    parent (None: a top-level group), as the last read found them; the order of moves in the tree
    depends on groups that do not move."""
    if kind == USERS.name and action is Action.CREATE and len(changes) >= BULK_THRESHOLD:
        size = org.settings.bulk_import_size
        return [Work(chunk, partial(import_users, org, chunk)) for chunk in chunks(changes, size)]
    if kind == USERS.name and action is Action.UPDATE:
        mergeable = [change for change in changes if _mergeable(change)]
        if len(mergeable) < MERGE_THRESHOLD:
            return None
        size = org.settings.bulk_import_size
        singles = [change for change in changes if not _mergeable(change)]
        return [Work(chunk, partial(merge_users, org, chunk)) for chunk in chunks(mergeable, size)] + [
            Work((change,), partial(update_user, org, change)) for change in singles
        ]
    if kind == GROUPS.name and action is Action.CREATE:
        # A child needs its parent's id: one wave per level of the new groups' hierarchy.
        depths = _depths(changes)
        guard = new_groups(org)
        return [
            Work((change,), partial(create_group, org, change, guard=guard), wave=depths[change.key[0]])
            for change in changes
        ]
    if kind == GROUPS.name and action is Action.UPDATE and any("parent" in c.changed for c in changes):
        return group_updates(org, changes, parents)
    if (kind, action) in _RELATION_ACTIONS:
        by_group: dict[str, list[Change]] = defaultdict(list)
        for change in changes:
            by_group[change.key[0]].append(change)
        return [
            Work(tuple(group), partial(change_relations, org, tuple(group))) for group in by_group.values()
        ]
    if kind == ENROLLMENTS.name and action is Action.CREATE:
        by_call: dict[tuple[Any, ...], list[Change]] = defaultdict(list)
        for change in changes:
            after = _after(change)
            options = (after.get("starts_at"), after.get("grace_period"), after.get("grace_period_unit"))
            by_call[(change.key[2], *options)].append(change)
        return [Work(tuple(batch), partial(schedule, org, tuple(batch))) for batch in by_call.values()]
    if kind == SESSIONS.name and action is Action.CREATE:
        guard = new_sessions(org)
        return [Work((change,), partial(create_session, org, change, guard=guard)) for change in changes]
    return None


def group_updates(
    org: Organisation, changes: Sequence[Change], parents: Mapping[str, str | None]
) -> list[Work]:
    """Updates that move groups in the tree run one at a time, each to a parent outside its own
    subtree at that moment: Damstra refuses a move that would make a group its own ancestor, even
    on the way to a tree without one (two groups swapping places). The rest run at once, first."""
    moves = [change for change in changes if "parent" in change.changed]
    works = [
        Work((change,), partial(update_group, org, change))
        for change in changes
        if "parent" not in change.changed
    ]
    for wave, change in enumerate(_move_order(moves, parents, changes), start=1):
        works.append(Work((change,), partial(update_group, org, change), wave=wave))
    return works


# --- users -------------------------------------------------------------------------------------


def user_body(org: Organisation, change: Change, context: ApplyContext) -> dict[str, Any]:
    """The whole user, as every Damstra user update requires (read-modify-write)."""
    after = _after(change)
    roles = [ROLE_IDS[role] for role in after.get("roles") or ["trainee"]]
    if after.get("owner"):
        roles.append(OWNER_ROLE)  # never granted or removed by lmsform; kept as it is
    body: dict[str, Any] = {
        "userName": after["username"],
        "firstName": after.get("first_name") or "",
        "lastName": after.get("last_name") or "",
        "emailAddress": after["email"],
        "phoneNumber": after.get("phone") or "",
        "mobileNumber": after.get("mobile") or "",
        "employeeNumber": after.get("employee_number") or "",
        "roles": sorted(roles),
        "timeZone": after.get("time_zone") or org.settings.default_time_zone,
    }
    password = context.secret(USERS.name, change.key, "password")
    if password is not None and change.action is Action.CREATE:
        body["password"] = password
    return body


def create_user(org: Organisation, change: Change, context: ApplyContext) -> None:
    body = {**user_body(org, change, context), "sendWelcomeEmail": org.settings.send_welcome_email}
    # After a lost answer, look the user up by user name: a repeat would get 409 (user names are
    # unique), and the user found was made from this very body.
    created = create_once(
        lambda: org.api.create_user(body, key=change.address),
        lambda: org.api.find_user(body["userName"]),
        what=change.address,
        vendor_unique=True,
        attempts=org.api.http.attempts,
    )
    user_id = str(created["id"])
    context.record(USERS.name, change.key, user_id)
    if _after(change).get("active") is False:
        org.api.inactivate_user(int(user_id), key=change.address)


def import_users(org: Organisation, chunk: Sequence[Change], context: ApplyContext) -> None:
    label = f"users (bulk import of {len(chunk)})"
    # Damstra resets omitted roles to trainee on import: the body always carries them.
    rows = {
        change.key[0]: {
            **user_body(org, change, context),
            "sendWelcomeEmail": org.settings.send_welcome_email,
        }
        for change in chunk
    }
    made: dict[str, str] = {}  # user name (lower case) → id, of the chunk's users known to exist

    def send() -> dict[str, str]:
        pending = [row for name, row in rows.items() if name not in made]
        imported = org.api.bulk_import(pending, key=label)
        return {**made, **{str(item["userName"]).lower(): str(item["id"]) for item in imported}}

    def find() -> dict[str, str] | None:
        """After a lost answer: which of the chunk's users exist (one read of the user list, cheaper
        than a search per user). All → done; some (an import that was not all-or-nothing) → only
        the others are imported again, since a repeat under `mergeType: none` would get 409."""
        for item in org.api.list_users():
            name = str(item["userName"]).lower()
            if name in rows:
                made[name] = str(item["id"])
        return dict(made) if len(made) == len(rows) else None

    by_name = create_once(send, find, what=label, vendor_unique=True, attempts=org.api.http.attempts)
    for change in chunk:
        user_id = by_name.get(change.key[0])
        if user_id is None:
            raise ProviderError(
                vendor=org.api.http.vendor,
                message="the bulk import did not return this user",
                key=change.address,
            )
        context.record(USERS.name, change.key, user_id)
        if _after(change).get("active") is False:
            org.api.inactivate_user(int(user_id), key=change.address)


def update_user(org: Organisation, change: Change, context: ApplyContext) -> None:
    user_id = int(change.ids["id"])
    if set(change.changed) - {"active"}:
        body = {"id": user_id, **user_body(org, change, context)}
        org.api.update_user(user_id, body, key=change.address)
    if "active" in change.changed:
        _set_active(org, change)


def merge_users(org: Organisation, chunk: Sequence[Change], context: ApplyContext) -> None:
    """Update users in one bulk import that merges on user name: the same whole bodies as
    `update_user` sends (roles included: an import resets omitted roles to trainee), without
    their ids. A merge leaves the status alone (damstra.md B10), so (re-)activations follow, one call
    each."""
    label = f"users (bulk merge of {len(chunk)})"
    # A merge creates a user when nobody has the name (it changed in Damstra since the plan):
    # no welcome e-mail for such a user.
    rows = [{**user_body(org, change, context), "sendWelcomeEmail": False} for change in chunk]
    merged = org.api.merge_users(rows, key=label)
    ids = {str(item.get("userName", "")).casefold(): str(item.get("id")) for item in merged}
    strays = [
        f"{change.address} is id {change.ids['id']}, Damstra answered id {ids.get(_user_name(change))}"
        for change in chunk
        if ids.get(_user_name(change)) != change.ids["id"]
    ]
    if strays:
        # The user name changed in Damstra since the plan was made: nobody had it, so the merge
        # made a new user with it (inactivate that one), or Damstra did not answer for it.
        raise ProviderError(
            vendor=org.api.http.vendor,
            message="the bulk merge did not update the users planned, was a user name changed in "
            f"Damstra since the plan was made? {'; '.join(strays)}",
            kind=USERS.name,
            key=label,
        )
    for change in chunk:
        if "active" in change.changed:
            _set_active(org, change)


def _set_active(org: Organisation, change: Change) -> None:
    user_id = int(change.ids["id"])
    if _after(change)["active"]:
        org.api.activate_user(user_id, key=change.address)
    else:
        org.api.inactivate_user(user_id, key=change.address)


def deactivate_user(org: Organisation, change: Change, context: ApplyContext) -> None:
    org.api.inactivate_user(int(change.ids["id"]), key=change.address)


# --- groups, members, supervisors ------------------------------------------------------------------


def group_body(change: Change, context: ApplyContext) -> dict[str, Any]:
    """Name, description and, for a group under another, `parentId`. The document types
    `parentId` as a number and shows no null: a root group's body leaves it out (on an update,
    that leaves the parent as it is; the planner never plans clearing it, `uncleared`)."""
    after = _after(change)
    body: dict[str, Any] = {
        "name": after["name"],
        # Damstra requires the field, and takes "" in it: the name stands in only where none is declared.
        "description": after["name"] if after.get("description") is None else after["description"],
    }
    parent = after.get("parent")
    if parent:
        body["parentId"] = int(context.id_of(GROUPS.name, (parent,)))
    return body


def new_groups(org: Organisation) -> NewObjects:
    """The guard of one phase of group creates: one read of the group list, one search per group made."""
    return NewObjects(
        vendor=org.api.http.vendor,
        kind=GROUPS.name,
        listing=lambda: ((str(item["name"]), str(item["id"])) for item in org.api.list_groups()),
        twins=lambda name: [str(item["id"]) for item in org.api.groups_named(str(name))],
    )


def create_group(
    org: Organisation, change: Change, context: ApplyContext, *, guard: NewObjects | None = None
) -> None:
    body = group_body(change, context)
    # Damstra does not keep group names unique, so a repeat would make a second group: after a
    # lost answer, look the group up by its exact name first, and never send a create that may
    # still land again.

    def find() -> str | None:
        found = org.api.find_group(body["name"], key=change.address)
        return None if found is None else str(found["id"])

    group_id = (guard or new_groups(org)).create(
        body["name"],
        lambda: str(org.api.create_group(body, key=change.address)["id"]),
        find,
        what=change.address,
        attempts=org.api.http.attempts,
        take_back=lambda made: org.api.inactivate_group(int(made), key=change.address),
    )
    context.record(GROUPS.name, change.key, group_id)


def update_group(org: Organisation, change: Change, context: ApplyContext) -> None:
    org.api.update_group(int(change.ids["id"]), group_body(change, context), key=change.address)


def inactivate_group(org: Organisation, change: Change, context: ApplyContext) -> None:
    try:
        org.api.inactivate_group(int(change.ids["id"]), key=change.address)
    except ProviderError as error:
        if error.status != 404:
            raise
        # The group was read as active: it is inactive now (perhaps by a repeat of this call).
        log.info("%s: already inactive (a retried call may have inactivated it)", change.address)


def change_relations(org: Organisation, changes: Sequence[Change], context: ApplyContext) -> None:
    """One call adds (or removes) every member, or supervisor, of one group."""
    first = changes[0]
    group_id = int(context.id_of(GROUPS.name, (first.key[0],)))
    user_ids = [
        int(change.ids["user"]) if "user" in change.ids else int(context.id_of(USERS.name, (change.key[1],)))
        for change in changes
    ]
    action = _RELATION_ACTIONS[(first.kind, first.action)]
    label = f"{first.kind}[{first.key[0]!r}] ({len(changes)} user(s))"
    org.api.change_group_users(group_id, action, user_ids, kind=first.kind, key=label)


# --- enrollments (lesson schedules) ------------------------------------------------------------------


def schedule(org: Organisation, batch: Sequence[Change], context: ApplyContext) -> None:
    """Schedule one user for several lessons in one call; after a 409 (a schedule that already
    exists, perhaps from a retried call), schedule only what is still missing, until nothing is
    (each round must find more of them held, so this ends)."""
    first = batch[0]
    after = _after(first)
    user_id = int(context.id_of(USERS.name, (first.key[2],)))
    versions = {
        change.key[1]: int(context.id_of(LESSONS.name, (change.key[1],), "version")) for change in batch
    }
    body: dict[str, Any] = {
        "gracePeriod": str(after.get("grace_period") or org.settings.grace_period),
        "gracePeriodUnit": after.get("grace_period_unit") or org.settings.grace_period_unit,
    }
    if after.get("starts_at"):
        body["scheduleDate"] = _f1(str(after["starts_at"]))
    label = f"enrollments of {first.key[2]!r}"
    pending = versions
    while pending:
        try:
            org.api.schedule(user_id, {**body, "lessonVersionIds": sorted(pending.values())}, key=label)
            return
        except ProviderError as error:
            if error.status != 409:
                raise
            held = {
                str(item.get("lessonName"))
                for item in org.api.list_schedules(user_id)
                if item.get("status") in ENROLLED_STATUSES
            }
            missing = {name: version for name, version in pending.items() if name not in held}
            if len(missing) == len(pending):
                raise  # refused, yet none of them is held: nothing to narrow down
            pending = missing


# --- instructor-led sessions ---------------------------------------------------------------------------

# What `PATCH /ilt_session/{id}` takes besides the two fields it always needs (damstra.md Sessions).
_PATCHED = frozenset({"instructor", "location", "notes", "capacity"})
# Who hears of a cancelled session (damstra.md I17): everyone, as when a person cancels it.
_CANCEL_NOTICES = {
    "iltSessionCancellationTraineeNotificationEnabled": True,
    "iltSessionCancellationInstructorNotificationEnabled": True,
}


def _session_identity(lesson_id: Any, starts_at: Any, ends_at: Any) -> tuple[str, str, str]:
    return (str(lesson_id), _utc(str(starts_at)), _utc(str(ends_at)))


def _live_sessions(org: Organisation) -> list[tuple[tuple[str, str, str], str]]:
    """(lesson id, start, end) and id of every session that is not cancelled."""
    return [
        (_session_identity(item.get("lessonId"), item["startDatetime"], item["endDatetime"]), str(item["id"]))
        for item in org.api.list_sessions()
        if item.get("statusId") != SESSION_CANCELLED
    ]


def _sessions_at(org: Organisation, identity: Any) -> list[str]:
    return [found for key, found in _live_sessions(org) if key == identity]


def new_sessions(org: Organisation) -> NewObjects:
    """The guard of one phase of session creates: Damstra keeps no key for sessions, so one read of the
    list finds those made since the plan, and another those made at the same moment."""
    return NewObjects(
        vendor=org.api.http.vendor,
        kind=SESSIONS.name,
        listing=partial(_live_sessions, org),
        twins=partial(_sessions_at, org),
    )


def create_session(
    org: Organisation, change: Change, context: ApplyContext, *, guard: NewObjects | None = None
) -> None:
    after = _after(change)
    lesson_id = int(context.id_of(LESSONS.name, (str(after["lesson"]),)))
    body: dict[str, Any] = {
        "lessonId": lesson_id,
        "startDatetime": _f4(str(after["starts_at"])),
        "endDatetime": _f4(str(after["ends_at"])),
        "location": after["location"],
        "instructorId": int(context.id_of(USERS.name, (str(after["instructor"]),))),
    }
    if after.get("notes") is not None:
        body["notes"] = after["notes"]
    identity = _session_identity(lesson_id, after["starts_at"], after["ends_at"])
    guard = guard or new_sessions(org)

    def find() -> str | None:
        found = _sessions_at(org, identity)
        return found[0] if len(found) == 1 else None

    session_id = guard.create(
        identity,
        lambda: str(org.api.create_session(body, key=change.address)["id"]),
        find,
        what=change.address,
        attempts=org.api.http.attempts,
        # This apply's own copy: nobody is registered for it yet, so nobody is told.
        take_back=lambda made: org.api.cancel_session(int(made), _quiet_cancel(), key=change.address),
    )
    context.record(SESSIONS.name, change.key, session_id)
    if after.get("capacity") is not None:  # the create takes no capacity (damstra.md Sessions)
        org.api.update_session(int(session_id), _patch_body(change, context), key=change.address)
    _register(org, int(session_id), change, context, after.get("attendees") or [])


def update_session(org: Organisation, change: Change, context: ApplyContext) -> None:
    session_id = int(change.ids["id"])
    if _PATCHED & set(change.changed):
        org.api.update_session(session_id, _patch_body(change, context), key=change.address)
    if "attendees" in change.changed:
        before = set((change.before or {}).get("attendees") or [])
        after = set(_after(change).get("attendees") or [])
        gone = sorted(before - after)
        if gone:
            user_ids = [int(change.ids[f"{ATTENDEE}{name}"]) for name in gone]
            org.api.change_attendees(session_id, "bulk_deregister", user_ids, key=change.address)
        _register(org, session_id, change, context, sorted(after - before))


def cancel_session(org: Organisation, change: Change, context: ApplyContext) -> None:
    org.api.cancel_session(int(change.ids["id"]), _CANCEL_NOTICES, key=change.address)


def _register(
    org: Organisation, session_id: int, change: Change, context: ApplyContext, users: Sequence[str]
) -> None:
    """Register every new attendee of one session in one call."""
    if users:
        user_ids = [int(context.id_of(USERS.name, (name,))) for name in users]
        org.api.change_attendees(session_id, "bulk_register", user_ids, key=change.address)


def _patch_body(change: Change, context: ApplyContext) -> dict[str, Any]:
    """The PATCH body: `instructorId` and `location` always (Damstra requires them), the rest as
    declared or live."""
    after = _after(change)
    instructor = str(after["instructor"])
    same_instructor = "instructor" not in change.changed and "instructor" in change.ids
    body: dict[str, Any] = {
        "instructorId": int(
            change.ids["instructor"] if same_instructor else context.id_of(USERS.name, (instructor,))
        ),
        "location": after["location"],
    }
    if after.get("notes") is not None:
        body["notes"] = after["notes"]
    if after.get("capacity") is not None:
        body["numberOfPlaces"] = after["capacity"]
    return body


def _quiet_cancel() -> dict[str, bool]:
    return dict.fromkeys(_CANCEL_NOTICES, False)


def _utc(instant: str) -> str:
    return (
        datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    )


def _f4(instant: str) -> str:
    """Damstra's session date format (F4): `2018-05-19T01:00:06.000+0800`, sent in UTC."""
    return _utc(instant) + ".000+0000"


def _f1(instant: str) -> str:
    """Damstra's request date format: `2015-10-29T15:28:59+0000`."""
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _user_name(change: Change) -> str:
    return str(_after(change)["username"]).casefold()


def _mergeable(change: Change) -> bool:
    """An update a merge on user name does as `POST /user/{id}` would: fields besides the status
    change, and the user keeps its user name (Damstra matches user names ignoring case). A user
    adopted under a new user name is not found by it, so it is updated by id."""
    live_name = str((change.before or {}).get("username", "")).casefold()
    return bool(set(change.changed) - {"active"}) and live_name == _user_name(change)


def _move_order(
    moves: Sequence[Change], parents: Mapping[str, str | None], updates: Sequence[Change]
) -> list[Change]:
    """The moves in an order in which none makes a group its own ancestor, given the live tree
    (`parents`, by live name) and the renames among `updates`. What cannot be ordered so comes last,
    for Damstra to refuse (the planner refuses a tree that ends in a cycle before any call)."""
    renamed = {
        str(change.before.get("name")): change.key[0]
        for change in updates
        if change.before is not None and change.before.get("name") not in (None, change.key[0])
    }
    tree: dict[str, str | None] = {
        renamed.get(name, name): (renamed.get(parent, parent) if parent is not None else None)
        for name, parent in parents.items()
    }
    pending = {change.key[0]: change for change in moves}
    order: list[Change] = []
    while pending:
        ready = next(
            (name for name in sorted(pending) if not _under(_after(pending[name]).get("parent"), name, tree)),
            None,
        )
        if ready is None:
            return order + [pending[name] for name in sorted(pending)]
        change = pending.pop(ready)
        tree[ready] = _after(change).get("parent")
        order.append(change)
    return order


def _under(group: str | None, ancestor: str, tree: Mapping[str, str | None]) -> bool:
    """Whether `group` is `ancestor` or sits below it in `tree`."""
    seen: set[str] = set()
    while group is not None and group not in seen:
        if group == ancestor:
            return True
        seen.add(group)
        group = tree.get(group)
    return False


def _depths(changes: Sequence[Change]) -> dict[str, int]:
    """Group name → how many of its ancestors are created in the same phase (0: its parent exists
    already, or it has none). A cycle stops where it closes; its first create then fails for want
    of a parent id."""
    parents = {change.key[0]: (change.after or {}).get("parent") for change in changes}
    depths: dict[str, int] = {}

    def depth(name: str, trail: frozenset[str]) -> int:
        if name not in depths:
            parent = parents[name]
            depths[name] = (
                depth(parent, trail | {name}) + 1 if parent in parents and parent not in trail else 0
            )
        return depths[name]

    for name in parents:
        depth(name, frozenset())
    return depths


def _one(batched: Callable[[Organisation, Sequence[Change], ApplyContext], None]) -> Operation[Organisation]:
    """A call that takes several changes, made for one (`work` batches these whenever it can)."""
    return lambda org, change, context: batched(org, (change,), context)


OPERATIONS: Mapping[tuple[str, Action], Operation[Organisation]] = {
    (USERS.name, Action.CREATE): create_user,
    (USERS.name, Action.UPDATE): update_user,
    (USERS.name, Action.DEACTIVATE): deactivate_user,
    (GROUPS.name, Action.CREATE): create_group,
    (GROUPS.name, Action.UPDATE): update_group,
    (GROUPS.name, Action.DELETE): inactivate_group,
    (MEMBERSHIPS.name, Action.CREATE): _one(change_relations),
    (MEMBERSHIPS.name, Action.DELETE): _one(change_relations),
    (GROUP_SUPERVISORS.name, Action.CREATE): _one(change_relations),
    (GROUP_SUPERVISORS.name, Action.DELETE): _one(change_relations),
    (ENROLLMENTS.name, Action.CREATE): _one(schedule),
    (SESSIONS.name, Action.CREATE): create_session,
    (SESSIONS.name, Action.UPDATE): update_session,
    (SESSIONS.name, Action.DELETE): cancel_session,
}
