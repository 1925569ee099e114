"""The kinds of resources lmsform manages and their identity rules.

A kind says how an object is identified (its key), which other objects its key refers to (a
membership names a group and a user), and which part of the key puts it in the manifests' scope
for authoritative removal. The per-kind entry models live in `specs`; the project's settings in
`project_config`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lmsform.characters import REFUSED, shown_escaped
from lmsform.specs import (
    CourseSpec,
    DeclarationModel,
    DomainSpec,
    EnrollmentSpec,
    GroupSpec,
    InstructorSpec,
    PathSpec,
    SessionSpec,
    SupervisorSpec,
    UserSpec,
    WebhookSpec,
    canonical_instant,
)

Key = tuple[str, ...]
# (position in the key, kind of the object named there)
KeyRef = tuple[int, str]


def _no_refs(key: Key) -> tuple[KeyRef, ...]:
    return ()


def _no_field_refs(fields: Mapping[str, Any]) -> tuple[tuple[str, Key], ...]:
    return ()


@dataclass(frozen=True)
class Kind:
    """Identity and dependency rules of one kind of resource."""

    name: str
    singular: str
    spec: type[DeclarationModel] | None
    key_fields: tuple[str, ...]
    normalise_key: Callable[[Mapping[str, Any]], Key]
    # Which parts of a key name other objects: a membership's key names a group and a user.
    key_refs: Callable[[Key], tuple[KeyRef, ...]] = _no_refs
    # Objects named by field values (a supervisor's courses), which need ids at apply time.
    field_refs: Callable[[Mapping[str, Any]], tuple[tuple[str, Key], ...]] = _no_field_refs
    # Authoritative removal only touches objects whose key starts with a scope the manifests govern
    # (memberships of declared groups; enrollments in the courses, paths and plans they name).
    scope_length: int | None = None
    # Reference kinds are only read (plans, lessons): the manifests name them, never declare them.
    reference_only: bool = False
    # Whether `manage:` sets how undeclared objects of this kind are treated (additive or
    # authoritative). Publications have no setting of their own: `published:` on a course says it.
    managed_mode: bool = True
    # What to do when a referenced object of this kind does not exist, or several have its key.
    missing_hint: str = ""
    ambiguous_hint: str = "rename all but one there to refer to it"
    # The fields an object's key is made of, when that depends on the object (a user's key is its
    # user name where the vendor has one, else its e-mail); None: `key_fields`.
    key_source: Callable[[Mapping[str, Any]], tuple[str, ...]] | None = None
    # One object per provider that always exists (the domain's settings): a manifest declares it as a
    # mapping, not a list, and it is only ever updated, never created or removed.
    singleton: bool = False

    def key_of(self, fields: Mapping[str, Any]) -> Key:
        return self.normalise_key(fields)

    def key_fields_of(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return self.key_source(fields) if self.key_source is not None else self.key_fields

    def refs_of(self, key: Key) -> list[tuple[str, Key]]:
        return [(target, (key[position],)) for position, target in self.key_refs(key)]

    def scope_of(self, key: Key) -> Key | None:
        return None if self.scope_length is None else key[: self.scope_length]


def address(kind: str, key: Key) -> str:
    """A resource's address as people see it: users["jane@acme.com"], memberships["eng", "jane@acme.com"]."""
    return f"{kind}[{', '.join(map(_quoted, key))}]"


# What JSON escapes in a string when it may keep non-ASCII characters as they are, and the characters
# an address shows as escapes too (`shown_escaped`).
_JSON_ESCAPED = re.compile(rf'[\x00-\x1f"\\]|{REFUSED.pattern}')


def _quoted(part: str) -> str:
    """`json.dumps(part, ensure_ascii=False)`, with the characters a manifest may not show as escapes,
    without the encoder's setup for the usual plain string."""
    if type(part) is str and _JSON_ESCAPED.search(part) is None:
        return f'"{part}"'
    return shown_escaped(json.dumps(part, ensure_ascii=False))


def parse_address(text: str) -> tuple[str, Key]:
    """The kind and key an address names: the inverse of `address`."""
    kind_name, _, rest = text.partition("[")
    return kind_name, tuple(str(part) for part in json.loads(f"[{rest.removesuffix(']')}]"))


ENROLLMENT_TARGET_KINDS = {
    "course": "publications",
    "org_course": "org_courses",
    "lesson": "lessons",
    "package": "courses",
    "path": "paths",
    "plan": "plans",
}
ALL_EVENTS = "*"


