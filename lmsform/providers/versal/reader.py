"""Read a Versal organisation into a State; all normalisation of what Versal returns is here.

Users and their org role come from the member list. Courses cannot be made through the API, so
they are references, keyed by the name the manifests use for them: their exact title, or their id.
Who takes or edits a course is read from two places, neither complete: a course's `users` are the
people with an editing role (author, contributor or publisher, without saying which), and its
`userdata` lists the tracked learners. A `learner` course role cannot be read at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lmsform.errors import Issue, ManifestError
from lmsform.kinds import ENROLLMENTS, ORG_COURSES, USERS, Key
from lmsform.project_config import ManageConfig
from lmsform.providers.base import Reading
from lmsform.providers.paging import reading_ahead
from lmsform.providers.vendor_answers import malformed_items
from lmsform.providers.versal.client import VersalClient
from lmsform.state import Resource, State

ORG_ROLES = ("admin", "instructor", "learner")
NO_ROLE = "member"
EDITING_ROLES = frozenset({"author", "contributor", "publisher"})
COURSE_ROLES = frozenset({"learner", *EDITING_ROLES})
# What Versal shows of a course role: that the user edits or publishes the course, not which.
EDITING = "author, contributor or publisher"
TARGET_TYPE = "org_course"


def read_state(
    client: VersalClient, desired: State, manage: ManageConfig, *, parallelism: int, everything: bool = False
) -> State:
    with malformed_items(client.http.vendor):
        return _Reader(client, desired, manage, parallelism, everything).read()


def org_role(roles: Iterable[str]) -> list[str]:
    """A user's org roles as manifests say them: `member` for none."""
    held = sorted({str(role) for role in roles})
    return held or [NO_ROLE]


class _Reader(Reading[VersalClient]):
    def read(self) -> State:
        emails: dict[str, str] = {}
        for item in self.client.members(spread=reading_ahead(self.parallelism)):
            user = _user(item)
            self.live.add(user)
            emails[user.ids["id"]] = user.key[0]
        courses = list(self.client.courses())
        # A removed user's enrollments in every course go with them: when users may be removed,
        # every course is read and named, so that the plan shows, counts and protects them all.
        named = self._name_courses(courses, every=self._may_remove_users())
        wanted = [course for course in courses if str(course["id"]) in named]
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            tracked = list(pool.map(self._tracked_ids, wanted))
        for course, learners in zip(wanted, tracked, strict=True):
            name = named.get(str(course["id"]))
            if name is not None:
                self._add_enrollments(name, course, learners, emails)
        self._add_unseen(emails)
        return self.live

    def _may_remove_users(self) -> bool:
        return (
            self.everything
            or self.manage.mode(USERS.name) == "authoritative"
            or any(user.previously for user in self.desired.of(USERS.name).values())
        )

    def _tracked_ids(self, course: Mapping[str, Any]) -> set[str]:
        return {str(item["id"]) for item in self.client.tracked_learners(str(course["id"]))}

    # --- courses ------------------------------------------------------------------------------------

    def _name_courses(self, courses: list[dict[str, Any]], *, every: bool) -> dict[str, str]:
        """Each course's key: the name the manifests use for it (title or id), else its title when
        that is unique, else its id. Adds the courses the manifests name (`every`: all of them) to the
        live state; returns id → key."""
        by_title: dict[str, list[str]] = defaultdict(list)
        ids = set()
        for course in courses:
            by_title[str(course.get("title", ""))].append(str(course["id"]))
            ids.add(str(course["id"]))
        names: dict[str, str] = {}
        issues = []
        for name, source in self._course_names().items():
            titled = by_title.get(name, [])
            candidates = titled + ([name] if name in ids and name not in titled else [])
            if len(candidates) > 1:
                self.live.ambiguous[(ORG_COURSES.name, (name,))] = candidates
                continue
            if not candidates:
                continue
            course_id = candidates[0]
            if course_id in names:
                issues.append(
                    Issue(source, f"course {name!r} is also named {names[course_id]!r}: name it one way")
                )
                continue
            names[course_id] = name
        if issues:
            raise ManifestError(issues)
        for course in courses:
            course_id = str(course["id"])
            title = str(course.get("title", ""))
            course_key = names.get(course_id)
            if course_key is None and (every or self.everything):
                unique = len(by_title[title]) == 1 and title not in names.values()
                course_key = names[course_id] = title if unique else course_id
            if course_key is not None:
                fields = {"title": title, "catalogs": sorted(course.get("catalogs") or [])}
                self.live.add(Resource(ORG_COURSES.name, (course_key,), fields, ids={"id": course_id}))
        return names

    def _course_names(self) -> dict[str, Any]:
        """The names manifests give courses (in enrollments), with where one of them is."""
        names: dict[str, Any] = {}
        for key, resource in self.desired.of(ENROLLMENTS.name).items():
            if key[0] == TARGET_TYPE:
                names.setdefault(key[1], resource.source)
        for target_type, name in self.desired.scopes.get(ENROLLMENTS.name, set()):
            if target_type == TARGET_TYPE:
                names.setdefault(name, None)
        return names

    # --- enrollments ----------------------------------------------------------------------------------

    def _add_enrollments(
        self, name: str, course: Mapping[str, Any], tracked: set[str], emails: Mapping[str, str]
    ) -> None:
        editors = {str(user["id"]) for user in course.get("users") or []}
        for user_id in sorted(tracked | editors):
            email = emails.get(user_id)
            if email is None:  # not (or no longer) a member of this organisation
                continue
            fields: dict[str, Any] = {
                "type": TARGET_TYPE,
                "target": name,
                "user": email,
                "tracked": user_id in tracked,
            }
            if user_id in editors:
                fields["role"] = EDITING
            key: Key = (TARGET_TYPE, name, email)
            ids = {"course": str(course["id"]), "user": user_id}
            self.live.add(Resource(ENROLLMENTS.name, key, fields, ids=ids))

    def _add_unseen(self, emails: Mapping[str, str]) -> None:
        """Declared pairs that Versal shows nowhere once made (untracked, no editing role) are live
        as far as anyone can tell: what can be read of them (not tracked, no editing role) is true."""
        members = {email: user_id for user_id, email in emails.items()}
        for key, wanted in self.desired.of(ENROLLMENTS.name).items():
            course = self.live.get(ORG_COURSES.name, (key[1],))
            invisible = (
                wanted.fields.get("tracked") is False and wanted.fields.get("role") not in EDITING_ROLES
            )
            if key[0] != TARGET_TYPE or course is None or key[2] not in members or not invisible:
                continue
            if self.live.get(ENROLLMENTS.name, key) is None:
                ids = {"course": course.ids["id"], "user": members[key[2]]}
                fields = {"type": TARGET_TYPE, "target": key[1], "user": key[2], "tracked": False}
                self.live.add(Resource(ENROLLMENTS.name, key, fields, ids=ids))


def _user(item: Mapping[str, Any]) -> Resource:
    user = item["user"]
    email = str(user["email"])
    fields: dict[str, Any] = {
        "email": email,
        "first_name": user.get("firstname"),
        "last_name": user.get("lastname"),
        "full_name": user.get("fullname"),
        "roles": org_role(item.get("roles") or []),
    }
    return Resource(USERS.name, (email.lower(),), fields, ids={"id": str(user["id"])})
