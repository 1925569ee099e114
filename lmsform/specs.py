"""What a manifest entry of each kind may say: one pydantic model per declarable kind.

Field policy lives on the model: `RELATIONS` are fields that declare other resources (a user's
groups become memberships), `ALWAYS_MANAGED` fields are managed with their default even when the
manifest omits them, `IDENTITY` fields help match a live object and are never compared, `SECRETS`
are write-only values that must come from the environment and never reach a plan or a log;
`SECRET_MAPS` are maps of names to such values (webhook headers), whose names are compared.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from lmsform.characters import non_ascii_address


class StrictModel(BaseModel):
    """Every model of lmsform: unknown fields are errors, so a typo in YAML never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DeclarationModel(StrictModel):
    RELATIONS: ClassVar[frozenset[str]] = frozenset()
    ALWAYS_MANAGED: ClassVar[frozenset[str]] = frozenset()
    IDENTITY: ClassVar[frozenset[str]] = frozenset()
    SECRETS: ClassVar[frozenset[str]] = frozenset()
    SECRET_MAPS: ClassVar[frozenset[str]] = frozenset()


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")


def _check_email(value: str) -> str:
    """An address as a person types it into a mail client's To: line, in ASCII.

    Not ASCII is refused, because a look-alike letter (a Cyrillic a for a Latin one) or an invisible
    character makes an address that reads the same as another but reaches someone else. A domain
    with other letters has an ASCII form (`xn--...`), which cannot be mistaken and which the error
    gives.
    """
    if not value.isascii():
        first = next(index for index, char in enumerate(value) if not char.isascii())
        raise ValueError(non_ascii_address(value, first))
    local, at, domain = value.rpartition("@")
    if not at or len(local) > 64 or not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        raise ValueError(
            f"{value!r} is not an e-mail address: write only the address, such as jane.doe@acme.com "
            "(no name, spaces, quotes or angle brackets)"
        )
    return value


def _check_web_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _check_https_url(value: str) -> str:
    if not re.fullmatch(r"https://[^\s/?#]+[^\s]*", value):
        raise ValueError(
            f"{value!r} is not an https:// URL: deliveries carry learner data and credentials, so "
            "they must be encrypted"
        )
    return value


