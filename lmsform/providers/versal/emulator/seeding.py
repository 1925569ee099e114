"""Put a starting state into the store in one go: the `/_emulator/seed` hook, callable in-process.

The document (every section and field optional unless marked; e-mails name users seeded earlier in the
same document or already in the store):

    {"orgs":    [{"id": <int, required>, "name": "Org <id>", "api_key": <str, required>}],
     "users":   [{"email": <required>, "firstname", "lastname", "fullname", "longDesc", "shortDesc",
                  "roles": [admin|instructor|learner|member] = [], "org": <org id> = the primary org}],
     "courses": [{"title", "shortDesc", "longDesc", "tags": [], "public": false,
                  "catalogs": ["sandbox"] (add "labs" for a published course), "coverImage": {…},
                  "createdAt": <ISO date or date-time> = now, "lastPublished": = createdAt when published,
                  "org": <org id> = the primary org,
                  "lessons": [{"title": <required>,
                               "gadgets": [{"type": <required>, "config": {}, "private": {},
                                            "userdata": {<email>: <state object>}}]}],
                  "authors" | "contributors" | "publishers" | "learners": [<email>],
                  "tracked": [<email>],
                  "progress": {<email>: {"tracked": true, "startDate", "lastActivity",
                                         "courseCompleted": false, "completeDate",
                                         "currentLesson": <lesson index>}}}]}

`orgs` add further organisations with their own API key (for cross-org tests); the primary org cannot
be seeded (its key comes from `create_app`). Users follow the API's rules (a new e-mail makes a user,
a known one is reused, names untouched) except that a user already in the org is not an error: its
roles are replaced when `roles` is given. The people named in a course must be members of the course's
org. Course roles from the four lists are merged per user in the order author, contributor,
publisher, learner. Everything is written in one transaction: on an error (400 for a malformed
document) nothing is. The answer lists what was made:
`{"orgs": [{id, name}], "users": [{id, email}], "courses": [{id, title, lessons: [{id, title,
gadgets: [{id, type}]}]}]}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lmsform.providers.versal.emulator.course_store import CourseRecord
from lmsform.providers.versal.emulator.dates import now_stored, parse_instant, stored
from lmsform.providers.versal.emulator.errors import bad_request
from lmsform.providers.versal.emulator.learner_store import Progress
from lmsform.providers.versal.emulator.requests_in import Body
from lmsform.providers.versal.emulator.store import VersalStore
from lmsform.providers.versal.emulator.user_rules import ORG_INPUT_ROLES, add_org_user, read_profile
from lmsform.providers.versal.emulator.user_store import UserRecord

SECTIONS = ("orgs", "users", "courses")
COURSE_ROLE_LISTS = (
    ("authors", "author"),
    ("contributors", "contributor"),
    ("publishers", "publisher"),
    ("learners", "learner"),
)
CATALOGS = ("sandbox", "labs")


def seed(store: VersalStore, document: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and insert `document` in one transaction; answers the ids made or reused."""
    if not isinstance(document, Mapping):
        raise bad_request("A seed document is a JSON object")
    sections = {name: _section(document, name) for name in SECTIONS}
    with store.transaction():
        orgs = [_seed_org(store, Body(item, where=f"orgs[{i}].")) for i, item in enumerate(sections["orgs"])]
        users = [
            _seed_user(store, Body(item, where=f"users[{i}].")) for i, item in enumerate(sections["users"])
        ]
        courses = [
            _seed_course(store, Body(item, where=f"courses[{i}]."))
            for i, item in enumerate(sections["courses"])
        ]
    return {
        "orgs": [{"id": org_id, "name": name} for org_id, name in orgs],
        "users": [{"id": str(user.id), "email": user.email} for user in users],
        "courses": courses,
    }


