"""The accounts the crash tests apply, per vendor, and what each vendor's emulator holds, read from its own
state (never through lmsform): which objects are there, by lmsform address, and which are there twice.

Each account is a couple of hundred changes of every kind the vendor writes, so that kills fall at
different stages: users (in bulk; on Damstra, a few leavers made and then inactivated), groups (on
Damstra, a hierarchy, parents first), memberships and supervisors, courses and publications,
enrollments, webhooks. The organisations come from the benchmarks' generator, at a smaller size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from benchmarks.orgs import Org, ProjectSettings, Size, dump_yaml, make_org, seed_document, write_project
from lmsform.kinds import ALL_EVENTS, address
from lmsform.providers.emulation.registry import emulator_for
from tests.conftest import CANARY_KEY, DOMAIN

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

VERSAL_KEY = "ca4a1a7e-5eed-4c0d-9e11-0000c0ffee42"  # Versal's keys are UUIDs
TRAINING_RECORDS_USER = "acme-api"
LEAVERS = 3  # Damstra users declared inactive
State = Mapping[str, Any]  # an emulator's `/_emulator/state` document


@dataclass(frozen=True)
class CrashAccount:
    vendor: str
    size: Size
    credentials: Mapping[str, str]  # environment variables the project's lmsform.yaml reads
    make_app: Callable[[Path], WSGIApplication]  # the emulator, on a new state file
    # Addresses of the objects the state holds, each with how many records hold it (more than 1: a
    # duplicate); and the duplicates addresses cannot show (two user records of one e-mail).
    present: Callable[[State], Counter[str]]
    extra_duplicates: Callable[[State], list[str]] = field(default=lambda state: [])

    @property
    def org(self) -> Org:
        return make_org(self.vendor, "crash", size=self.size)

    def base_seed(self) -> dict[str, Any]:
        """What an empty account starts with: what the vendor's API cannot create."""
        return seed_document(self.org.base())

    def write_project(self, directory: Path, api_root: str, parallelism: int) -> None:
        org = self.org
        write_project(org, directory, ProjectSettings(base_url=api_root, parallelism=parallelism, timeout=30))
        if self.vendor == "damstra":
            _damstra_hierarchy(org, directory / "groups.yaml")
            _damstra_leavers(directory, LEAVERS)

    def duplicates(self, state: State) -> list[str]:
        twice = [f"{name} x{count}" for name, count in sorted(self.present(state).items()) if count > 1]
        return twice + self.extra_duplicates(state)