def _check_flag(value: Any) -> Any:
    """true or false; also the text "true" or "false" (what ${VARIABLE} gives), and nothing else:
    YAML 1.1 tools read `yes`, `no`, `on` and `off` as booleans and YAML 1.2 ones as text."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("write true or false (YAML tools disagree on what yes, no, on and off mean)")


Flag = Annotated[bool, BeforeValidator(_check_flag)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_check_email)]
Name = Annotated[str, StringConstraints(min_length=1)]
ApiId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")]
Text = Annotated[str, StringConstraints(min_length=1)]
WebUrl = Annotated[str, AfterValidator(_check_web_url)]
HttpsUrl = Annotated[str, AfterValidator(_check_https_url)]
AccessCode = Annotated[str, StringConstraints(min_length=1, pattern=r"^\S+$")]

_INSTANT = TypeAdapter(AwareDatetime)


def canonical_instant(value: str | datetime) -> str:
    """One spelling per instant (UTC, `Z`), so manifest and vendor timestamps compare equal."""
    moment = _INSTANT.validate_python(value)
    text: str = _INSTANT.dump_python(moment.astimezone(UTC), mode="json")
    return text


# A date and time with its offset, sent and compared in its one UTC spelling: a manifest's
# 2027-01-16T01:00:00+02:00 is the vendor's 2027-01-15T23:00:00Z, not a change on every plan.
Instant = Annotated[AwareDatetime, PlainSerializer(canonical_instant, return_type=str, when_used="json")]


def _as_instant(value: date | datetime) -> datetime:
    """A date as the start of its day in UTC, so dates and instants compare."""
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _check_roles(value: list[str]) -> list[str]:
    """Which roles exist depends on the vendor, which checks them; the owner role never does."""
    if "owner" in value:
        raise ValueError("the owner role can never be granted or removed by lmsform")
    return sorted(set(value))


class UserSpec(DeclarationModel):
    """A learner or staff account, identified by e-mail, or by user name where the vendor has one."""

    RELATIONS = frozenset({"groups", "supervises"})
    ALWAYS_MANAGED = frozenset({"active"})
    IDENTITY = frozenset({"adopt_by", "previously"})
    SECRETS = frozenset({"password"})

    username: Name | None = Field(
        None, description="Login name; the key where the vendor identifies users by it (Damstra)."
    )
    email: Email | None = Field(
        None,
        description="The user's e-mail address; the key where the vendor has no user names, compared "
        "case-insensitively.",
    )
    api_id: ApiId | None = Field(
        None,
        description="The person's id in the vendor's directory, where lmsform cannot read people and "
        "only names them (Training Records); the key when no e-mail is given.",
    )
    previously: list[Email] = Field(
        default_factory=list,
        description="Former e-mail addresses. Where the vendor cannot change one (Versal), the user found "
        "under a former address is replaced by a new account.",
    )
    first_name: str | None = Field(None, description="Given name. Omit to leave it as it is.")
    last_name: str | None = Field(None, description="Family name. Omit to leave it as it is.")
    full_name: str | None = Field(None, description="The name shown, where the vendor keeps one apart.")
    short_description: str | None = Field(None, description="A brief statement about the user.")
    long_description: str | None = Field(None, description="A paragraph about the user.")
    phone: str | None = Field(None, description="Phone number.")
    mobile: str | None = Field(None, description="Mobile number.")
    employee_number: str | None = Field(None, description="Employee number.")
    time_zone: str | None = Field(None, description="IANA time zone, e.g. Australia/Perth.")
    roles: Annotated[list[str], AfterValidator(_check_roles)] | None = Field(
        None, description="The user's roles, the whole set (which roles exist depends on the vendor)."
    )
    active: Flag = Field(True, description="false deactivates the user's access (default true).")
    expires_at: Instant | None = Field(
        None, description="When the user's access ends (a contractor's end date); null: never."
    )
    access_code: AccessCode | None = Field(
        None, description="The access code the user joined with, as people type it; null: none."
    )
    attributes: dict[Name, Text] | None = Field(
        None,
        description="Sign-up field values by the field's label (department, region). Only the labels "
        "declared are managed; others are left as they are.",
    )
    password: str | None = Field(
        None, description="Initial password: only as ${ENVIRONMENT_VARIABLE}; set on create, never compared."
    )
    adopt_by: Literal["email", "employee_number"] | None = Field(
        None,
        description="When no user has this user's key, adopt the one live user with the same e-mail or "
        "employee number (and give it this key). Several matches are an error.",
    )
    groups: list[Name] = Field(
        default_factory=list, description="Groups the user is a member of (merged with the groups' members)."
    )
    supervises: list[Name] = Field(
        default_factory=list, description="Groups the user supervises (merged with the groups' supervisors)."
    )


def _check_email_domains(value: list[str]) -> list[str]:
    """E-mail domains as a set, lower-cased: Skilljar keeps them lower-cased (skilljar.md D65)."""
    for domain in value:
        if not domain.isascii() or not _DOMAIN.fullmatch(domain):
            raise ValueError(
                f"{domain!r} is not an e-mail domain: write the part after the @, such as acme.com "
                "(a domain in other letters in its ASCII form, xn--...)"
            )
    return sorted({domain.lower() for domain in value})


def _check_answers(value: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each field's answers as a set; the fields in order of their labels."""
    empty = sorted(label for label, answers in value.items() if not answers)
    if empty:
        raise ValueError(f"name at least one answer of {', '.join(map(repr, empty))}")
    if not value:
        raise ValueError("name at least one sign-up field and its answers (or write null: no rule)")
    return {label: sorted(set(value[label])) for label in sorted(value)}


EmailDomains = Annotated[list[Name], AfterValidator(_check_email_domains)]


class SignUpFieldRuleSpec(StrictModel):
    """Who joins a group by their sign-up answers: the answers are options of the domain's pick-list
    sign-up fields, named by the field's label and the option's text."""

    answers: Annotated[dict[Name, list[Name]], AfterValidator(_check_answers)] = Field(
        description="The answers that put a learner in the group, by the sign-up field's label, "
        "e.g. {Region: [EMEA, APAC]}."
    )
    require_match_all: Flag = Field(
        False, description="true: a learner must have given every answer listed; false: any one."
    )
    enforce: Flag = Field(
        False, description="true: the vendor also takes out members whose answers stop matching."
    )