def _enrollment_refs(key: Key) -> tuple[KeyRef, ...]:
    return ((1, ENROLLMENT_TARGET_KINDS[key[0]]), (2, "users"))


def _supervisor_field_refs(fields: Mapping[str, Any]) -> tuple[tuple[str, Key], ...]:
    courses = tuple(("courses", (title,)) for title in fields.get("courses") or ())
    paths = tuple(("paths", (slug,)) for slug in fields.get("paths") or ())
    return courses + paths


# The catalogue rules of a publication (`published:`) that name groups.
PUBLICATION_GROUP_RULES = ("prerequisite_groups", "visible_to", "hidden_from")


def _publication_field_refs(fields: Mapping[str, Any]) -> tuple[tuple[str, Key], ...]:
    """A publication's prerequisites are other publications; its group rules name groups."""
    courses = tuple(("publications", (str(title),)) for title in fields.get("prerequisites") or ())
    groups = tuple(
        ("groups", (str(name),)) for rule in PUBLICATION_GROUP_RULES for name in fields.get(rule) or ()
    )
    return courses + groups


def _user_key_source(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """A user's key is its user name, else its e-mail, else (a person only named) its directory id."""
    for name in ("username", "email", "api_id"):
        if fields.get(name):
            return (name,)
    return ("email",)


USERS = Kind(
    name="users",
    singular="user",
    spec=UserSpec,
    key_fields=("email",),
    key_source=_user_key_source,
    normalise_key=lambda fields: (str(fields[_user_key_source(fields)[0]]).lower(),),
)
GROUPS = Kind(
    name="groups",
    singular="group",
    spec=GroupSpec,
    key_fields=("name",),
    normalise_key=lambda fields: (str(fields["name"]),),
    field_refs=lambda fields: (("groups", (str(fields["parent"]),)),) if fields.get("parent") else (),
)
MEMBERSHIPS = Kind(
    name="memberships",
    singular="membership",
    spec=None,
    key_fields=("group", "user"),
    normalise_key=lambda fields: (str(fields["group"]), str(fields["user"]).lower()),
    key_refs=lambda key: ((0, "groups"), (1, "users")),
    scope_length=1,
)
GROUP_SUPERVISORS = Kind(
    name="group_supervisors",
    singular="group supervisor",
    spec=None,
    key_fields=("group", "user"),
    normalise_key=lambda fields: (str(fields["group"]), str(fields["user"]).lower()),
    key_refs=lambda key: ((0, "groups"), (1, "users")),
    scope_length=1,
)
COURSES = Kind(
    name="courses",
    singular="course",
    spec=CourseSpec,
    key_fields=("title",),
    normalise_key=lambda fields: (str(fields["title"]),),
)
PUBLICATIONS = Kind(
    name="publications",
    singular="publication",
    spec=None,
    key_fields=("course",),
    normalise_key=lambda fields: (str(fields["course"]),),
    key_refs=lambda key: ((0, "courses"),),
    field_refs=_publication_field_refs,
    missing_hint="publish the course with `published: true`",
    managed_mode=False,
)
LESSONS = Kind(
    name="lessons",
    singular="lesson",
    spec=None,
    key_fields=("name",),
    normalise_key=lambda fields: (str(fields["name"]),),
    reference_only=True,
    missing_hint="a lesson must exist and be active; lessons are made in the vendor's web app",
)
ORG_COURSES = Kind(
    name="org_courses",
    singular="course",
    spec=None,
    key_fields=("title",),
    normalise_key=lambda fields: (str(fields["title"]),),
    reference_only=True,
    missing_hint="the vendor's API cannot create courses: make it in the vendor's authoring tool, "
    "or name an existing course by its exact title or its id",
    ambiguous_hint="name the one you mean by its id",
)
# A path holds published courses: it is made after them, and names each by its course's title; its
# visibility overrides name groups (made before it too).
PATH_GROUP_RULES = ("visible_to", "hidden_from")


def _path_field_refs(fields: Mapping[str, Any]) -> tuple[tuple[str, Key], ...]:
    courses = tuple(("publications", (str(title),)) for title in fields.get("courses") or ())
    groups = tuple(("groups", (str(name),)) for rule in PATH_GROUP_RULES for name in fields.get(rule) or ())
    return courses + groups


PATHS = Kind(
    name="paths",
    singular="learning path",
    spec=PathSpec,
    key_fields=("slug",),
    normalise_key=lambda fields: (str(fields["slug"]),),
    field_refs=_path_field_refs,
    missing_hint="declare it under `paths:`, or name an existing path by its slug",
)
PLANS = Kind(
    name="plans",
    singular="plan",
    spec=None,
    key_fields=("name",),
    normalise_key=lambda fields: (str(fields["name"]),),
    reference_only=True,
)
ENROLLMENTS = Kind(
    name="enrollments",
    singular="enrollment",
    spec=EnrollmentSpec,
    key_fields=("type", "target", "user"),
    normalise_key=lambda fields: (str(fields["type"]), str(fields["target"]), str(fields["user"]).lower()),
    key_refs=_enrollment_refs,
    scope_length=2,
)
SUPERVISORS = Kind(
    name="supervisors",
    singular="supervisor",
    spec=SupervisorSpec,
    key_fields=("user",),
    normalise_key=lambda fields: (str(fields["user"]).lower(),),
    key_refs=lambda key: ((0, "users"),),
    field_refs=_supervisor_field_refs,
)


def _session_key(fields: Mapping[str, Any]) -> Key:
    lesson, starts_at, ends_at = fields["lesson"], fields["starts_at"], fields["ends_at"]
    return (str(lesson), canonical_instant(starts_at), canonical_instant(ends_at))


def _session_field_refs(fields: Mapping[str, Any]) -> tuple[tuple[str, Key], ...]:
    instructor = (("users", (str(fields["instructor"]),)),) if fields.get("instructor") else ()
    return instructor + tuple(("users", (str(user),)) for user in fields.get("attendees") or ())


# Someone who teaches sessions, where the vendor keeps instructors apart from its users (Skilljar).
INSTRUCTORS = Kind(
    name="instructors",
    singular="instructor",
    spec=InstructorSpec,
    key_fields=("email",),
    normalise_key=lambda fields: (str(fields["email"]).lower(),),
    missing_hint="declare it under `instructors:`",
)


# An instructor-led session has no name at the vendors that keep them (Damstra): it is known by what
# cannot change once it is made, its lesson, start and end. Moving it makes another session.
SESSIONS = Kind(
    name="sessions",
    singular="session",
    spec=SessionSpec,
    key_fields=("lesson", "starts_at", "ends_at"),
    normalise_key=_session_key,
    key_refs=lambda key: ((0, "lessons"),),
    field_refs=_session_field_refs,
)
WEBHOOKS = Kind(
    name="webhooks",
    singular="webhook",
    spec=WebhookSpec,
    key_fields=("url", "event"),
    normalise_key=lambda fields: (str(fields["url"]), str(fields["event"])),
)
# The domain's settings: one object, which the vendor makes with the domain. Its key is fixed, since
# the provider's settings already say which domain it is.
DOMAIN_SETTINGS_KEY: Key = ("settings",)
DOMAIN = Kind(
    name="domain",
    singular="domain",
    spec=DomainSpec,
    key_fields=(),
    normalise_key=lambda fields: DOMAIN_SETTINGS_KEY,
    managed_mode=False,
    singleton=True,
)

# Dependency order: creates run in this order, removals in reverse. Supervisors come after the
# courses and paths they may be given; enrollments after the users and publications they name;
# sessions after the enrollments their attendees need (Damstra registers only scheduled users) and
# the instructors who teach them.
KINDS: tuple[Kind, ...] = (
    USERS,
    GROUPS,
    MEMBERSHIPS,
    GROUP_SUPERVISORS,
    COURSES,
    PUBLICATIONS,
    LESSONS,
    ORG_COURSES,
    PATHS,
    PLANS,
    ENROLLMENTS,
    INSTRUCTORS,
    SESSIONS,
    SUPERVISORS,
    WEBHOOKS,
    DOMAIN,
)
KINDS_BY_NAME: Mapping[str, Kind] = {kind.name: kind for kind in KINDS}
DECLARABLE: Mapping[str, Kind] = {kind.name: kind for kind in KINDS if kind.spec is not None}


def kind(name: str) -> Kind:
    return KINDS_BY_NAME[name]


# The kinds `protect:`, `ignore:` and `safety.kinds` may name: those the manifests or the plan manage.
KIND_NAMES: tuple[str, ...] = tuple(kind.name for kind in KINDS if not kind.reference_only)
