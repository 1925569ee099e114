"""The Skilljar provider: what it can manage, and how it reads and writes a domain."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from requests.auth import HTTPBasicAuth

from lmsform.batches import chunks
from lmsform.errors import ProviderError
from lmsform.model import (
    COURSES,
    ENROLLMENTS,
    GROUPS,
    MEMBERSHIPS,
    PUBLICATIONS,
    SUPERVISORS,
    USERS,
    WEBHOOKS,
    ManageConfig,
)
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext, KindSupport, Provider, ProviderSettings, Removal, Work
from lmsform.providers.http import HttpClient
from lmsform.providers.safe_writes import answer_lost
from lmsform.providers.skilljar.client import BULK_CREATE_LIMIT, SkilljarClient
from lmsform.providers.skilljar.operations import (
    NAME_FIELDS,
    OPERATIONS,
    create_course,
    create_user,
    create_webhook,
    new_courses,
    new_webhooks,
    settle_user,
)
from lmsform.providers.skilljar.reader import Listed, read_state, read_taken
from lmsform.providers.skilljar.settings import SkilljarSettings
from lmsform.state import Resource, State

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger("lmsform.writes")

# The sandbox's learning paths and plans, which Skilljar's API cannot create.
SANDBOX_PATHS = (("onboarding", "Onboarding"), ("compliance", "Compliance"))
SANDBOX_PLANS = (("All Access", "all-access"),)
# Below this many new users, single creates (which return ids) beat a bulk call plus re-reads.
BULK_THRESHOLD = 10
_FIRST_POLL_SECONDS = 0.2
_LONGEST_POLL_SECONDS = 5.0

# Limits of Skilljar's schemas, checked before any call.
_MAX_LENGTHS: Mapping[tuple[str, str], int] = {
    (USERS.name, "first_name"): 50,
    (USERS.name, "last_name"): 50,
    (GROUPS.name, "name"): 100,
    (WEBHOOKS.name, "url"): 1024,
}
# The spec's pattern: at least two words (`safety-101`, not `safety`).
_PUBLISHED_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
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


def same_labels(declared: Any, live: Any) -> bool:
    """A course's labels are a set of associations in Skilljar: their order is not kept."""
    return set(declared or ()) == set(live or ())