class GroupSpec(DeclarationModel):
    """A named group of users, identified by its exact name (or pinned to an existing group by `id`)."""

    RELATIONS = frozenset({"members", "supervisors"})
    IDENTITY = frozenset({"id", "previously"})

    name: Name = Field(description="The group's name; the key, compared exactly.")
    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-z]+$")] | None = Field(
        None,
        description="Adopt the existing group with this id, whatever its name: how to say which one is "
        "meant where several groups share a name (Damstra allows that).",
    )
    previously: list[Name] = Field(
        default_factory=list, description="Former names: a group found under one of them is renamed."
    )
    description: str | None = Field(None, description="What the group is for.")
    parent: Name | None = Field(None, description="The group this one sits under (hierarchical vendors).")
    members: list[Name] = Field(
        default_factory=list,
        description="Members by user key, e-mail or user name (merged with the users' groups).",
    )
    supervisors: list[Name] = Field(
        default_factory=list, description="Supervisors by user key (merged with the users' `supervises`)."
    )
    discount_percent: int | None = Field(
        None, ge=0, le=100, description="A discount applied to purchases by members, in percent."
    )
    category: Name | None = Field(
        None,
        description="The group's category, by name (categories are made in the vendor's dashboard); "
        "null: none.",
    )
    rule_email_domains: EmailDomains = Field(
        default_factory=list,
        description="E-mail domains whose learners the vendor puts in the group (compared as a set, "
        "ignoring case); []: none. Members they bring are not drift.",
    )
    sign_up_field_rule: SignUpFieldRuleSpec | None = Field(
        None,
        description="Sign-up answers that put learners in the group; null: none. Members they bring "
        "are not drift.",
    )


class ReenrollmentSpec(StrictModel):
    """A publication's re-enrollment rule: learners are enrolled again every cycle from `starts_at`."""

    starts_at: Instant = Field(description="When the first cycle starts, at the top of an hour.")
    cycle_duration: int = Field(ge=1, description="How long a cycle is, in cycle_duration_unit.")
    cycle_duration_unit: Literal["months", "days"] = Field(description="Unit of cycle_duration.")


class PublicationSpec(StrictModel):
    """How a course appears on the provider's domain (its catalogue page and registration)."""

    slug: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        None, description="The course's URL path on the domain."
    )
    hidden: Flag | None = Field(None, description="Show the course in the catalogue only to its groups.")
    registration_required: Flag | None = Field(None, description="false makes the content public.")
    registration_starts_at: Instant | None = Field(None, description="When registration opens.")
    registration_ends_at: Instant | None = Field(None, description="When registration closes.")
    strict_enforce_group_visibility: Flag | None = None
    restrict_access_start_end_dates: Flag | None = None
    allow_self_service_reenroll: Flag | None = None
    unique_progress_per_enrollment: Flag | None = None
    require_all_prerequisites: Flag | None = None
    prerequisites: list[Name] | None = Field(
        None,
        description="Courses, by title, learners must complete first (published too; the whole set, "
        "order not kept).",
    )
    prerequisite_groups: list[Name] | None = Field(
        None, description="Groups whose members alone may enroll (the whole set, order not kept)."
    )
    visible_to: list[Name] | None = Field(
        None,
        description="Groups that see the course in the catalogue even when it is hidden (visibility "
        "overrides; the whole set).",
    )
    hidden_from: list[Name] | None = Field(
        None,
        description="Groups that do not see the course in the catalogue even when it is shown "
        "(visibility overrides; the whole set).",
    )
    reenrollment: ReenrollmentSpec | None = Field(
        None,
        description="Enroll learners again every cycle (annual recertification); null: no rule; "
        "omitted: left as it is.",
    )
    tags: list[Name] | None = Field(
        None,
        description="Catalogue tags by name (the whole set, order not kept); a tag the organisation "
        "lacks is made.",
    )

    @model_validator(mode="after")
    def _visible_or_hidden(self) -> PublicationSpec:
        _check_visible_or_hidden(self.visible_to, self.hidden_from)
        return self


