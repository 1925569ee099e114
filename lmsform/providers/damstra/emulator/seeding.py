"""Put a starting state into the store in one go: the `/_emulator/seed` hook, callable in-process.

The document (every section optional; names refer to objects seeded earlier in the same document or
already in the store):

    {"users":     [{<POST /user fields>, "active": true}],
     "groups":    [{"name", "description": "", "parent": <group name>, "members": [<userName>],
                    "supervisors": [<userName>], "active": true}],
     "lessons":   [{"name", "status": "active", "duration": 60000, "inLibrary": false,
                    "questionnaireType": 18, "chapterCount": 1, "questionCount": 0, "passRate": 80,
                    "versions": [{"version": <1, 2, …>, "published": <status is active/inactive>,
                                  "customFields": [{"fieldId", "value", "description": "",
                                                    "type": "string"}]}]}],
     "schedules": [{"userName", "lesson": <lesson name>, "version": <current>,
                    "startDate": <completedDate or now>,
                    "gracePeriod": 14, "gracePeriodUnit": "days", "completedDate": null,
                    "completedBy": <owner's userName>, "cancelled": false}]}

Users follow the create rules (400/403/409 as the API would answer) but never get a welcome e-mail; a
`userName` already in the store is reused as it is (so the owner can be named as a member). Groups
and lessons are reused by name; schedules are always new and skip the API's checks (any lesson status
or version, overlapping open schedules) so that history can be set up. Everything is written in one
transaction: on an error (an `ApiError`, 400 for a malformed document) nothing is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lmsform.providers.damstra.emulator.errors import bad_request
from lmsform.providers.damstra.emulator.group_store import GroupRecord, Relation
from lmsform.providers.damstra.emulator.lesson_store import LESSON_STATUSES, LessonRecord, VersionRecord
from lmsform.providers.damstra.emulator.requests_in import Body
from lmsform.providers.damstra.emulator.schedule_rules import MANUAL_COMPLETION
from lmsform.providers.damstra.emulator.schedule_store import ScheduleRecord
from lmsform.providers.damstra.emulator.schedule_writes import (
    GRACE_UNITS,
    add_schedule,
    complete_schedule,
    due_date,
)
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.damstra.emulator.user_store import INACTIVE_STATUS, UserRecord
from lmsform.providers.damstra.emulator.user_writes import create_user, read_user_input
from lmsform.providers.emulation.sqlite import read_back

SECTIONS = ("users", "groups", "lessons", "schedules")
PUBLISHED_BY_DEFAULT = ("active", "inactive")
_GROUP_RELATIONS: tuple[tuple[str, Relation], ...] = (
    ("members", "memberships"),
    ("supervisors", "supervisions"),
)


def seed(store: DamstraStore, document: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and insert `document` in one transaction; answers the ids made or reused."""
    if not isinstance(document, Mapping):
        raise bad_request("A seed document is a JSON object")
    sections = {name: _section(document, name) for name in SECTIONS}
    with store.transaction():
        users = [
            _seed_user(store, Body(item, where=f"users[{i}].")) for i, item in enumerate(sections["users"])
        ]
        groups = [
            _seed_group(store, Body(item, where=f"groups[{i}].")) for i, item in enumerate(sections["groups"])
        ]
        lessons = [
            _seed_lesson(store, Body(item, where=f"lessons[{i}]."))
            for i, item in enumerate(sections["lessons"])
        ]
        schedules = [
            _seed_schedule(store, Body(item, where=f"schedules[{i}]."))
            for i, item in enumerate(sections["schedules"])
        ]
    return {
        "users": [{"id": user.id, "userName": user.user_name} for user in users],
        "groups": [{"id": group.id, "name": group.name} for group in groups],
        "lessons": [_lesson_summary(lesson) for lesson in lessons],
        "schedules": [
            {
                "id": item.id,
                "userId": item.user_id,
                "lessonId": item.lesson_id,
                "lessonVersionId": item.lesson_version_id,
            }
            for item in schedules
        ],
    }


