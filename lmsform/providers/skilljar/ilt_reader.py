"""Reading instructor-led training (skilljar.md D79, D83): only when the manifests declare instructors
or sessions (or for export). The instructor list and the session list, one paged list each, and the
lessons of each course the sessions name (`GET /v1/lessons?course_id=`); export reads every course's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lmsform.kinds import COURSES, INSTRUCTORS, LESSONS, SESSIONS, Key
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.providers.skilljar.ilt_operations import session_fields
from lmsform.specs import LESSON_IN_COURSE_SEPARATOR
from lmsform.state import Resource, State

Listing = Future[list[dict[str, Any]]]


@dataclass(frozen=True)
class IltReads:
    instructors: Listing | None
    sessions: Listing | None
    # Each course read (its title) with its lessons.
    lessons: list[tuple[str, Listing]]


def start_reading(
    pool: ThreadPoolExecutor,
    client: SkilljarClient,
    live: State,
    desired: State,
    titles: Mapping[Key, str],
    *,
    everything: bool,
) -> IltReads:
    """Begin the lists the manifests need, given the live courses' titles after the plan (`titles`:
    sessions name a course by the title a rename gives it)."""
    sessions = desired.of(SESSIONS.name)
    wants_sessions = everything or bool(sessions)
    wants_instructors = wants_sessions or bool(desired.of(INSTRUCTORS.name))
    named = {key[0] for key in sessions}
    courses = [
        (titles.get(key, str(key[0])), course)
        for key, course in live.of(COURSES.name).items()
        if everything
        or any(
            lesson.startswith(titles.get(key, str(key[0])) + LESSON_IN_COURSE_SEPARATOR) for lesson in named
        )
    ]
    return IltReads(
        instructors=pool.submit(_whole, client.list_instructors) if wants_instructors else None,
        sessions=pool.submit(_whole, client.list_sessions) if wants_sessions else None,
        lessons=[
            (title, pool.submit(_whole, client.list_lessons, course.ids["id"])) for title, course in courses
        ],
    )


def _whole(listing: Callable[..., Iterator[dict[str, Any]]], *args: str) -> list[dict[str, Any]]:
    return list(listing(*args))


def finish_reading(live: State, reads: IltReads) -> None:
    """Add the lessons, instructors and sessions read; a session of a lesson not read (in a course the
    manifests do not name, or of a multi-session event) is out of the manifests' reach."""
    lesson_keys: dict[str, str] = {}
    ids_by_key: dict[str, list[str]] = defaultdict(list)
    for course_title, listing in reads.lessons:
        for item in listing.result():
            key = f"{course_title}{LESSON_IN_COURSE_SEPARATOR}{item['title']}"
            ids_by_key[key].append(str(item["id"]))
            lesson_keys[str(item["id"])] = key
            if len(ids_by_key[key]) == 1:
                fields = {"name": key, "course": course_title, "lesson": str(item["title"])}
                live.add(Resource(LESSONS.name, (key,), fields, ids={"id": str(item["id"])}))
    for key, ids in ids_by_key.items():
        if len(ids) > 1:
            live.ambiguous[(LESSONS.name, (key,))] = ids
    if reads.instructors is not None:
        for item in reads.instructors.result():
            email = str(item["email"]).lower()
            live.add(Resource(INSTRUCTORS.name, (email,), {"email": email}))
    if reads.sessions is not None:
        for item in reads.sessions.result():
            lesson = lesson_keys.get(str(item.get("lesson")))
            if lesson is None:
                continue
            fields = session_fields(item, lesson)
            live.add(Resource(SESSIONS.name, SESSIONS.key_of(fields), fields, ids={"id": str(item["id"])}))