def _check_visible_or_hidden(visible_to: list[str] | None, hidden_from: list[str] | None) -> None:
    """A group has one visibility override: it shows or hides, not both."""
    both = sorted(set(visible_to or ()) & set(hidden_from or ()))
    if both:
        raise ValueError(f"{', '.join(both)}: a group is in visible_to or in hidden_from, not both")


def _check_published(value: Any) -> Any:
    if value is None or isinstance(value, bool | dict):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("write true, false, or the publication's settings (slug: ..., hidden: ...)")


class CourseSpec(DeclarationModel):
    """A course, identified by its title (or pinned to an existing course by `id`)."""

    RELATIONS = frozenset({"published"})
    IDENTITY = frozenset({"id", "previously"})

    title: Name = Field(description="The course's title; the key.")
    api_id: ApiId | None = Field(
        None,
        description="The training package's id, where lmsform cannot read packages and only names them "
        "(Training Records).",
    )
    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-z]+$")] | None = Field(
        None, description="Adopt the existing course with this id, whatever its title."
    )
    previously: list[Name] = Field(
        default_factory=list, description="Former titles: a course found under one of them is renamed."
    )
    short_description: Text | None = None
    long_description: str | None = Field(None, description="HTML shown on the course page.")
    sequential_navigation: Flag | None = Field(None, description="Learners must take lessons in order.")
    labels: list[Name] | None = Field(None, description="Labels of the course (replaces its label set).")
    published: Annotated[bool | PublicationSpec | None, BeforeValidator(_check_published)] = Field(
        None,
        description="true or settings: published on the provider's domain; false: unpublished "
        "(irreversible on some vendors); omitted: left as it is.",
    )


class EnrollmentSpec(DeclarationModel):
    """Who takes a course, learning path or plan: users by e-mail and/or every member of groups."""

    ALWAYS_MANAGED = frozenset({"active"})

    course: Name | None = Field(None, description="Title of a course published on the domain.")
    path: Name | None = Field(None, description="Slug of a learning path published on the domain.")
    plan: Name | None = Field(None, description="Name of a plan of the domain.")
    users: list[Name] = Field(
        default_factory=list, description="Learners, by user key (e-mail or user name)."
    )
    groups: list[Name] = Field(default_factory=list, description="Every member of these groups.")
    active: Flag = Field(True, description="false deactivates these enrollments.")
    expires_at: Instant | None = Field(None, description="When access ends.")
    starts_at: Instant | None = Field(None, description="When the enrollment starts (scheduling vendors).")
    grace_period: int | None = Field(None, ge=1, description="How long learners have to complete it.")
    grace_period_unit: Literal["days", "months"] | None = Field(None, description="Unit of grace_period.")
    role: Literal["learner", "author", "contributor", "publisher"] | None = Field(
        None, description="The users' role in the course (vendors with course roles)."
    )
    tracked: Flag | None = Field(None, description="Whether the course reports these users' progress.")
    # An instant first: `2026-01-01T00:00:00+08:00` is that instant, not the day it names in its own
    # time zone; only a bare `2026-01-01` is a day.
    started: Instant | date | None = Field(
        None,
        union_mode="left_to_right",
        description="When the users started (training records): a date, or a date and time with its "
        "offset; null: not started. Omit to leave it as it is.",
    )
    completed: Instant | date | None = Field(
        None,
        union_mode="left_to_right",
        description="When the users completed it (training records); null: not completed. Omit to leave "
        "it as it is.",
    )

    @model_validator(mode="after")
    def _one_target_and_learners(self) -> EnrollmentSpec:
        targets = [name for name in ("course", "path", "plan") if getattr(self, name) is not None]
        if len(targets) != 1:
            raise ValueError("name exactly one of course, path or plan")
        if not self.users and not self.groups:
            raise ValueError("name the learners in users, groups or both")
        started, completed = self.started, self.completed
        if started is not None and completed is not None and _as_instant(completed) < _as_instant(started):
            raise ValueError("completed is before started")
        return self

    @property
    def target(self) -> tuple[str, str]:
        for name in ("course", "path", "plan"):
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise AssertionError("validated to have a target")


