"""Instructors and instructor-led sessions → Skilljar API calls (skilljar.md D79 to D83).

An instructor is created once and never changed or removed: its e-mail is its key, and no answer
holds the id its update and delete take. A session is created once (Skilljar allows two alike, so a
lost answer is followed by a look in the session list, never by a second POST) and changed by one
PUT of every field; it is never removed (the API cannot delete or cancel one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lmsform.kinds import INSTRUCTORS, LESSONS, SESSIONS
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext, Operation
from lmsform.providers.safe_writes import create_once
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.specs import canonical_instant

# lmsform's session fields → Skilljar's (IltSessionRequest), besides the lesson.
SESSION_FIELDS = {
    "starts_at": "starts_at",
    "ends_at": "ends_at",
    "display_name": "display_name",
    "timezone": "timezone",
    "instructor": "instructor_email",
    "location": "location",
    "notes": "description",
    "capacity": "seats_total",
}
# What an omitted optional field is in a PUT, which replaces every field (skilljar.md D82).
_CLEARED: Mapping[str, Any] = {"location": "", "description": "", "seats_total": None}


def session_fields(item: Mapping[str, Any], lesson: str) -> dict[str, Any]:
    """A session as the session list shows it, in lmsform's fields; `lesson` is its lesson's key part."""
    return {
        "lesson": lesson,
        "starts_at": canonical_instant(str(item["starts_at"])),
        "ends_at": canonical_instant(str(item["ends_at"])),
        "display_name": item.get("display_name"),
        "timezone": item.get("timezone"),
        "instructor": str(item.get("instructor_email") or "").lower() or None,
        "location": item.get("location") or None,
        "notes": item.get("description") or None,
        "capacity": item.get("seats_total"),
    }


def _session_body(change: Change, context: ApplyContext) -> dict[str, Any]:
    """Every field of the session: the declared ones over the live ones (a PUT replaces them all)."""
    wanted = {**(change.before or {}), **(change.after or {})}
    body: dict[str, Any] = dict(_CLEARED)
    for name, sent_as in SESSION_FIELDS.items():
        if wanted.get(name) is not None:
            body[sent_as] = wanted[name]
    body["lesson"] = context.id_of(LESSONS.name, (change.key[0],))
    return body


def create_instructor(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    email = change.key[0]

    def find() -> str | None:
        found = next(iter(client.list_instructors(email)), None)
        return None if found is None else email

    # Skilljar keeps one instructor per e-mail (skilljar.md D81): a repeat after an empty look is safe.
    create_once(
        lambda: str(client.create_instructor(email, key=change.address)["email"]).lower(),
        find,
        what=change.address,
        vendor_unique=True,
        attempts=client.http.attempts,
    )
    context.record(INSTRUCTORS.name, change.key, email)


def create_session(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    body = _session_body(change, context)

    def find() -> str | None:
        # The plan creates only a session no live one had the key of (lesson, start, end).
        wanted = (body["lesson"], change.key[1], change.key[2])
        for item in client.list_sessions():
            found = (
                item.get("lesson"),
                canonical_instant(item["starts_at"]),
                canonical_instant(item["ends_at"]),
            )
            if found == wanted:
                return str(item["id"])
        return None

    session_id = create_once(
        lambda: str(client.create_session(body, key=change.address)["id"]),
        find,
        what=change.address,
        vendor_unique=False,
        attempts=client.http.attempts,
    )
    context.record(SESSIONS.name, change.key, session_id)


def replace_session(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    client.replace_session(change.ids["id"], _session_body(change, context), key=change.address)


ILT_OPERATIONS: Mapping[tuple[str, Action], Operation[SkilljarClient]] = {
    (INSTRUCTORS.name, Action.CREATE): create_instructor,
    (SESSIONS.name, Action.CREATE): create_session,
    (SESSIONS.name, Action.UPDATE): replace_session,
}
