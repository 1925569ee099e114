"""The Skilljar provider: what it can manage, and how it reads and writes a domain."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from requests.auth import AuthBase, HTTPBasicAuth

from lmsform.kinds import (
    COURSES,
    DOMAIN,
    ENROLLMENTS,
    GROUPS,
    INSTRUCTORS,
    LESSONS,
    MEMBERSHIPS,
    PATHS,
    PUBLICATIONS,
    SESSIONS,
    SUPERVISORS,
    USERS,
    WEBHOOKS,
)
from lmsform.plan import Action, Change
from lmsform.project_config import ManageConfig
from lmsform.providers.base import ApiProvider, KindSupport, ProviderSettings, Removal, Work
from lmsform.providers.http import HttpClient
from lmsform.providers.skilljar import endpoints, operations
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.providers.skilljar.ilt_operations import SESSION_FIELDS
from lmsform.providers.skilljar.path_operations import PATH_FIELDS
from lmsform.providers.skilljar.reader import Listed, read_state, read_taken
from lmsform.providers.skilljar.settings import SkilljarSettings
from lmsform.state import Resource, State

# Limits of Skilljar's schemas, checked before any call.
_MAX_LENGTHS: Mapping[tuple[str, str], int] = {
    (USERS.name, "first_name"): 50,
    (USERS.name, "last_name"): 50,
    (USERS.name, "access_code"): 40,
    (GROUPS.name, "name"): 100,
    (WEBHOOKS.name, "url"): 1024,
    (PATHS.name, "slug"): 100,
    (PATHS.name, "title"): 500,
    (PATHS.name, "short_description"): 300,
    (SESSIONS.name, "display_name"): 200,
    (SESSIONS.name, "location"): 100,
}
# The spec's pattern: at least two words (`safety-101`, not `safety`).
_PUBLISHED_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
# A published path's slug may be one word (PublishedPathRequest).
_PATH_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EVENT_TYPES = frozenset(
    {
        "COURSE_COMPLETION",
        "COURSE_ENROLLMENT",
        "DOMAIN_ENROLLMENT",
        "LESSON_COMPLETION",
        "PATH_COMPLETION",
        "PATH_ENROLLMENT",
        "PURCHASE_FULFILLMENT",
        "QUIZ_COMPLETION",
        "VILT_EVENT_REGISTRATION",
        "DASHBOARD_TASK_CREATED",
    }
)


# skilljar.md D79, D80.
_NO_SESSION_REMOVAL = "Skilljar's API cannot delete or cancel a session: do it in Skilljar's dashboard"
_NO_INSTRUCTOR_ID = (
    "Skilljar's API answers instructors without the id its removal takes: remove them in Skilljar's dashboard"
)


def same_labels(declared: Any, live: Any) -> bool:
    """A course's labels are a set of associations in Skilljar: their order is not kept."""
    return set(declared or ()) == set(live or ())