class SupervisorSpec(DeclarationModel):
    """A user who manages one group's learners (on Skilljar: student-manager access)."""

    user: Name = Field(description="The supervisor, by user key; the key.")
    group: Name | None = Field(None, description="The group they manage.")
    course_access: Text | None = Field(None, description="Their access level to courses.")
    path_access: Text | None = Field(None, description="Their access level to learning paths.")
    can_create_users: Flag = Field(False, description="They may add learners to their group.")
    courses: list[Name] = Field(default_factory=list, description="Titles of the courses they may assign.")
    paths: list[Name] = Field(default_factory=list, description="Slugs of the paths they may assign.")
    revoke: Flag = Field(False, description="true takes the access away.")

    @model_validator(mode="after")
    def _grant_is_complete(self) -> SupervisorSpec:
        if not self.revoke:
            missing = [
                name for name in ("group", "course_access", "path_access") if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"a grant needs {', '.join(missing)} (or revoke: true)")
        return self


def _check_distinct(value: list[str]) -> list[str]:
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        raise ValueError(f"{', '.join(map(repr, repeated))} is listed more than once")
    return value


class PathSpec(DeclarationModel):
    """A learning path published on the domain: its ordered courses, settings and labels, identified
    by its slug (the path's URL on the domain)."""

    slug: Name = Field(description="The path's URL path on the domain, e.g. new-hire-onboarding; the key.")
    title: Text | None = Field(None, description="The path's title (needed to create it).")
    short_description: str | None = Field(None, description="A brief statement shown on the catalogue tile.")
    long_description: str | None = Field(None, description="HTML shown on the path's page.")
    hidden: Flag | None = Field(None, description="Show the path in the catalogue only to its groups.")
    strict_enforce_group_visibility: Flag | None = Field(
        None, description="Block the path for learners it is not visible to."
    )
    unique_progress_per_enrollment: Flag | None = Field(
        None, description="Each new enrollment starts a fresh progress record."
    )
    courses: Annotated[list[Name], AfterValidator(_check_distinct)] | None = Field(
        None,
        description="Titles of the published courses the path holds, in order (the whole list); omitted: "
        "left as they are.",
    )
    labels: list[Name] | None = Field(None, description="Labels of the path (replaces its label set).")
    visible_to: list[Name] | None = Field(
        None,
        description="Groups that see the path in the catalogue even when it is hidden (visibility "
        "overrides; the whole set).",
    )
    hidden_from: list[Name] | None = Field(
        None,
        description="Groups that do not see the path in the catalogue even when it is shown "
        "(visibility overrides; the whole set).",
    )
    tags: list[Name] | None = Field(
        None,
        description="Catalogue tags by name (the whole set, order not kept); a tag the organisation "
        "lacks is made.",
    )

    @model_validator(mode="after")
    def _visible_or_hidden(self) -> PathSpec:
        _check_visible_or_hidden(self.visible_to, self.hidden_from)
        return self


# RFC 7230's `token`: what an HTTP header name may be made of.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# How a secret value of a `SECRET_MAPS` field is shown and compared: never the value itself.
SECRET_SHOWN = "(secret)"


