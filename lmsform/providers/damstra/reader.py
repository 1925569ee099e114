"""Read a Damstra Learning organisation into a State; all normalisation of what Damstra returns is here.

One paged list of users (every status) carries their roles, their groups and the groups they
supervise, so memberships and supervision cost no extra request. Lessons are read when the
manifests name any; lesson schedules, one request per user, only for the users whose enrollments
matter, concurrently within the provider's parallelism. Instructor-led sessions, only when the
manifests declare any or manage them authoritatively: one paged list, then one attendee list per
declared session found (damstra.md Floor).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any

from lmsform.kinds import ENROLLMENTS, GROUP_SUPERVISORS, GROUPS, LESSONS, MEMBERSHIPS, SESSIONS, USERS, Key
from lmsform.project_config import ManageConfig
from lmsform.providers.base import Reading
from lmsform.providers.damstra.client import DamstraClient
from lmsform.providers.vendor_answers import malformed_items
from lmsform.specs import canonical_instant
from lmsform.state import Resource, State

ROLE_IDS: Mapping[str, int] = {"admin": 3, "editor": 4, "supervisor": 5, "trainee": 6, "instructor": 8}
ROLE_NAMES: Mapping[int, str] = {number: name for name, number in ROLE_IDS.items()}
OWNER_ROLE = 7
ACTIVE_STATUS = 56
# Schedules that count as "enrolled": open ones, and completed ones (the learner took it).
ENROLLED_STATUSES = frozenset({"scheduled", "due", "overdue", "completed"})
# Session `statusId`s (damstra.md Sessions): a cancelled session is gone for good, a completed one is history.
SESSION_COMPLETED = 2
SESSION_CANCELLED = 3
# A live session's `ids` entry for each attendee's user id: `attendee:<user key>`.
ATTENDEE = "attendee:"


def read_state(
    client: DamstraClient, desired: State, manage: ManageConfig, *, parallelism: int, everything: bool = False
) -> State:
    with malformed_items(client.http.vendor):
        return _Reader(client, desired, manage, parallelism, everything).read()


class _Reader(Reading[DamstraClient]):
    def read(self) -> State:
        users = list(self.client.list_users())
        groups = self._read_groups()
        names = {resource.ids["id"]: resource.key[0] for resource in groups}
        for item in users:
            user = _user(item)
            self.live.add(user)
            for kind, field in ((MEMBERSHIPS, "groups"), (GROUP_SUPERVISORS, "groupsSupervised")):
                for group in item.get(field) or []:
                    group_name = names.get(str(group["id"]))
                    if group_name is not None:  # inactive groups are gone; Damstra may still list them
                        self.live.add(_relation(kind.name, group_name, user))
        self._read_learning()
        return self.live

    def _read_learning(self) -> None:
        """Lessons, when anything names them; then schedules and sessions, each only when it matters."""
        enrollments = bool(
            self.everything or self.desired.scopes.get(ENROLLMENTS.name) or self.desired.of(ENROLLMENTS.name)
        )
        sessions = self._sessions_matter()
        if not (enrollments or sessions):
            return
        lessons_by_id = self._read_lessons()
        if enrollments:
            self._read_schedules(lessons_by_id)
        if sessions:
            users = {user.ids["id"]: user.key[0] for user in self.live.of(USERS.name).values()}
            self._read_sessions(lessons_by_id, users)

    def _read_groups(self) -> list[Resource]:
        items = list(self.client.list_groups())
        by_id = {str(item["id"]): item for item in items}
        seen: dict[str, list[str]] = defaultdict(list)
        resources = []
        for item in items:
            name = str(item["name"])
            seen[name].append(str(item["id"]))
            key: Key = (name,) if len(seen[name]) == 1 else (name, str(item["id"]))
            parent = by_id.get(str(item.get("parentId")))
            fields = {
                "name": name,
                "description": item.get("description") or "",
                "parent": str(parent["name"]) if parent is not None else None,
            }
            resource = Resource(GROUPS.name, key, fields, ids={"id": str(item["id"])})
            self.live.add(resource)
            resources.append(resource)
        for name, ids in seen.items():
            if len(ids) > 1:  # Damstra does not keep group names unique
                self.live.ambiguous[(GROUPS.name, (name,))] = ids
        return resources

    def _read_schedules(self, lessons_by_id: Mapping[str, str]) -> None:
        learners = self._learners_to_read()
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            schedules = list(
                pool.map(lambda user: list(self.client.list_schedules(int(user.ids["id"]))), learners)
            )
        for user, items in zip(learners, schedules, strict=True):
            for resource in _enrollments(user, items, lessons_by_id):
                self.live.add(resource)

    def _read_lessons(self) -> dict[str, str]:
        """Lesson id → name, of every lesson. Only active lessons can be scheduled: they are the
        resources; a name that only lessons in other states have is unusable, with the reason."""
        lessons_by_id: dict[str, str] = {}
        not_schedulable: dict[str, str] = {}  # name → status of its first lesson that is not active
        for item in self.client.list_lessons():
            name = str(item["name"])
            lessons_by_id[str(item["lessonId"])] = name
            if item.get("status") == "active":
                self._add_lesson(name, item)
            else:
                not_schedulable.setdefault(name, str(item.get("status")))
        for name, status in not_schedulable.items():
            if self.live.get(LESSONS.name, (name,)) is None:
                self.live.unusable[(LESSONS.name, (name,))] = _why_not_schedulable(status)
        return lessons_by_id

    def _add_lesson(self, name: str, item: Mapping[str, Any]) -> None:
        fields = {"name": name, "status": item["status"]}
        ids = {"id": str(item["lessonId"]), "version": str(item["lessonVersionId"])}
        earlier = self.live.get(LESSONS.name, (name,))
        if earlier is not None:  # lesson names are not unique on Damstra
            self.live.ambiguous.setdefault((LESSONS.name, (name,)), [earlier.ids["id"]]).append(ids["id"])
            return
        self.live.add(Resource(LESSONS.name, (name,), fields, ids=ids))

    def _sessions_matter(self) -> bool:
        """Sessions are read when the manifests declare any, or may cancel those they do not declare."""
        return bool(
            self.everything
            or self.desired.of(SESSIONS.name)
            or self.manage.mode(SESSIONS.name) == "authoritative"
        )

    def _read_sessions(self, lessons: Mapping[str, str], users: Mapping[str, str]) -> None:
        """One list of every session, then the attendees of each session the manifests declare (of
        every one, for an export): one request per such session."""
        declared = self.desired.of(SESSIONS.name)
        wanted: list[Resource] = []
        for item in self.client.list_sessions():
            session = _session(item, lessons, users)
            if session is None:
                continue
            if session.key in self.live.of(SESSIONS.name):  # Damstra lets sessions share all of it
                first = self.live.of(SESSIONS.name)[session.key]
                self.live.ambiguous.setdefault((SESSIONS.name, session.key), [first.ids["id"]]).append(
                    session.ids["id"]
                )
                continue
            if item.get("statusId") == SESSION_COMPLETED and session.key not in declared:
                session = replace(session, protected=COMPLETED_NOTE)
            self.live.add(session)
            if self.everything or session.key in declared:
                wanted.append(session)
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            attendees = list(
                pool.map(lambda session: list(self.client.list_attendees(int(session.ids["id"]))), wanted)
            )
        for session, items in zip(wanted, attendees, strict=True):
            # Each attendee's user id rides along: deregistering one the manifests dropped needs it.
            by_name = {
                users.get(str(item["userId"]), str(item["userId"])): str(item["userId"]) for item in items
            }
            ids = {**session.ids, **{f"{ATTENDEE}{name}": user_id for name, user_id in by_name.items()}}
            self.live.add(replace(session, fields={**session.fields, "attendees": sorted(by_name)}, ids=ids))

    def _learners_to_read(self) -> list[Resource]:
        """Whose schedules matter: every user's when enrollments are authoritative (or exported),
        else only those of the users the manifests enroll (schedules of others cannot change)."""
        users = self.live.of(USERS.name)
        if self.everything or self.manage.mode(ENROLLMENTS.name) == "authoritative":
            return list(users.values())
        named = {key[2] for key in self.desired.of(ENROLLMENTS.name)}
        named.update(_members_of_expanded_groups(self.desired, self.live))
        return [users[(name,)] for name in sorted(named) if (name,) in users]


# Lessons in these states cannot be scheduled (the document's lesson statuses), and the API cannot
# change a lesson: what to do is done in the web app. The advice per state is ours.
_NOT_SCHEDULABLE = {
    "inactive": "is inactive, and an inactive lesson cannot be scheduled: activate it in Damstra's web "
    "app (its API cannot change lessons)",
    "never": "has never been published, and an unpublished lesson cannot be scheduled: publish it in "
    "Damstra's web app (its API cannot change lessons)",
    "rendering": "is still rendering, and cannot be scheduled until it has rendered: plan again later",
    "error": "failed to render, and cannot be scheduled: publish it again in Damstra's web app",
}


def _why_not_schedulable(status: str) -> str:
    return _NOT_SCHEDULABLE.get(status, f"its status is {status!r}, and only active lessons can be scheduled")


def _members_of_expanded_groups(desired: State, live: State) -> set[str]:
    groups = {expansion.group for expansion in desired.expansions}
    members = {key[1] for key in desired.of(MEMBERSHIPS.name) if key[0] in groups}
    members.update(key[1] for key in live.of(MEMBERSHIPS.name) if key[0] in groups)
    return members


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _user(item: Mapping[str, Any]) -> Resource:
    roles = [int(role) for role in item.get("roles") or []]
    fields = {
        "username": item["userName"],
        "email": item["emailAddress"],
        "first_name": _text(item.get("firstName")),
        "last_name": _text(item.get("lastName")),
        "phone": _text(item.get("phoneNumber")),
        "mobile": _text(item.get("mobileNumber")),
        "employee_number": _text(item.get("employeeNumber")),
        "time_zone": _text(item.get("timeZone")),
        "roles": sorted(ROLE_NAMES[role] for role in roles if role in ROLE_NAMES),
        "active": item.get("clientStatusId") == ACTIVE_STATUS,
        "owner": OWNER_ROLE in roles,
    }
    return Resource(USERS.name, USERS.key_of(fields), fields, ids={"id": str(item["id"])})


def _relation(kind_name: str, group_name: str, user: Resource) -> Resource:
    fields = {"group": group_name, "user": user.fields["username"]}
    return Resource(kind_name, (group_name, user.key[0]), fields, ids={"user": user.ids["id"]})


def _enrollments(
    user: Resource, items: Iterable[Mapping[str, Any]], lessons: Mapping[str, str]
) -> list[Resource]:
    """One resource per lesson the user is enrolled in: Damstra may hold several schedules for it."""
    held: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for item in items:
        if item.get("status") in ENROLLED_STATUSES:
            name = lessons.get(str(item["lessonId"]), item.get("lessonName"))
            if name:
                held[str(name)].append(item)
    resources = []
    for name, schedules in held.items():
        fields = {"type": "lesson", "target": name, "user": user.fields["username"], "active": True}
        ids = {"id": str(max(int(item["id"]) for item in schedules)), "user": user.ids["id"]}
        resources.append(Resource(ENROLLMENTS.name, ENROLLMENTS.key_of(fields), fields, ids=ids))
    return resources


COMPLETED_NOTE = "it is completed, and Damstra cannot cancel a completed session"


def _instant(value: Any) -> str:
    """A session's F4 date (`2018-05-19T01:00:06.000+0800`, damstra.md Dates) in its one UTC spelling."""
    return canonical_instant(datetime.fromisoformat(str(value)))


def _session(
    item: Mapping[str, Any], lessons: Mapping[str, str], users: Mapping[str, str]
) -> Resource | None:
    """A live session, keyed by its lesson's name, start and end; None for a cancelled one (gone for
    good) and for one without a lesson (the API allows it, damstra.md I1), which nothing can name."""
    lesson = lessons.get(str(item.get("lessonId")))
    if item.get("statusId") == SESSION_CANCELLED or lesson is None:
        return None
    instructor = item.get("instructorId")
    fields = {
        "lesson": lesson,
        "starts_at": _instant(item["startDatetime"]),
        "ends_at": _instant(item["endDatetime"]),
        "instructor": None if instructor is None else users.get(str(instructor), str(instructor)),
        "location": _text(item.get("location")),
        "notes": _text(item.get("notes")),
        "capacity": item.get("numberOfPlaces"),
    }
    ids = {"id": str(item["id"])}
    if instructor is not None:
        ids["instructor"] = str(instructor)
    return Resource(SESSIONS.name, SESSIONS.key_of(fields), fields, ids=ids)
