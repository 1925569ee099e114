"""The Versal provider: what its Partner API can manage, and how lmsform reads and writes an organisation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from requests.auth import AuthBase

from lmsform.kinds import ENROLLMENTS, ORG_COURSES, USERS
from lmsform.plan import Action, Change, Plan
from lmsform.project_config import ManageConfig
from lmsform.providers.base import ApiProvider, KindSupport, ProviderSettings, Removal, Work, write_only
from lmsform.providers.http import HttpClient
from lmsform.providers.versal import endpoints, operations
from lmsform.providers.versal.client import VersalClient, sid_auth
from lmsform.providers.versal.reader import EDITING, EDITING_ROLES, NO_ROLE, ORG_ROLES, read_state
from lmsform.providers.versal.settings import VersalSettings
from lmsform.state import State

_NO_GROUPS = "Versal's Partner API has no groups"


def course_role_readback(declared: Any, live: Any) -> bool | None:
    """Versal shows only that a user edits or publishes a course, never which role, nor `learner`."""
    editing = declared in EDITING_ROLES
    if live == EDITING:
        return None if editing else False
    return False if editing else None


class VersalProvider(ApiProvider[VersalSettings, VersalClient]):
    name: ClassVar[str] = "versal"
    title: ClassVar[str] = "Versal"
    settings_model: ClassVar[type[ProviderSettings]] = VersalSettings
    roles: ClassVar[frozenset[str]] = frozenset({*ORG_ROLES, NO_ROLE})
    supports: ClassVar[Mapping[str, KindSupport]] = {
        USERS.name: KindSupport(
            fields=frozenset(
                {"first_name", "last_name", "full_name", "short_description", "long_description", "roles"}
            ),
            removal=Removal.DELETE,
            removal_note="removes the user from the organisation, and with them their enrollments and "
            "progress in its courses (their Versal account stays)",
            cascades=(ENROLLMENTS.name,),
            renames=False,
            # A user holds one org role; the document ranks them admin > instructor > learner >
            # member (no role), so a change down that order is a demotion.
            privileges={"roles": (NO_ROLE, "learner", "instructor", "admin")},
            readback={"short_description": write_only, "long_description": write_only},
            unsupported_fields={
                "username": "Versal identifies users by e-mail and makes up user names itself",
                "adopt_by": "Versal identifies users by e-mail, so there is nothing else to adopt by",
                "active": "Versal users cannot be deactivated: to remove one from the organisation, "
                "leave them out with `manage.users: authoritative`",
                "password": "Versal's Partner API takes no passwords",
                "groups": _NO_GROUPS,
                "supervises": "Versal's Partner API has no supervisors",
                "expires_at": "Versal's Partner API has no end date for a user's access",
                "access_code": "Versal's Partner API has no access codes",
                "attributes": "Versal's Partner API has no custom user fields",
            },
        ),
        ORG_COURSES.name: KindSupport(fields=frozenset()),
        ENROLLMENTS.name: KindSupport(
            fields=frozenset({"role", "tracked"}),
            relations=frozenset({"course", "users"}),
            removal=Removal.DELETE,
            removal_note="untracks the user and takes their course roles away "
            "(Versal has no other way to unenroll)",
            readback={"role": course_role_readback},
            create_defaults={"role": "learner", "tracked": True},
            # Course roles from the least to the most privileged (the document: a learner takes the
            # course, an author or contributor edits it, a publisher also publishes it). It calls
            # author and contributor one role with two names; we rank author first, so a move between
            # them counts as lowering one way (the cautious choice). What Versal shows of an editor
            # (`EDITING`) is none of these, and a change away from it counts as lowering.
            # Untracking is a demotion too: it is half of how lmsform takes an enrollment away, and
            # the document does not say what it does to access (our cautious reading).
            privileges={"role": ("learner", "author", "contributor", "publisher"), "tracked": (False, True)},
            # Our reading: Versal lists a course's tracked users and its editors, so a learner who is
            # not tracked shows nowhere; someone made a learner (an author demoted) is tracked too,
            # or one apply would leave them looking never enrolled.
            implied=lambda fields: {"tracked": True} if fields.get("role") == "learner" else {},
            unsupported_fields={
                "path": "Versal has no learning paths",
                "plan": "Versal has no plans",
                "groups": _NO_GROUPS,
                "active": "Versal enrollments have no active flag: set `tracked`, or leave the user out "
                "with `manage.enrollments: authoritative`",
            },
        ),
    }
    unsupported_kinds: ClassVar[Mapping[str, str]] = {
        "groups": "its Partner API has no groups",
        "supervisors": "its Partner API has no supervisors",
        "webhooks": "its Partner API has no webhooks",
        "sessions": "its Partner API has no instructor-led sessions",
        "instructors": "its Partner API has no instructor-led sessions, so no instructors",
        "paths": "Versal has no learning paths",
        "courses": "its API cannot create or edit courses: name existing ones in enrollments "
        "(`course: <exact title or id>`)",
        "domain": "its Partner API has no organisation settings to change",
    }
    enrollment_targets: ClassVar[Mapping[str, str]] = {"course": "org_course"}

    OPERATIONS = operations.OPERATIONS
    ENDPOINTS = endpoints.ENDPOINTS
    HEADERS: ClassVar[Mapping[str, str]] = {"Content-Type": "application/json"}

    def authentication(self, credential: str) -> AuthBase:
        return sid_auth(credential)

    def connect(self, http: HttpClient) -> VersalClient:
        return VersalClient(http, self.settings.organisation, page_size=self.settings.page_size)

    @classmethod
    def check_fields(cls, kind: str, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
        roles = fields.get("roles") or []
        if kind == USERS.name and len(roles) > 1:
            return [("roles", "a Versal user holds one organisation role (member: none)")]
        return []

    def read_state(self, desired: State, manage: ManageConfig, *, everything: bool) -> State:
        return read_state(
            self.client, desired, manage, parallelism=self.settings.parallelism, everything=everything
        )

    def notices(self, plan: Plan) -> list[str]:
        added = sum(
            1 for change in plan.changes if change.kind == USERS.name and change.action is Action.CREATE
        )
        removed = sum(
            1 for change in plan.changes if change.kind == USERS.name and change.action is Action.DELETE
        )
        if not (added and removed):
            return []
        return [
            f"{added} user(s) join and {removed} leave: Versal cannot change an e-mail address, so a new "
            "address is a new account, and the old one leaves with its enrollments and progress "
            "(`previously:` on a user says it replaces one)"
        ]

    def batched_work(self, kind: str, action: Action, changes: Sequence[Change]) -> list[Work] | None:
        return operations.work(self.client, self.settings, kind, action, changes)
