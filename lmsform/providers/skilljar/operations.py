"""Planned changes → Skilljar API calls, one function per kind and action.

No create is sent twice blindly. Where Skilljar makes a POST idempotent (domain users by e-mail,
enrollments by user and `enrolled_at`), the HTTP layer re-sends it after a lost answer. Every other
create goes through `create_once`: after a lost answer it looks the object up by its key, with the
fewest requests the API allows, and carries on with what is there. Skilljar keeps group names
unique and one publication per course, but allows courses of one title and webhooks of one URL and
event: those are never sent again while they may still land, and each phase of them is guarded
against another apply (`NewObjects`).

Many new users go in bulk calls, which Skilljar carries out later: `work` groups them, and
`bulk_create_users` waits until they all show in the domain's user list.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from lmsform.batches import chunks
from lmsform.errors import ProviderError
from lmsform.kinds import (
    ALL_EVENTS,
    COURSES,
    ENROLLMENT_TARGET_KINDS,
    ENROLLMENTS,
    GROUPS,
    MEMBERSHIPS,
    PATHS,
    PUBLICATIONS,
    SUPERVISORS,
    USERS,
    WEBHOOKS,
)
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext, Operation, Work
from lmsform.providers.safe_writes import NewObjects, answer_lost, create_once
from lmsform.providers.skilljar import group_operations, path_operations
from lmsform.providers.skilljar.client import BULK_CREATE_LIMIT, SkilljarClient
from lmsform.providers.skilljar.domain_operations import DOMAIN_OPERATIONS
from lmsform.providers.skilljar.ilt_operations import ILT_OPERATIONS
from lmsform.providers.skilljar.publication_rules import TagIds, prerequisite_waves, write_rules
from lmsform.providers.skilljar.reader import (
    OWNER_LABEL,
    PUBLICATION_SETTINGS,
    access_code_of,
    signup_values,
)
from lmsform.providers.skilljar.settings import SkilljarSettings
from lmsform.specs import canonical_instant, secret_of_map

log = logging.getLogger("lmsform.writes")

NAME_FIELDS = ("first_name", "last_name")
# What a domain user's PATCH takes (skilljar.md Users); sign-up field values have their own endpoint.
MEMBERSHIP_FIELDS = ("active", "expires_at", "access_code")
# lmsform's course fields → Skilljar's.
COURSE_FIELDS = {
    "title": "title",
    "short_description": "short_description",
    "long_description": "long_description_html",
    "sequential_navigation": "enforce_sequential_navigation",
}
WEBHOOK_FIELDS = {"url": "target_url", "active": "active", "basic_auth_username": "basic_auth_username"}

# Below this many new users, single creates (which return ids) beat a bulk call plus re-reads.
BULK_THRESHOLD = 10
_FIRST_POLL_SECONDS = 0.2
_LONGEST_POLL_SECONDS = 5.0


def _create_unique(
    client: SkilljarClient,
    change: Change,
    send: Callable[[], Mapping[str, Any]],
    find: Callable[[], str | None],
) -> str:
    """The id of an object whose key Skilljar keeps unique, made by `send`; after a lost answer it is
    looked for (`find`) before the create is sent again."""
    return create_once(
        lambda: str(send()["id"]),
        find,
        what=change.address,
        vendor_unique=True,
        attempts=client.http.attempts,
    )


def _after(change: Change) -> Mapping[str, Any]:
    assert change.after is not None, f"{change.action} of {change.address} has no target state"
    return change.after


# --- users -------------------------------------------------------------------------------------------


class DomainLookups:
    """The domain's sign-up field ids by label and access-code ids by code, each read when a change
    first needs it and then shared by the phase's changes (skilljar.md Attributes and D52)."""

    def __init__(self, client: SkilljarClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._fields: dict[str, str] | None = None
        self._codes: dict[str, str] | None = None

    def signup_field_ids(self, labels: Sequence[str], *, key: str) -> dict[str, str]:
        with self._lock:
            if self._fields is None:  # `GET …/signup-fields`: one request per page of 100
                self._fields = {
                    str(item["label"]): str(item["id"]) for item in self._client.list_signup_fields()
                }
            known = self._fields
        return {label: self._known(known, label, "sign-up field", key) for label in labels}

    def access_code_id(self, code: str, *, key: str) -> str:
        with self._lock:
            if self._codes is None:  # no filter by code: every pool, then each pool's codes
                self._codes = {
                    str(item["code"]): str(item["id"])
                    for pool in list(self._client.list_access_code_pools())
                    for item in self._client.list_access_codes(str(pool["id"]))
                }
            known = self._codes
        return self._known(known, code, "access code", key)

    def _known(self, known: Mapping[str, str], name: str, what: str, key: str) -> str:
        if name not in known:
            raise ProviderError(
                vendor=self._client.http.vendor,
                message=f"domain {self._client.domain!r} has no {what} {name!r}",
                kind=USERS.name,
                key=key,
            )
        return known[name]


def _membership_body(change: Change, names: Sequence[str], lookups: DomainLookups) -> dict[str, Any]:
    """The domain-user PATCH for these fields of the change's target state."""
    after = _after(change)
    body: dict[str, Any] = {name: after[name] for name in ("active", "expires_at") if name in names}
    if "access_code" in names:
        code = after["access_code"]
        # Skilljar takes the code's id, or null to take the code away.
        body["access_code"] = (
            None if code is None else {"id": lookups.access_code_id(code, key=change.address)}
        )
    return body


def _write_membership(
    client: SkilljarClient,
    change: Change,
    user_id: str,
    membership: Sequence[str],
    attributes: Mapping[str, str],
    lookups: DomainLookups,
) -> None:
    """One PATCH of the domain user and one bulk write of sign-up field values, each only when needed."""
    if membership:
        client.update_domain_user(user_id, _membership_body(change, membership, lookups), key=change.address)
    if attributes:
        ids = lookups.signup_field_ids(sorted(attributes), key=change.address)
        client.set_signup_fields(
            user_id, {ids[label]: value for label, value in attributes.items()}, key=change.address
        )


def _changed_attributes(declared: Mapping[str, str] | None, live: Mapping[str, str]) -> dict[str, str]:
    """The declared values the user lacks; other labels are left as they are (additive)."""
    return {label: value for label, value in (declared or {}).items() if live.get(label) != value}


def _live_instant(value: Any) -> str | None:
    return None if value in (None, "") else canonical_instant(str(value))


def create_user(
    client: SkilljarClient, change: Change, context: ApplyContext, *, lookups: DomainLookups | None = None
) -> None:
    after = _after(change)
    identity = {"email": after["email"], **{name: after[name] for name in NAME_FIELDS if name in after}}
    created = client.create_domain_user(
        identity,
        active=bool(after.get("active", True)),
        expires_at=after.get("expires_at"),
        key=change.address,
    )
    user_id = str(created["user"]["id"])
    context.record(USERS.name, change.key, user_id)
    settle_user(client, change, user_id, created, lookups or DomainLookups(client))


def settle_user(
    client: SkilljarClient, change: Change, user_id: str, live: Mapping[str, Any], lookups: DomainLookups
) -> None:
    """Skilljar keeps a known e-mail's names and membership as they were, and takes an access code
    and sign-up field values only after the create: set what differs."""
    after = _after(change)
    user = live["user"]
    names = {
        name: after[name] for name in NAME_FIELDS if name in after and (user.get(name) or "") != after[name]
    }
    if names:
        client.update_user(user_id, names, key=change.address)
    now = {
        "active": bool(live.get("active", True)),
        "expires_at": _live_instant(live.get("expires_at")),
        "access_code": access_code_of(live),
    }
    membership = [name for name in MEMBERSHIP_FIELDS if name in after and now[name] != after[name]]
    attributes = _changed_attributes(after.get("attributes"), signup_values(live))
    _write_membership(client, change, user_id, membership, attributes, lookups)


def update_user(
    client: SkilljarClient, change: Change, context: ApplyContext, *, lookups: DomainLookups | None = None
) -> None:
    after = _after(change)
    user_id = change.ids["id"]
    names = {name: after[name] for name in NAME_FIELDS if name in change.changed}
    if names:
        client.update_user(user_id, names, key=change.address)
    membership = [name for name in MEMBERSHIP_FIELDS if name in change.changed]
    attributes: dict[str, str] = {}
    if "attributes" in change.changed:
        before = (change.before or {}).get("attributes") or {}
        attributes = _changed_attributes(after.get("attributes"), before)
    _write_membership(client, change, user_id, membership, attributes, lookups or DomainLookups(client))


def deactivate_user(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.update_domain_user(change.ids["id"], {"active": False}, key=change.address)


# --- groups and memberships ----------------------------------------------------------------------------


def delete_group(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.delete_group(change.ids["id"], key=change.address)


def add_member(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    group_key, user_key = change.key
    group_id = context.id_of(GROUPS.name, (group_key,))
    user_id = context.id_of(USERS.name, (user_key,))
    try:
        # After a lost answer, `GET /v1/groups/{g}/users/{u}` (one request) says whether the add was made.
        create_once(
            lambda: client.add_group_user(group_id, user_id, key=change.address),
            lambda: client.get_group_user(group_id, user_id, key=change.address),
            what=change.address,
            vendor_unique=True,
            attempts=client.http.attempts,
        )
    except ProviderError as error:
        # Skilljar refuses a second add with 400: an add whose answer was lost and that landed only
        # after the look-up, or a concurrent add. Either way the member is there.
        if error.status == 400 and client.group_user_exists(group_id, user_id, key=change.address):
            return
        raise


def remove_member(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.remove_group_user(change.ids["group"], change.ids["user"], key=change.address)


# --- courses and publications ----------------------------------------------------------------------------


def _course_body(after: Mapping[str, Any], names: set[str] | None = None) -> dict[str, Any]:
    body = {COURSE_FIELDS[name]: after[name] for name in COURSE_FIELDS if name in after}
    if names is not None:
        body = {COURSE_FIELDS[name]: after[name] for name in COURSE_FIELDS if name in names}
    return body


def _owned_labels(labels: Any) -> list[str]:
    return sorted({*(labels or []), OWNER_LABEL})


def new_courses(client: SkilljarClient) -> NewObjects:
    """The guard of one phase of course creates: one read of the course list (pages of 100), and one
    read of lmsform's courses per course made (a course another apply made carries lmsform's label)."""

    def twins(title: object) -> list[str]:
        return [
            str(item["id"]) for item in client.list_courses(label=OWNER_LABEL) if item.get("title") == title
        ]

    return NewObjects(
        vendor=client.http.vendor,
        kind=COURSES.name,
        listing=lambda: ((item.get("title"), str(item["id"])) for item in client.list_courses()),
        twins=twins,
    )


def create_course(
    client: SkilljarClient, change: Change, context: ApplyContext, *, guard: NewObjects | None = None
) -> None:
    after = _after(change)
    body = _course_body(after)
    # Skilljar requires these two; lmsform fills them when the manifest leaves them out.
    body.setdefault("short_description", after["title"])
    body.setdefault("enforce_sequential_navigation", False)
    body["labels"] = _owned_labels(after.get("labels"))

    def find() -> str | None:
        # Titles are not unique, but the plan creates only a title no live course had; a course with
        # it and lmsform's label is the one the lost create made (the newest, should there be more).
        # `GET /v1/courses?label__name=lmsform`: one request per page of lmsform's courses.
        made = [item for item in client.list_courses(label=OWNER_LABEL) if item.get("title") == body["title"]]
        newest = max(made, key=lambda item: str(item.get("created_at") or ""), default=None)
        return None if newest is None else str(newest["id"])

    course_id = (guard or new_courses(client)).create(
        body["title"],
        lambda: str(client.create_course(body, key=change.address)["id"]),
        find,
        what=change.address,
        attempts=client.http.attempts,
        take_back=partial(client.delete_course, key=change.address),
    )
    context.record(COURSES.name, change.key, course_id)


def update_course(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    body = _course_body(after, set(change.changed))
    if "labels" in change.changed or change.adopt:
        # Writing labels replaces the set: keep lmsform's label, which marks the course as managed.
        body["labels"] = _owned_labels(after.get("labels"))
    client.update_course(change.ids["id"], body, key=change.address)


def delete_course(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.delete_course(change.ids["id"], key=change.address)


def publish_course(
    client: SkilljarClient, change: Change, context: ApplyContext, *, tags: TagIds | None = None
) -> None:
    after = _after(change)
    course_id = context.id_of(COURSES.name, change.key)
    body = {
        "course": {"id": course_id},
        **{name: after[name] for name in PUBLICATION_SETTINGS if name in after},
    }

    def find() -> str | None:  # one publication per course and domain: `?course__id=`, one request
        for item in client.list_publications(course_id=course_id):
            if str(item["course"]["id"]) == course_id:
                return str(item["id"])
        return None

    publication_id = _create_unique(
        client, change, lambda: client.publish_course(body, key=change.address), find
    )
    context.record(PUBLICATIONS.name, change.key, publication_id)
    write_rules(client, change, context, publication_id, tags or TagIds(client))


def update_publication(
    client: SkilljarClient, change: Change, context: ApplyContext, *, tags: TagIds | None = None
) -> None:
    after = _after(change)
    body = {name: after[name] for name in change.changed if name in PUBLICATION_SETTINGS}
    if body:
        client.update_publication(change.ids["id"], body, key=change.address)
    write_rules(client, change, context, change.ids["id"], tags or TagIds(client))


def unpublish_course(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.unpublish_course(change.ids["id"], key=change.address)


# --- enrollments -------------------------------------------------------------------------------------------


def enroll(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    target_type, target, user = change.key
    after = _after(change)
    target_id = context.id_of(ENROLLMENT_TARGET_KINDS[target_type], (target,))
    # An explicit enrolled_at, the same on every retry within this apply, makes Skilljar's create
    # idempotent on (user, enrolled_at): the client lets the HTTP layer re-send it. It is the time of
    # the plan this apply made (a saved plan's own time is the file's claim, and is not used); a
    # resumed apply plans again, so what an earlier one enrolled is read back and not sent at all.
    body: dict[str, Any] = {
        "user": {"id": context.id_of(USERS.name, (user,))},
        "enrolled_at": context.planned_at,
        "active": bool(after.get("active", True)),
    }
    if after.get("expires_at") is not None:
        body["expires_at"] = after["expires_at"]
    client.enroll(target_type, target_id, body, key=change.address)


def update_enrollment(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    body: dict[str, Any] = {name: after[name] for name in ("active", "expires_at") if name in change.changed}
    client.update_enrollment(change.key[0], change.ids["target"], change.ids["id"], body, key=change.address)


def deactivate_enrollment(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    """Skilljar has no delete: every active enrollment of the learner in that course is deactivated."""
    for enrollment_id in filter(None, change.ids.get("active_ids", "").split(",")):
        client.update_enrollment(
            change.key[0], change.ids["target"], enrollment_id, {"active": False}, key=change.address
        )


# --- supervisors (student-manager access) -----------------------------------------------------------------


def _path_definition_id(client: SkilljarClient, context: ApplyContext, slug: str) -> str:
    """The Path's own id, which grants name; a path this apply made is looked up by its published id
    (one read of the path list: the apply knows only the published path's id)."""
    try:
        return context.id_of(PATHS.name, (slug,), "path")
    except LookupError:
        published_path_id = context.id_of(PATHS.name, (slug,))
    for item in client.list_paths():
        if str(item["id"]) == published_path_id:
            return str(item["path"]["id"])
    raise LookupError(f"learning path {slug!r} was not found after it was made")


def reassert_supervisor(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = _after(change)
    user_id = context.id_of(USERS.name, change.key)
    if after.get("revoke"):
        client.revoke_manager_access(user_id, key=change.address)
        return
    grant = {
        "group_name": after["group"],
        "course_access_level": after["course_access"],
        "path_access_level": after["path_access"],
        "can_create_users": bool(after.get("can_create_users", False)),
        "course_ids": [context.id_of(COURSES.name, (title,)) for title in after.get("courses") or []],
        "path_ids": [_path_definition_id(client, context, slug) for slug in after.get("paths") or []],
    }
    answer = client.grant_manager_access(user_id, grant, key=change.address)
    invalid = {name: ids for name, ids in (answer.get("invalid_ids") or {}).items() if ids}
    if invalid:
        raise ProviderError(
            vendor=client.http.vendor,
            message=f"Skilljar did not accept these ids: {invalid}",
            kind=SUPERVISORS.name,
            key=change.address,
        )


# --- webhooks ----------------------------------------------------------------------------------------------


def _webhook_body(change: Change, context: ApplyContext, names: set[str]) -> dict[str, Any]:
    after = _after(change)
    body = {WEBHOOK_FIELDS[name]: after[name] for name in WEBHOOK_FIELDS if name in names and name in after}
    password = context.secret(WEBHOOKS.name, change.key, "basic_auth_password")
    if password is not None:
        body["basic_auth_password"] = password
    if after.get("additional_headers") is not None:
        # The whole map, values from the environment, on create and every update like the password:
        # PATCH replaces the stored map (skilljar.md D41).
        body["additional_headers"] = _header_values(change, context, after["additional_headers"])
    return body


def _header_values(change: Change, context: ApplyContext, names: Iterable[str]) -> dict[str, str]:
    values = {}
    for name in names:
        value = context.secret(WEBHOOKS.name, change.key, secret_of_map("additional_headers", name))
        if value is None:
            raise LookupError(f"the value of header {name!r} of {change.address} is not known")
        values[name] = value
    return values


def _webhook_ids(client: SkilljarClient) -> list[tuple[tuple[object, object], str]]:
    """Every webhook's (url, event) and id. There is no filter: `GET /v1/webhooks`, one request per
    page of 100."""
    return [
        ((item.get("target_url"), item.get("event_type")), str(item["id"])) for item in client.list_webhooks()
    ]


def new_webhooks(client: SkilljarClient) -> NewObjects:
    """The guard of one phase of webhook creates: one read of the webhook list, and one per webhook made."""
    return NewObjects(
        vendor=client.http.vendor,
        kind=WEBHOOKS.name,
        listing=lambda: _webhook_ids(client),
        twins=lambda key: [found for made, found in _webhook_ids(client) if made == key],
    )


def create_webhook(
    client: SkilljarClient, change: Change, context: ApplyContext, *, guard: NewObjects | None = None
) -> None:
    after = _after(change)
    body = _webhook_body(change, context, set(after))
    body["event_type"] = None if after["event"] == ALL_EVENTS else after["event"]
    key = (body["target_url"], body["event_type"])

    def find() -> str | None:
        # Skilljar allows duplicate webhooks, but the plan creates only a (url, event) no live webhook had.
        return next((found for made, found in _webhook_ids(client) if made == key), None)

    webhook_id = (guard or new_webhooks(client)).create(
        key,
        lambda: str(client.create_webhook(body, key=change.address)["id"]),
        find,
        what=change.address,
        attempts=client.http.attempts,
        take_back=partial(client.delete_webhook, key=change.address),
    )
    context.record(WEBHOOKS.name, change.key, webhook_id)


def update_webhook(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.update_webhook(
        change.ids["id"], _webhook_body(change, context, set(change.changed)), key=change.address
    )


def delete_webhook(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.delete_webhook(change.ids["id"], key=change.address)


# --- work: bulk calls, and guards per phase ------------------------------------------------------------


def work(
    client: SkilljarClient, settings: SkilljarSettings, kind: str, action: Action, changes: Sequence[Change]
) -> list[Work] | None:
    """The units of work of a phase where they are not one call per change (None: they are)."""
    if kind == GROUPS.name:
        return group_operations.work(client, action, changes)
    if kind == USERS.name and action is Action.CREATE and len(changes) >= BULK_THRESHOLD:
        lookups = DomainLookups(client)
        return [
            Work(chunk, partial(bulk_create_users, client, settings, chunk, lookups=lookups))
            for chunk in chunks(changes, BULK_CREATE_LIMIT)
        ]
    if kind == USERS.name and action in (Action.CREATE, Action.UPDATE) and _looks_up(changes):
        # One read of the domain's sign-up fields and access codes for the whole phase.
        write = create_user if action is Action.CREATE else update_user
        shared = DomainLookups(client)
        return [Work((change,), partial(write, client, change, lookups=shared)) for change in changes]
    if kind == PUBLICATIONS.name and action in (Action.CREATE, Action.UPDATE):
        return publication_work(client, action, changes)
    if action is Action.CREATE and kind in (COURSES.name, WEBHOOKS.name):
        # Skilljar keeps no unique key for these: one guard per phase against another apply.
        create, guard = (
            (create_course, new_courses(client))
            if kind == COURSES.name
            else (create_webhook, new_webhooks(client))
        )
        return [Work((change,), partial(create, client, change, guard=guard)) for change in changes]
    return None


def publication_work(client: SkilljarClient, action: Action, changes: Sequence[Change]) -> list[Work]:
    """One tag lookup for the phase; a new publication after the phase's new ones it names as
    prerequisites (skilljar.md D71)."""
    tags = TagIds(client)
    write = publish_course if action is Action.CREATE else update_publication
    waves = prerequisite_waves(changes) if action is Action.CREATE else {}
    return [
        Work((change,), partial(write, client, change, tags=tags), wave=waves.get(change.key, 0))
        for change in changes
    ]


def _looks_up(changes: Sequence[Change]) -> bool:
    """Whether any change sets an access code or sign-up field values (which are written by id)."""
    return any(
        (change.after or {}).get("access_code") is not None or (change.after or {}).get("attributes")
        for change in changes
    )


def bulk_create_users(
    client: SkilljarClient,
    settings: SkilljarSettings,
    chunk: Sequence[Change],
    context: ApplyContext,
    *,
    lookups: DomainLookups | None = None,
) -> None:
    """One bulk call; Skilljar creates the users later, so wait until they all show in the list.

    A bulk row takes names, `active` and `expires_at` but no access code or sign-up field values:
    those are set once the user shows, one PATCH and one bulk value write per user that declares
    them (skilljar.md Attributes), fewer requests than single creates and the same follow-ups.
    """
    lookups = lookups or DomainLookups(client)
    label = f"users (bulk of {len(chunk)})"
    rows = []
    for planned in chunk:
        after = planned.after or {}
        row = {"email": after["email"], "active": bool(after.get("active", True))}
        row.update({name: after[name] for name in NAME_FIELDS if name in after})
        if after.get("expires_at") is not None:
            row["expires_at"] = after["expires_at"]
        rows.append(row)
    waiting = {change.key[0]: change for change in chunk}
    try:
        client.bulk_create_domain_users(rows, key=label)
    except ProviderError as error:
        if not answer_lost(error):
            raise
        _finish_lost_bulk(client, settings, label, waiting, context, lookups)
        return
    deadline = time.monotonic() + settings.bulk_timeout
    pause = _FIRST_POLL_SECONDS
    while True:
        _take_listed(client, waiting, context, lookups)
        if not waiting:
            return
        if time.monotonic() + pause > deadline:
            missing = ", ".join(sorted(waiting)[:5])
            raise ProviderError(
                vendor=client.http.vendor,
                message=f"{len(waiting)} bulk-created user(s) did not appear within "
                f"{settings.bulk_timeout:g} s (first: {missing}); run plan again to see them",
                kind=USERS.name,
                key=label,
            )
        time.sleep(pause)
        pause = min(pause * 2, _LONGEST_POLL_SECONDS)


def _take_listed(
    client: SkilljarClient, waiting: dict[str, Change], context: ApplyContext, lookups: DomainLookups
) -> None:
    """Record (and settle) the waiting users the domain's user list shows, and stop waiting for them."""
    with_values = any((change.after or {}).get("attributes") for change in waiting.values())
    for item in client.list_domain_users(signup_fields=with_values):
        created = waiting.pop(str(item["user"]["email"]).lower(), None)
        if created is not None:
            user_id = str(item["user"]["id"])
            context.record(USERS.name, created.key, user_id)
            settle_user(client, created, user_id, item, lookups)


def _finish_lost_bulk(
    client: SkilljarClient,
    settings: SkilljarSettings,
    label: str,
    waiting: dict[str, Change],
    context: ApplyContext,
    lookups: DomainLookups,
) -> None:
    """The bulk call's answer was lost: it may have been queued, or not.

    It is not sent again: what Skilljar's bulk create does with a known e-mail is not documented,
    and a job that was queued may still be running. The users the list shows already are taken
    as they are; the rest get the single create, which Skilljar keys by e-mail (a known one
    returns the existing user), so it is safe whether or not the lost job lands, before or after.
    Those run `parallelism` at a time, as the apply's own calls do; after a failure none starts.
    """
    before = len(waiting)
    _take_listed(client, waiting, context, lookups)
    log.info(
        "%s: the answer was lost; %d user(s) are there, %d are created one by one",
        label,
        before - len(waiting),
        len(waiting),
    )
    failed = threading.Event()

    def create(change: Change) -> None:
        if failed.is_set():
            return
        try:
            create_user(client, change, context, lookups=lookups)
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(settings.parallelism, thread_name_prefix="lmsform-bulk") as pool:
        done = [pool.submit(create, change) for change in waiting.values()]
    for future in done:
        future.result()  # the first failure, if any


OPERATIONS: Mapping[tuple[str, Action], Operation[SkilljarClient]] = {
    (USERS.name, Action.CREATE): create_user,
    (USERS.name, Action.UPDATE): update_user,
    (USERS.name, Action.DEACTIVATE): deactivate_user,
    (GROUPS.name, Action.CREATE): group_operations.create_group,
    (GROUPS.name, Action.UPDATE): group_operations.update_group,
    (GROUPS.name, Action.DELETE): delete_group,
    (MEMBERSHIPS.name, Action.CREATE): add_member,
    (MEMBERSHIPS.name, Action.DELETE): remove_member,
    (COURSES.name, Action.CREATE): create_course,
    (COURSES.name, Action.UPDATE): update_course,
    (COURSES.name, Action.DELETE): delete_course,
    (PUBLICATIONS.name, Action.CREATE): publish_course,
    (PUBLICATIONS.name, Action.UPDATE): update_publication,
    (PUBLICATIONS.name, Action.DELETE): unpublish_course,
    (PATHS.name, Action.CREATE): path_operations.create_path,
    (PATHS.name, Action.UPDATE): path_operations.update_path,
    (PATHS.name, Action.DELETE): path_operations.delete_path,
    (ENROLLMENTS.name, Action.CREATE): enroll,
    (ENROLLMENTS.name, Action.UPDATE): update_enrollment,
    (ENROLLMENTS.name, Action.DEACTIVATE): deactivate_enrollment,
    (SUPERVISORS.name, Action.REASSERT): reassert_supervisor,
    (WEBHOOKS.name, Action.CREATE): create_webhook,
    (WEBHOOKS.name, Action.UPDATE): update_webhook,
    (WEBHOOKS.name, Action.DELETE): delete_webhook,
    **DOMAIN_OPERATIONS,
    **ILT_OPERATIONS,
}