def _section(document: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    items = document.get(name, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise bad_request(f"{name} must be an array of objects")
    return items


def _lesson_summary(lesson: LessonRecord) -> dict[str, Any]:
    return {
        "lessonId": lesson.id,
        "name": lesson.name,
        "status": lesson.status,
        "currentVersionId": lesson.current_version.id,
        "versions": [
            {"lessonVersionId": version.id, "version": version.version, "published": version.published}
            for version in lesson.versions
        ],
    }


def _user_named(store: DamstraStore, user_name: str, where: str) -> UserRecord:
    user = store.user_by_user_name(user_name)
    if user is None:
        raise bad_request(f"{where}: no user {user_name!r}")
    return user


def _seed_user(store: DamstraStore, body: Body) -> UserRecord:
    user_name = body.text("userName", blank=False)
    existing = None if user_name is None else store.user_by_user_name(user_name)
    if existing is not None:
        return existing
    given = read_user_input(body)
    user = create_user(store, dataclasses.replace(given, send_welcome_email=False))
    if body.boolean("active") is False:
        user = store.update_user(user.id, {"client_status_id": INACTIVE_STATUS})
    return user


def _seed_group(store: DamstraStore, body: Body) -> GroupRecord:
    name = body.required_text("name", blank=False)
    named = store.groups_named(name)
    group = named[0] if named else _new_group(store, body, name)
    for field, relation in _GROUP_RELATIONS:
        user_names = body.raw(field) or []
        if not isinstance(user_names, list) or not all(isinstance(item, str) for item in user_names):
            raise bad_request(f"{field} must be an array of userNames")
        users = [_user_named(store, user_name, field).id for user_name in user_names]
        store.relate(relation, group.id, users)
    if body.boolean("active") is False:
        store.inactivate_group(group.id)
    return group


def _new_group(store: DamstraStore, body: Body, name: str) -> GroupRecord:
    parent_id = None
    parent_name = body.text("parent", blank=False)
    if parent_name is not None:
        parents = store.groups_named(parent_name)
        if not parents:
            raise bad_request(f"group {name!r}: no active parent group {parent_name!r}")
        parent_id = parents[0].id
    description = body.text("description") or ""
    return store.insert_group(store.next_id("group"), name, description, parent_id, store.now_stored())


def _seed_lesson(store: DamstraStore, body: Body) -> LessonRecord:
    name = body.required_text("name", blank=False)
    existing = store.lesson_named(name)
    if existing is not None:
        return existing
    status = body.text("status") or "active"
    if status not in LESSON_STATUSES:
        raise bad_request(f"lesson {name!r}: status must be one of {', '.join(LESSON_STATUSES)}")
    lesson_id, now = store.next_id("lesson"), store.now_stored()
    store.insert_lesson(
        lesson_id,
        {
            "name": name,
            "status": status,
            "duration": _number(body, "duration", 60000),
            "in_library": bool(body.boolean("inLibrary")),
            "questionnaire_type": _number(body, "questionnaireType", 18),
            "chapter_count": _number(body, "chapterCount", 1),
            "question_count": _number(body, "questionCount", 0),
            "pass_rate": _number(body, "passRate", 80),
            "created_at": now,
        },
    )
    versions = body.raw("versions") or [{}]
    if not isinstance(versions, list) or not all(isinstance(item, dict) for item in versions):
        raise bad_request(f"lesson {name!r}: versions must be an array of objects")
    for index, item in enumerate(versions):
        _seed_version(
            store, lesson_id, Body(item, where=f"lesson {name!r} versions[{index}]."), index + 1, status
        )
    return read_back(store.get_lesson(lesson_id))


def _number(body: Body, name: str, default: int) -> int:
    value = body.integer(name)
    return default if value is None else value


def _seed_version(store: DamstraStore, lesson_id: int, body: Body, default_number: int, status: str) -> None:
    version_id, now = store.next_id("lesson_version"), store.now_stored()
    published = body.boolean("published")
    if published is None:
        published = status in PUBLISHED_BY_DEFAULT
    store.insert_version(version_id, lesson_id, _number(body, "version", default_number), published, now)
    fields = body.raw("customFields") or []
    if not isinstance(fields, list) or not all(isinstance(item, dict) for item in fields):
        raise bad_request("customFields must be an array of objects")
    for item in fields:
        field = Body(item, where="customFields[].")
        field_id = field.required_text("fieldId", blank=False)
        custom_field_id = store.custom_field_id(field_id)
        if custom_field_id is None:
            custom_field_id = store.next_id("custom_field")
            description = field.text("description") or ""
            store.insert_custom_field(custom_field_id, field_id, description, field.text("type") or "string")
        value = field.required_text("value")
        store.insert_custom_field_value(
            store.next_id("custom_field_value"), version_id, custom_field_id, value, now
        )


def _seed_schedule(store: DamstraStore, body: Body) -> ScheduleRecord:
    user = _user_named(store, body.required_text("userName"), "schedules")
    lesson_name = body.required_text("lesson")
    lesson = store.lesson_named(lesson_name)
    if lesson is None:
        raise bad_request(f"schedules: no lesson {lesson_name!r}")
    version = _seeded_version(lesson, body.integer("version"))
    completed_at = body.instant("completedDate")
    start = body.instant("startDate") or completed_at or store.now()
    unit = body.text("gracePeriodUnit") or "days"
    if unit not in GRACE_UNITS:
        raise bad_request("schedules: gracePeriodUnit must be days or months")
    end = due_date(start, _number(body, "gracePeriod", 14), unit)
    schedule = add_schedule(store, user, lesson, version, start, end)
    if completed_at is not None:
        completer_name = body.text("completedBy")
        completer = (
            store.owner() if completer_name is None else _user_named(store, completer_name, "schedules")
        )
        schedule = complete_schedule(store, schedule, completed_at, completer, MANUAL_COMPLETION)
    if body.boolean("cancelled"):
        moment = store.now_stored()
        schedule = store.update_schedule(schedule.id, {"cancelled_at": moment, "modified_at": moment})
    return schedule


def _seeded_version(lesson: LessonRecord, number: int | None) -> VersionRecord:
    if number is None:
        return lesson.current_version
    for version in lesson.versions:
        if version.version == number:
            return version
    raise bad_request(f"schedules: lesson {lesson.name!r} has no version {number}")