def _section(document: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    items = document.get(name, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise bad_request(f"{name} must be an array of objects")
    return items


def _integer(body: Body, name: str) -> int | None:
    value = body.raw(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad_request(f"{body.label(name)} must be a positive integer")
    return value


def _org_id(store: VersalStore, body: Body) -> int:
    org_id = _integer(body, "org")
    if org_id is None:
        return store.primary_org().id
    if store.org(org_id) is None:
        raise bad_request(f"{body.label('org')}: no org {org_id}")
    return org_id


def _instant(body: Body, name: str) -> str | None:
    text = body.text(name)
    if text is None:
        return None
    try:
        return stored(parse_instant(text))
    except ValueError:
        raise bad_request(f"{body.label(name)} is not an ISO 8601 date or date-time") from None


def _seed_org(store: VersalStore, body: Body) -> tuple[int, str]:
    org_id = _integer(body, "id")
    if org_id is None:
        raise bad_request(f"{body.label('id')} is required")
    if org_id == store.primary_org().id:
        raise bad_request("the primary org is not seeded: its key comes from create_app")
    api_key = body.required_text("api_key")
    if not api_key:
        raise bad_request(f"{body.label('api_key')} must not be empty")
    name = body.text("name") or f"Org {org_id}"
    store.put_seeded_org(org_id, name, api_key)
    return org_id, name


def _seed_user(store: VersalStore, body: Body) -> UserRecord:
    org_id = _org_id(store, body)
    email = body.email("email")
    roles = body.roles("roles", ORG_INPUT_ROLES)
    existing = store.user_by_email(email)
    if existing is not None and store.is_member(org_id, existing.id):
        if roles is not None:
            store.set_member_roles(org_id, existing.id, [role for role in roles if role != "member"])
        return existing
    return add_org_user(store, org_id, email, read_profile(body), roles or []).user


def _member(store: VersalStore, course: CourseRecord, email: Any, where: str) -> UserRecord:
    user = store.member_by_email(course.org_id, email) if isinstance(email, str) else None
    if user is None:
        raise bad_request(f"{where}: {email!r} is not a member of org {course.org_id}")
    return user


def _seed_course(store: VersalStore, body: Body) -> dict[str, Any]:
    catalogs = body.strings("catalogs") or ["sandbox"]
    if any(catalog not in CATALOGS for catalog in catalogs):
        raise bad_request(f"{body.label('catalogs')} may hold only sandbox and labs")
    created_at = _instant(body, "createdAt") or now_stored()
    published = "labs" in catalogs
    fields = {
        "title": body.text("title"),
        "short_desc": body.text("shortDesc"),
        "long_desc": body.text("longDesc"),
        "tags": body.strings("tags") or [],
        "public": bool(body.boolean("public")),
        "catalogs": list(dict.fromkeys(catalogs)),
        "cover_image": body.object("coverImage"),
        "created_at": created_at,
        "last_published": (_instant(body, "lastPublished") or created_at) if published else None,
    }
    course = store.insert_course(_org_id(store, body), fields)
    lessons = _seed_lessons(store, course, body)
    _seed_people(store, course, body)
    _seed_progress(store, course, body, [lesson["id"] for lesson in lessons])
    return {"id": str(course.id), "title": course.title, "lessons": lessons}


def _objects(body: Body, name: str) -> list[dict[str, Any]]:
    items = body.raw(name) or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise bad_request(f"{body.label(name)} must be an array of objects")
    return items


def _seed_lessons(store: VersalStore, course: CourseRecord, body: Body) -> list[dict[str, Any]]:
    made = []
    for index, item in enumerate(_objects(body, "lessons")):
        lesson_body = Body(item, where=f"{body.label('lessons')}[{index}].")
        lesson = store.insert_lesson(course.id, index, lesson_body.required_text("title"))
        gadgets = []
        for position, gadget_item in enumerate(_objects(lesson_body, "gadgets")):
            gadget_body = Body(gadget_item, where=f"{lesson_body.label('gadgets')}[{position}].")
            gadget = store.insert_gadget(
                course.id,
                lesson.id,
                position,
                gadget_body.required_text("type"),
                gadget_body.object("config") or {},
                gadget_body.object("private") or {},
            )
            where = gadget_body.label("userdata")
            for email, state in (gadget_body.object("userdata") or {}).items():
                if not isinstance(state, dict):
                    raise bad_request(f"{where}: the state of {email!r} must be an object")
                store.put_gadget_state(course.id, gadget.id, _member(store, course, email, where).id, state)
            gadgets.append({"id": gadget.id, "type": gadget.type})
        made.append({"id": lesson.id, "title": lesson.title, "gadgets": gadgets})
    return made


def _seed_people(store: VersalStore, course: CourseRecord, body: Body) -> None:
    roles: dict[int, list[str]] = {}
    for name, role in COURSE_ROLE_LISTS:
        for email in body.strings(name) or []:
            roles.setdefault(_member(store, course, email, body.label(name)).id, []).append(role)
    for user_id, user_roles in roles.items():
        store.set_course_roles(course.id, user_id, user_roles)
    for email in body.strings("tracked") or []:
        store.set_tracked(course.id, _member(store, course, email, body.label("tracked")).id, True)


def _seed_progress(store: VersalStore, course: CourseRecord, body: Body, lesson_ids: list[str]) -> None:
    where = body.label("progress")
    for email, item in (body.object("progress") or {}).items():
        if not isinstance(item, dict):
            raise bad_request(f"{where}: the progress of {email!r} must be an object")
        user = _member(store, course, email, where)
        entry = Body(item, where=f"{where}.{email}.")
        index = entry.raw("currentLesson")
        if index is not None and (
            not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(lesson_ids)
        ):
            raise bad_request(
                f"{entry.label('currentLesson')} must be the index of one of the course's lessons"
            )
        completed = bool(entry.boolean("courseCompleted"))
        start = _instant(entry, "startDate")
        last = _instant(entry, "lastActivity") or start
        tracked = entry.boolean("tracked")
        progress = Progress(
            tracked=True if tracked is None else tracked,
            start_date=start,
            last_activity=last,
            completed=completed,
            complete_date=(_instant(entry, "completeDate") or last or now_stored()) if completed else None,
            current_lesson_id=None if index is None else lesson_ids[index],
        )
        store.put_progress(course.id, user.id, progress)