class SkilljarProvider(Provider):
    name: ClassVar[str] = "skilljar"
    title: ClassVar[str] = "Skilljar"
    settings_model: ClassVar[type[ProviderSettings]] = SkilljarSettings
    supports: ClassVar[Mapping[str, KindSupport]] = {
        USERS.name: KindSupport(
            fields=frozenset({"first_name", "last_name", "active"}),
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
            fields=frozenset({"discount_percent"}),
            relations=frozenset({"members"}),
            removal=Removal.DELETE,
            removal_note="deletes the group and its {user_count} membership(s); cannot be undone",
            cascades=(MEMBERSHIPS.name,),
            unsupported_fields={
                "parent": "Skilljar groups are flat",
                "supervisors": "Skilljar has no group supervisors; use `supervisors:` (student managers)",
            },
        ),
        MEMBERSHIPS.name: KindSupport(fields=frozenset(), removal=Removal.DELETE),
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
        "paths": KindSupport(fields=frozenset()),
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
            fields=frozenset({"events", "active", "basic_auth_username", "basic_auth_password"}),
            removal=Removal.DELETE,
        ),
    }
    unsupported_kinds: ClassVar[Mapping[str, str]] = {
        SUPERVISORS.name: "cannot list student-manager access, so it cannot remove grants it does not know; "
        "declare `revoke: true` on a supervisor instead",
    }

    def __init__(self, settings: ProviderSettings, *, api_root: str, credential: str) -> None:
        assert isinstance(settings, SkilljarSettings)
        self.settings = settings
        self.http = HttpClient.for_settings(
            settings,
            vendor=self.name,
            base_url=api_root,
            auth=HTTPBasicAuth(credential, ""),
        )
        self.client = SkilljarClient(self.http, settings.domain)
        # The groups and targets whose members or enrollments the last `read` listed.
        self._listed: Listed = set()

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

    def read(self, desired: State, manage: ManageConfig) -> State:
        self._listed = set()
        return read_state(
            self.client, desired, manage, parallelism=self.settings.parallelism, listed=self._listed
        )

    def read_taken(self, live: State, removals: Sequence[Change]) -> list[Resource]:
        return read_taken(
            self.client, live, removals, parallelism=self.settings.parallelism, listed=self._listed
        )

    def read_all(self) -> State:
        return read_state(
            self.client, State(), ManageConfig(), parallelism=self.settings.parallelism, everything=True
        )

    def work(self, kind: str, action: Action, changes: Sequence[Change]) -> list[Work]:
        if kind == USERS.name and action is Action.CREATE and len(changes) >= BULK_THRESHOLD:
            return [
                Work(chunk, partial(self._bulk_create_users, chunk))
                for chunk in chunks(changes, BULK_CREATE_LIMIT)
            ]
        if action is Action.CREATE and kind in (COURSES.name, WEBHOOKS.name):
            # Skilljar keeps no unique key for these: one guard per phase against another apply.
            create, guard = (
                (create_course, new_courses(self.client))
                if kind == COURSES.name
                else (create_webhook, new_webhooks(self.client))
            )
            return [Work((change,), partial(create, self.client, change, guard=guard)) for change in changes]
        return super().work(kind, action, changes)

    def execute(self, change: Change, context: ApplyContext) -> None:
        OPERATIONS[(change.kind, change.action)](self.client, change, context)

    def _bulk_create_users(self, chunk: Sequence[Change], context: ApplyContext) -> None:
        """One bulk call; Skilljar creates the users later, so wait until they all show in the list."""
        label = f"users (bulk of {len(chunk)})"
        rows = []
        for planned in chunk:
            after = planned.after or {}
            row = {"email": after["email"], "active": bool(after.get("active", True))}
            row.update({name: after[name] for name in NAME_FIELDS if name in after})
            rows.append(row)
        waiting = {change.key[0]: change for change in chunk}
        try:
            self.client.bulk_create_domain_users(rows, key=label)
        except ProviderError as error:
            if not answer_lost(error):
                raise
            self._finish_lost_bulk(label, waiting, context)
            return
        deadline = time.monotonic() + self.settings.bulk_timeout
        pause = _FIRST_POLL_SECONDS
        while True:
            self._take_listed(waiting, context)
            if not waiting:
                return
            if time.monotonic() + pause > deadline:
                missing = ", ".join(sorted(waiting)[:5])
                raise ProviderError(
                    vendor=self.name,
                    message=f"{len(waiting)} bulk-created user(s) did not appear within "
                    f"{self.settings.bulk_timeout:g} s (first: {missing}); run plan again to see them",
                    kind=USERS.name,
                    key=label,
                )
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_POLL_SECONDS)

    def _take_listed(self, waiting: dict[str, Change], context: ApplyContext) -> None:
        """Record (and settle) the waiting users the domain's user list shows, and stop waiting for them."""
        for item in self.client.list_domain_users():
            created = waiting.pop(str(item["user"]["email"]).lower(), None)
            if created is not None:
                user_id = str(item["user"]["id"])
                context.record(USERS.name, created.key, user_id)
                settle_user(self.client, created, user_id, item)

    def _finish_lost_bulk(self, label: str, waiting: dict[str, Change], context: ApplyContext) -> None:
        """The bulk call's answer was lost: it may have been queued, or not.

        It is not sent again: what Skilljar's bulk create does with a known e-mail is not documented,
        and a job that was queued may still be running. The users the list shows already are taken
        as they are; the rest get the single create, which Skilljar keys by e-mail (a known one
        returns the existing user), so it is safe whether or not the lost job lands, before or after.
        Those run `parallelism` at a time, as the apply's own calls do; after a failure none starts.
        """
        before = len(waiting)
        self._take_listed(waiting, context)
        log.info(
            "%s: the answer was lost; %d user(s) are there, %d are created one by one",
            label,
            before - len(waiting),
            len(waiting),
        )
        failed = threading.Event()

        def create(change: Change) -> None:
            if failed.is_set():
                return
            try:
                create_user(self.client, change, context)
            except BaseException:
                failed.set()
                raise

        with ThreadPoolExecutor(self.settings.parallelism, thread_name_prefix="lmsform-bulk") as pool:
            done = [pool.submit(create, change) for change in waiting.values()]
        for future in done:
            future.result()  # the first failure, if any

    def close(self) -> None:
        self.http.close()

    @classmethod
    def emulator_app(
        cls, state_path: Path, *, api_key: str | None, target: str | None, sandbox: bool = False
    ) -> WSGIApplication:
        from lmsform.providers.skilljar.emulator import (
            SkilljarEmulatorOptions,
            create_app,
            emulator_store,
            seed,
        )

        options = SkilljarEmulatorOptions(domains=(target,)) if target else SkilljarEmulatorOptions()
        app = create_app(state_path, api_key=api_key, options=options)
        if sandbox:
            domain = options.domains[0]
            # Seeding reuses what exists by slug and name, so this is safe on every start.
            seed(emulator_store(app), {
                "paths": [{"domain": domain, "slug": slug, "title": title} for slug, title in SANDBOX_PATHS],
                "plans": [{"domain": domain, "name": name, "slug": slug} for name, slug in SANDBOX_PLANS],
            })  # fmt: skip
        return app