def _check_header_names(headers: dict[str, str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for name in headers:
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(
                f"{name!r} is not an HTTP header name: use letters, digits and !#$%&'*+-.^_`|~ only "
                "(no spaces or colons)"
            )
        if name.lower() in seen:
            raise ValueError(f"{seen[name.lower()]!r} and {name!r} are one header: HTTP names ignore case")
        seen[name.lower()] = name
    return headers


def secret_of_map(field: str, name: str) -> str:
    """The name a `SECRET_MAPS` field's value for `name` has among a resource's secrets."""
    return f"{field}.{name}"


HeaderValue = Annotated[str, StringConstraints(min_length=1)]
Headers = Annotated[dict[str, HeaderValue], AfterValidator(_check_header_names)]


class WebhookSpec(DeclarationModel):
    """Event notifications to a URL; a list of events makes one webhook per event."""

    ALWAYS_MANAGED = frozenset({"active"})
    SECRETS = frozenset({"basic_auth_password"})
    SECRET_MAPS = frozenset({"additional_headers"})

    url: HttpsUrl = Field(description="Where events are posted (https:// only).")
    events: list[Name] = Field(
        default_factory=list, description="Event types, one webhook each; empty: one webhook for all events."
    )
    active: Flag = Field(True, description="false pauses deliveries.")
    basic_auth_username: str | None = Field(None, description="HTTP Basic user name sent with deliveries.")
    basic_auth_password: str | None = Field(
        None, description="HTTP Basic password: only as ${ENVIRONMENT_VARIABLE}; write-only, never compared."
    )
    additional_headers: Headers | None = Field(
        None,
        description="HTTP headers sent with every delivery, name: ${ENVIRONMENT_VARIABLE}. The names are "
        "compared; the values are secrets, never shown, and sent again when they differ from the live ones.",
    )


class LessonInCourse(StrictModel):
    """A lesson named with its course, where lesson titles repeat across courses (Skilljar)."""

    course: Name = Field(description="The course's title.")
    lesson: Name = Field(description="The lesson's title in that course.")


# How a lesson named with its course shows in a session's key: `Course / Lesson`.
LESSON_IN_COURSE_SEPARATOR = " / "


def lesson_name(lesson: str | LessonInCourse) -> str:
    """A session's lesson as its key holds it: the name, or `Course / Lesson`."""
    if isinstance(lesson, LessonInCourse):
        return f"{lesson.course}{LESSON_IN_COURSE_SEPARATOR}{lesson.lesson}"
    return lesson


def _check_time_zone(value: str) -> str:
    if value not in zoneinfo.available_timezones():
        raise ValueError(f"{value!r} is not an IANA time zone name, such as Europe/London or UTC")
    return value


TimeZone = Annotated[str, AfterValidator(_check_time_zone)]


class InstructorSpec(DeclarationModel):
    """Someone who teaches instructor-led sessions, at a vendor that keeps instructors apart from its
    users (Skilljar)."""

    email: Email = Field(description="The instructor's e-mail address; the key.")


class SessionSpec(DeclarationModel):
    """An instructor-led session of a lesson, identified by the lesson and its start and end (what the
    vendor cannot change once it is made), with the users registered for it."""

    RELATIONS = frozenset({"attendees"})

    lesson: Name | LessonInCourse = Field(
        description="The lesson the session teaches, by name (Damstra), or as {course, lesson} by titles "
        "(Skilljar); part of the key."
    )
    starts_at: Instant = Field(description="When the session starts, with its offset; part of the key.")
    ends_at: Instant = Field(description="When the session ends, with its offset; part of the key.")
    display_name: Text | None = Field(None, description="The session's title as learners see it.")
    timezone: TimeZone | None = Field(
        None, description="The IANA time zone the session is shown in, e.g. Europe/London."
    )
    instructor: Name | None = Field(
        None, description="The instructor: a user's key (Damstra), or an instructor's e-mail (Skilljar)."
    )
    location: Text | None = Field(None, description="Where the session is held.")
    notes: str | None = Field(None, description="Notes shown with the session.")
    capacity: int | None = Field(None, ge=1, description="How many places the session has.")
    attendees: list[Name] = Field(
        default_factory=list,
        description="The users registered for it, by user key: the whole list for a session lmsform manages.",
    )
    completed: Flag | None = Field(None, description="Completing a session is not desired state (refused).")
    attended: list[Name] | None = Field(None, description="Attendance is not desired state (refused).")
    passed: list[Name] | None = Field(None, description="Results are not desired state (refused).")

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> SessionSpec:
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


class DomainSpec(DeclarationModel):
    """The settings of the provider's domain (on Skilljar: its catalogue and who may see it): one
    object, which always exists. Only the fields declared are managed; an omitted one is left as it is."""

    catalog_title: Text | None = Field(None, description="HTML shown at the top of the catalogue page.")
    access: Literal["PUBLIC", "PRIVATE", "PRIVATE_CODE"] | None = Field(
        None,
        description="Who sees the catalogue: PUBLIC anyone; PRIVATE users who signed up; PRIVATE_CODE "
        "users who signed up with an access code.",
    )
    access_code_message: Text | None = Field(
        None, description="HTML shown to people asked for an access code."
    )
    marketing_message: str | None = Field(
        None, description="Replaced by sign-up fields at the vendor (refused)."
    )


def declared_values(spec: BaseModel) -> dict[str, Any]:
    """The entry's values as JSON-compatible data (instants in canonical form)."""
    values: dict[str, Any] = spec.model_dump(mode="json")
    return values