class SkilljarProvider(ApiProvider[SkilljarSettings, SkilljarClient]):
    name: ClassVar[str] = "skilljar"
    title: ClassVar[str] = "Skilljar"
    settings_model: ClassVar[type[ProviderSettings]] = SkilljarSettings
    supports: ClassVar[Mapping[str, KindSupport]] = {
        USERS.name: KindSupport(
            fields=frozenset(
                {"first_name", "last_name", "active", "expires_at", "access_code", "attributes"}
            ),
            relations=frozenset({"groups"}),
            removal=Removal.DEACTIVATE,
            removal_note="Skilljar cannot delete domain users; the user's access is deactivated",
            unsupported_fields={
                "adopt_by": "Skilljar identifies users by e-mail, so there is nothing else to adopt by",
                "roles": "Skilljar's API has no user roles (student-manager access is `supervisors:`)",
                "username": "Skilljar identifies users by e-mail",
                "password": "Skilljar's API takes no passwords",
                "previously": "lmsform does not change Skilljar users' e-mail addresses",
            },
        ),
        GROUPS.name: KindSupport(
            fields=frozenset({"discount_percent", "category", "rule_email_domains", "sign_up_field_rule"}),
            relations=frozenset({"members"}),
            removal=Removal.DELETE,
            removal_note="deletes the group and its {user_count} membership(s); cannot be undone",
            cascades=(MEMBERSHIPS.name,),
            unsupported_fields={
                "parent": "Skilljar groups are flat",
                "supervisors": "Skilljar has no group supervisors; use `supervisors:` (student managers)",
            },
        ),
        MEMBERSHIPS.name: KindSupport(fields=frozenset(), removal=Removal.DELETE, updatable=False),
        COURSES.name: KindSupport(
            fields=frozenset({"short_description", "long_description", "sequential_navigation", "labels"}),
            relations=frozenset({"published"}),
            removal=Removal.DELETE,
            removal_note="deletes the course, its drafts, its publications and their enrollments; "
            "cannot be undone",
            cascades=(PUBLICATIONS.name, ENROLLMENTS.name),
            readback={"labels": same_labels},
        ),
        PUBLICATIONS.name: KindSupport(
            fields=frozenset(),
            removal=Removal.DELETE,
            removal_note="cannot be undone on Skilljar: publishing again makes a new publication; "
            "the enrollments go with this one",
            cascades=(ENROLLMENTS.name,),
        ),
        PATHS.name: KindSupport(
            fields=frozenset(PATH_FIELDS),
            required=frozenset({"title"}),
            removal=Removal.DELETE,
            removal_note="deletes the path and its enrollments; cannot be undone (skilljar.md D63)",
            cascades=(ENROLLMENTS.name,),
            readback={"labels": same_labels},
        ),
        "plans": KindSupport(fields=frozenset()),
        ENROLLMENTS.name: KindSupport(
            fields=frozenset({"active", "expires_at"}),
            relations=frozenset({"course", "path", "plan", "users", "groups"}),
            removal=Removal.DEACTIVATE,
            removal_note="Skilljar cannot delete enrollments; each active one of this learner is deactivated",
        ),
        SUPERVISORS.name: KindSupport(
            fields=frozenset(
                {"group", "course_access", "path_access", "can_create_users", "courses", "paths", "revoke"}
            ),
            readable=False,
        ),
        WEBHOOKS.name: KindSupport(
            fields=frozenset(
                {"events", "active", "basic_auth_username", "basic_auth_password", "additional_headers"}
            ),
            removal=Removal.DELETE,
        ),
        LESSONS.name: KindSupport(fields=frozenset()),
        INSTRUCTORS.name: KindSupport(
            fields=frozenset(),
            removal=Removal.NONE,
            removal_note=_NO_INSTRUCTOR_ID,
            updatable=False,
            never_authoritative=_NO_INSTRUCTOR_ID,
        ),
        SESSIONS.name: KindSupport(
            fields=frozenset(SESSION_FIELDS) - {"starts_at", "ends_at"},
            required=frozenset({"display_name", "timezone", "instructor"}),
            references={USERS.name: INSTRUCTORS.name},
            removal=Removal.NONE,
            removal_note=_NO_SESSION_REMOVAL,
            never_authoritative=_NO_SESSION_REMOVAL,
            unsupported_fields={
                "attendees": "registering for a session is a learner's own action (after enrolling), "
                "not desired state",
                "completed": "Skilljar records completions as learners finish: not desired state",
                "attended": "attendance is recorded after the session, not declared",
                "passed": "results are recorded after the session, not declared",
            },
        ),
        DOMAIN.name: KindSupport(
            fields=frozenset({"catalog_title", "access", "access_code_message"}),
            removal=Removal.NONE,
            removal_note="a domain's settings always exist; a field the manifests leave out is left as it is",
            unsupported_fields={
                "marketing_message": "Skilljar's API marks it deprecated, replaced by sign-up fields: "
                "set those up in Skilljar's dashboard",
            },
        ),
    }
    unsupported_kinds: ClassVar[Mapping[str, str]] = {
        SUPERVISORS.name: "cannot list student-manager access, so it cannot remove grants it does not know; "
        "declare `revoke: true` on a supervisor instead",
        "plans": "lmsform reads plans, so that enrollments (`plan:`) can name them; make them in "
        "Skilljar's dashboard",
        "lessons": "lessons are a course's content, authored in Skilljar's dashboard: lmsform manages "
        "courses' settings and publications, not their content",
    }

    OPERATIONS = operations.OPERATIONS
    ENDPOINTS = endpoints.ENDPOINTS

    def __init__(self, settings: SkilljarSettings, *, api_root: str, credential: str) -> None:
        super().__init__(settings, api_root=api_root, credential=credential)
        # The groups and targets whose members or enrollments the last `read` listed.
        self._listed: Listed = set()

    def authentication(self, credential: str) -> AuthBase:
        return HTTPBasicAuth(credential, "")

    def connect(self, http: HttpClient) -> SkilljarClient:
        return SkilljarClient(http, self.settings.domain)

    @classmethod
    def check_fields(cls, kind: str, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = []
        for (limited_kind, field_name), limit in _MAX_LENGTHS.items():
            value = fields.get(field_name)
            if limited_kind == kind and isinstance(value, str) and len(value) > limit:
                problems.append(
                    (field_name, f"Skilljar allows at most {limit} characters here, not {len(value)}")
                )
        published = fields.get("published")
        slug = published.get("slug") if kind == COURSES.name and isinstance(published, Mapping) else None
        if slug is not None and not _PUBLISHED_SLUG.fullmatch(str(slug)):
            problems.append(
                ("published", "slug: Skilljar needs lower-case words joined by hyphens, e.g. safety-101")
            )
        if kind == PATHS.name and not _PATH_SLUG.fullmatch(str(fields.get("slug"))):
            problems.append(("slug", "Skilljar needs lower-case letters and digits, words joined by hyphens"))
        if kind == SESSIONS.name and not isinstance(fields.get("lesson"), Mapping):
            problems.append(
                (
                    "lesson",
                    "name a Skilljar lesson with its course, as {course: <title>, lesson: <title>}: "
                    "lesson titles repeat across courses",
                )
            )
        if kind == WEBHOOKS.name:
            for event in fields.get("events") or []:
                if event not in EVENT_TYPES:
                    problems.append(
                        (
                            "events",
                            f"{event!r} is not a Skilljar event type ({', '.join(sorted(EVENT_TYPES))})",
                        )
                    )
        return problems

    def read_state(self, desired: State, manage: ManageConfig, *, everything: bool) -> State:
        self._listed = set()
        return read_state(
            self.client,
            desired,
            manage,
            parallelism=self.settings.parallelism,
            everything=everything,
            listed=self._listed,
        )

    def read_taken(self, live: State, removals: Sequence[Change]) -> list[Resource]:
        return read_taken(
            self.client, live, removals, parallelism=self.settings.parallelism, listed=self._listed
        )

    def batched_work(self, kind: str, action: Action, changes: Sequence[Change]) -> list[Work] | None:
        return operations.work(self.client, self.settings, kind, action, changes)