def _damstra_hierarchy(org: Org, path: Path) -> None:
    """Groups as a tree (team 0 at the top, team n under team (n-1)//2), so creates go parents first."""
    groups = []
    for index, group in enumerate(org.groups):
        entry: dict[str, Any] = {"name": group.name, "description": group.description}
        if index:
            entry["parent"] = org.groups[(index - 1) // 2].name
        groups.append(entry)
    path.write_text(dump_yaml({"groups": groups}), encoding="utf-8")


def _damstra_leavers(directory: Path, count: int) -> None:
    """The last `count` users are leavers, declared inactive, without groups or lessons (Damstra schedules
    no lesson for an inactive user): Damstra creates them, then inactivates them."""
    users_file, enrollments_file = directory / "users.yaml", directory / "enrollments.yaml"
    users = yaml.safe_load(users_file.read_text(encoding="utf-8"))
    leavers = set()
    for entry in users["users"][-count:]:
        entry["active"] = False
        entry.pop("groups", None)
        leavers.add(entry["username"])
    users_file.write_text(dump_yaml(users), encoding="utf-8")
    enrollments = yaml.safe_load(enrollments_file.read_text(encoding="utf-8"))
    for entry in enrollments["enrollments"]:
        entry["users"] = [name for name in entry["users"] if name not in leavers]
    enrollments_file.write_text(dump_yaml(enrollments), encoding="utf-8")


def _rows(state: State, table: str) -> list[dict[str, Any]]:
    rows = state.get(table) or []
    return list(rows.values()) if isinstance(rows, Mapping) else list(rows)


# --- Skilljar -----------------------------------------------------------------------------------------------


def _skilljar_app(path: Path) -> WSGIApplication:
    from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app

    # Bulk-created users appear a moment after the 202, as on Skilljar: a kill can fall in between.
    options = SkilljarEmulatorOptions(domains=(DOMAIN,), bulk_create_delay_s=0.2)
    app: WSGIApplication = create_app(path, api_key=CANARY_KEY, options=options)
    return app


def _skilljar_present(state: State) -> Counter[str]:
    emails = {row["id"]: row["email"].lower() for row in _rows(state, "users")}
    groups = {row["id"]: row["name"] for row in _rows(state, "groups")}
    courses = {row["id"]: row["title"] for row in _rows(state, "courses")}
    publications = {
        row["id"]: courses[row["course_id"]]
        for row in _rows(state, "published_courses")
        if row["domain_name"] == DOMAIN
    }
    paths = {row["id"]: row["slug"] for row in _rows(state, "published_paths")}
    plans = {row["id"]: row["name"] for row in _rows(state, "plans")}

    def target(row: Mapping[str, Any]) -> tuple[str, str]:
        if row["published_course_id"]:
            return "course", publications[row["published_course_id"]]
        if row["published_path_id"]:
            return "path", paths[row["published_path_id"]]
        return "plan", plans[row["plan_id"]]

    return Counter(
        [
            *(
                address("users", (emails[row["user_id"]],))
                for row in _rows(state, "domain_users")
                if row["domain_name"] == DOMAIN
            ),
            *(address("groups", (name,)) for name in groups.values()),
            *(
                address("memberships", (groups[row["group_id"]], emails[row["user_id"]]))
                for row in _rows(state, "group_users")
            ),
            *(address("courses", (title,)) for title in courses.values()),
            *(address("publications", (title,)) for title in publications.values()),
            *(
                address("enrollments", (*target(row), emails[row["user_id"]]))
                for row in _rows(state, "enrollments")
            ),
            *(
                address("webhooks", (row["target_url"], row["event_type"] or ALL_EVENTS))
                for row in _rows(state, "webhooks")
            ),
        ]
    )


def _skilljar_duplicates(state: State) -> list[str]:
    twice = Counter(row["email"].lower() for row in _rows(state, "users"))
    return [f"two Skilljar users {email}" for email, count in twice.items() if count > 1]


# --- Damstra ------------------------------------------------------------------------------------------------


def _damstra_app(path: Path) -> WSGIApplication:
    from lmsform.providers.damstra.emulator import create_app

    app: WSGIApplication = create_app(path, access_key=CANARY_KEY)
    return app


def _damstra_present(state: State) -> Counter[str]:
    names = {row["id"]: row["user_name"].lower() for row in _rows(state, "users")}
    groups = {row["id"]: row["name"] for row in _rows(state, "groups") if row["active"]}
    lessons = {row["id"]: row["name"] for row in _rows(state, "lessons")}
    return Counter(
        [
            *(address("users", (name,)) for name in names.values()),
            *(address("groups", (name,)) for name in groups.values()),
            *(
                address("memberships", (groups[row["group_id"]], names[row["user_id"]]))
                for row in _rows(state, "memberships")
            ),
            *(
                address("group_supervisors", (groups[row["group_id"]], names[row["user_id"]]))
                for row in _rows(state, "supervisions")
            ),
            *(
                address("enrollments", ("lesson", lessons[row["lesson_id"]], names[row["user_id"]]))
                for row in _rows(state, "lessonSchedules")
                if row["cancelled_at"] is None
            ),
        ]
    )


# --- Versal -------------------------------------------------------------------------------------------------


def _versal_app(path: Path) -> WSGIApplication:
    from lmsform.providers.versal.emulator import create_app

    app: WSGIApplication = create_app(path, api_key=VERSAL_KEY)
    return app


def _versal_present(state: State) -> Counter[str]:
    emails = {row["id"]: row["email"].lower() for row in _rows(state, "users")}
    courses = {row["id"]: row["title"] for row in _rows(state, "courses")}
    return Counter(
        [
            *(address("users", (emails[row["user_id"]],)) for row in _rows(state, "memberships")),
            *(
                address("enrollments", ("org_course", courses[row["course_id"]], emails[row["user_id"]]))
                for row in _rows(state, "course_learners")
                if row["tracked"]
            ),
        ]
    )


def _versal_duplicates(state: State) -> list[str]:
    users = Counter(row["email"].lower() for row in _rows(state, "users"))
    roles = Counter((row["course_id"], row["user_id"], row["role"]) for row in _rows(state, "course_roles"))
    return [f"two Versal users {email}" for email, count in users.items() if count > 1] + [
        f"course role {key} x{count}" for key, count in roles.items() if count > 1
    ]


# --- Training Records ---------------------------------------------------------------------------------------


def _training_records_app(path: Path) -> WSGIApplication:
    from lmsform.providers.training_records.emulator import TrainingRecordsEmulatorOptions, create_app

    options = TrainingRecordsEmulatorOptions(username=TRAINING_RECORDS_USER)
    app: WSGIApplication = create_app(path, api_key=CANARY_KEY, options=options)
    return app


def _training_records_present(state: State) -> Counter[str]:
    people = {row["api_id"]: row["email"] for row in _rows(state, "people")}
    packages = {row["api_id"]: row["description"] for row in _rows(state, "packages")}
    return Counter(
        address("enrollments", ("package", packages[row["package_api_id"]], people[row["person_api_id"]]))
        for row in _rows(state, "records")
    )


ACCOUNTS: Mapping[str, CrashAccount] = {
    "skilljar": CrashAccount(
        "skilljar",
        Size(40, 5, 3, 100, paths=1, plans=1, webhooks=2),
        {"SKILLJAR_API_KEY": CANARY_KEY},
        _skilljar_app,
        _skilljar_present,
        _skilljar_duplicates,
    ),
    "damstra": CrashAccount(
        "damstra",
        Size(40, 7, 4, 100, supervised_groups=True),
        {"DAMSTRA_ACCESS_KEY": CANARY_KEY},
        _damstra_app,
        _damstra_present,
    ),
    "versal": CrashAccount(
        "versal",
        Size(50, 0, 4, 100),
        {"VERSAL_API_KEY": VERSAL_KEY},
        _versal_app,
        _versal_present,
        _versal_duplicates,
    ),
    "training-records": CrashAccount(
        "training-records",
        Size(50, 0, 4, 120),
        {"TRAINING_RECORDS_API_USER": TRAINING_RECORDS_USER, "TRAINING_RECORDS_API_KEY": CANARY_KEY},
        _training_records_app,
        _training_records_present,
    ),
}


def api_root(vendor: str, server_url: str) -> str:
    return emulator_for(vendor).api_root(server_url)
