"""The Damstra Learning provider: what it can manage, and how it reads and writes an organisation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from requests.auth import AuthBase

from lmsform.kinds import ENROLLMENTS, GROUP_SUPERVISORS, GROUPS, LESSONS, MEMBERSHIPS, SESSIONS, USERS, Key
from lmsform.plan import Action, Change, Plan
from lmsform.project_config import ManageConfig
from lmsform.providers.base import ApiProvider, KindSupport, Prerequisite, ProviderSettings, Removal, Work
from lmsform.providers.damstra import endpoints, operations
from lmsform.providers.damstra.client import DamstraClient, access_key_auth
from lmsform.providers.damstra.operations import Organisation
from lmsform.providers.damstra.reader import ROLE_IDS, read_state
from lmsform.providers.damstra.settings import DamstraSettings
from lmsform.providers.http import HttpClient
from lmsform.state import State


class DamstraProvider(ApiProvider[DamstraSettings, Organisation]):
    name: ClassVar[str] = "damstra"
    title: ClassVar[str] = "Damstra"
    settings_model: ClassVar[type[ProviderSettings]] = DamstraSettings
    supports: ClassVar[Mapping[str, KindSupport]] = {
        USERS.name: KindSupport(
            key=("username",),
            required=frozenset({"email"}),
            fields=frozenset(
                {
                    "email",
                    "first_name",
                    "last_name",
                    "phone",
                    "mobile",
                    "employee_number",
                    "time_zone",
                    "roles",
                    "active",
                    "password",
                }
            ),
            relations=frozenset({"groups", "supervises"}),
            removal=Removal.DEACTIVATE,
            removal_note="Damstra cannot delete users; the user is inactivated (and can be re-activated)",
            # Damstra's roles are separate grants with no order among them (an admin is not also a
            # trainee), so losing any is a demotion. The e-mail address is where password resets
            # go; the employee number is what `adopt_by` finds a user by: both identify the user.
            privileges={"roles": ()},
            identity=frozenset({"email", "employee_number"}),
            unsupported_fields={
                "previously": "Damstra identifies users by user name, which cannot change",
                "full_name": "Damstra keeps first and last names only",
                "short_description": "Damstra users have no descriptions",
                "long_description": "Damstra users have no descriptions",
                "expires_at": "Damstra users have no end date: set `active: false` when access ends",
                "access_code": "Damstra has no access codes",
                "attributes": "Damstra's API has no custom user fields",
            },
        ),
        GROUPS.name: KindSupport(
            fields=frozenset({"description", "parent"}),
            relations=frozenset({"members", "supervisors"}),
            removal=Removal.DELETE,
            removal_note="inactivates the group: irreversible, Damstra cannot re-activate a group",
            # The document says only that the call inactivates the group (there is no activate and no
            # delete); it is silent on the group's members and supervisors. Our reading, the cautious
            # one (and the emulator's): they lose the group for good, since nothing brings it back, so
            # they are removed with it: shown, counted and protected. Its child groups keep their
            # parent id and stay. (Inactivating a user takes nothing with it: the document is silent
            # there too, and our reading keeps an inactive user's groups and lesson schedules.)
            cascades=(MEMBERSHIPS.name, GROUP_SUPERVISORS.name),
            # The document types parentId as a number and gives no null nor any other way to take a
            # group out from under its parent (our reading: never send a null, report it instead).
            uncleared={
                "parent": "its API takes a parent group's id only: move the group to the top in "
                "Damstra's web app, or give it a parent"
            },
            unsupported_fields={
                **dict.fromkeys(
                    ("rule_email_domains", "sign_up_field_rule"),
                    "Damstra's groups have no membership rules: name the members",
                ),
                "category": "Damstra's groups have no categories: place a group under another with `parent`",
            },
        ),
        MEMBERSHIPS.name: KindSupport(fields=frozenset(), removal=Removal.DELETE, updatable=False),
        GROUP_SUPERVISORS.name: KindSupport(fields=frozenset(), removal=Removal.DELETE, updatable=False),
        LESSONS.name: KindSupport(fields=frozenset()),
        ENROLLMENTS.name: KindSupport(
            fields=frozenset({"starts_at", "grace_period", "grace_period_unit"}),
            relations=frozenset({"course", "users", "groups"}),
            removal=Removal.NONE,
            removal_note="Damstra's API can only add lesson schedules; cancel them in the web app",
            updatable=False,
            create_only=frozenset({"starts_at", "grace_period", "grace_period_unit"}),
            unsupported_fields={
                "expires_at": "Damstra schedules end after their grace period: use grace_period",
                "active": "Damstra's API can only add lesson schedules",
                "completed": "a manual completion records training done, once, and cannot be changed or "
                "taken back: not desired state; load history with a one-off import (damstra.md I18)",
                "started": "Damstra records when a learner starts a lesson; the API cannot set it",
            },
            create_requires=(
                Prerequisite(
                    kind=USERS.name,
                    field="active",
                    value=True,
                    otherwise="inactive",
                    reason="Damstra schedules lessons only for active users "
                    "(it refuses others with HTTP 400)",
                ),
            ),
        ),
        SESSIONS.name: KindSupport(
            fields=frozenset({"instructor", "location", "notes", "capacity"}),
            relations=frozenset({"attendees"}),
            # The API's create needs these (damstra.md Sessions).
            required=frozenset({"instructor", "location"}),
            removal=Removal.DELETE,
            removal_note="cancels the session (Damstra cannot delete one; it tells the attendees and the "
            "instructor): irreversible, a cancelled session cannot be re-opened",
            unsupported_fields={
                "completed": "completing a session completes every attendee's lesson schedule, a record "
                "of training done: complete it in Damstra's web app once it has happened",
                "attended": "attendance is recorded after the session, in Damstra's web app, not declared",
                "passed": "results are recorded after the session, in Damstra's web app, not declared",
                "display_name": "a Damstra session is named by its lesson",
                "timezone": "Damstra shows a session at its start and end as given, in no time zone of "
                "its own",
            },
        ),
    }
    unsupported_kinds: ClassVar[Mapping[str, str]] = {
        "webhooks": "configures webhooks only in its web app (Manage > Integrations > WebHooks); "
        "its API cannot read, create or delete them",
        "courses": "lessons are authored in its web app; name them in enrollments (`course: <lesson name>`)",
        "supervisors": "supervises groups, not single users: list supervisors on the group "
        "(`supervisors:`) or the user (`supervises:`)",
        "lessons": "lessons are authored in its web app; enrollments and sessions name them",
        "paths": "Damstra has no learning paths: enroll users in each lesson",
        "completions": "a completion records training that happened, once, and its API can neither "
        "change nor withdraw one: it is history, not configuration (load it with a one-off import)",
        "domain": "its API has no settings of the organisation to change (they are kept in its web app)",
        "instructors": "a session's instructor is one of its users: name the user (`instructor:`)",
    }
    enrollment_targets: ClassVar[Mapping[str, str]] = {"course": "lesson"}
    roles: ClassVar[frozenset[str]] = frozenset(ROLE_IDS)

    OPERATIONS = operations.OPERATIONS
    ENDPOINTS = endpoints.ENDPOINTS
    HEADERS: ClassVar[Mapping[str, str]] = {"Content-Type": "application/json"}

    def __init__(self, settings: DamstraSettings, *, api_root: str, credential: str) -> None:
        super().__init__(settings, api_root=api_root, credential=credential)
        # Each live group's parent (None: a top-level group), as the last read found them.
        self._parents: dict[str, str | None] = {}

    def authentication(self, credential: str) -> AuthBase:
        return access_key_auth(credential)

    def connect(self, http: HttpClient) -> Organisation:
        return Organisation(DamstraClient(http), self.settings)

    @classmethod
    def check_fields(cls, kind: str, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
        if kind == USERS.name:
            problems = [
                (name, "Damstra requires it for every user")
                for name in ("first_name", "last_name")
                if not fields.get(name)
            ]
            if fields.get("roles") == []:
                # The document: an empty role list makes the user a trainee, which reads back as
                # [trainee] and would differ from [] on every plan.
                problems.append(("roles", "a Damstra user has at least one role: write [trainee] for none"))
            return problems
        if kind == ENROLLMENTS.name and (fields.get("grace_period") is None) != (
            fields.get("grace_period_unit") is None
        ):
            return [("grace_period", "give grace_period and grace_period_unit together")]
        if kind == SESSIONS.name and isinstance(fields.get("lesson"), Mapping):
            return [("lesson", "a Damstra lesson belongs to no course: name it by its name alone")]
        if kind == ENROLLMENTS.name and (fields.get("path") or fields.get("plan")):
            return [("course", "Damstra schedules lessons: name one with `course:`")]
        return []

    def read_state(self, desired: State, manage: ManageConfig, *, everything: bool) -> State:
        live = read_state(
            self.client.api, desired, manage, parallelism=self.settings.parallelism, everything=everything
        )
        self._parents = {key[0]: group.fields.get("parent") for key, group in live.of(GROUPS.name).items()}
        return live

    def guarded(self, live: State) -> dict[tuple[str, Key], str]:
        """The account owner is never inactivated, demoted or given another user name or e-mail
        address (lmsform.safety says what a demotion is): Damstra has exactly one."""
        return {
            (USERS.name, key): "it is the Damstra account owner, kept by the lock-out guard"
            for key, user in live.of(USERS.name).items()
            if user.fields.get("owner")
        }

    def notices(self, plan: Plan) -> list[str]:
        new_users = sum(
            1 for change in plan.changes if change.kind == USERS.name and change.action is Action.CREATE
        )
        if not new_users:
            return []
        if self.settings.send_welcome_email:
            return [
                f"Damstra e-mails a welcome to each of the {new_users} new user(s) "
                "(provider.send_welcome_email: true)"
            ]
        return [
            f"Damstra sends no welcome e-mail to the {new_users} new user(s) "
            "(provider.send_welcome_email: false)"
        ]

    def batched_work(self, kind: str, action: Action, changes: Sequence[Change]) -> list[Work] | None:
        return operations.work(self.client, kind, action, changes, parents=self._parents)
