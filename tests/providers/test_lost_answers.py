"""Lost answers, the same contract for every vendor: a write the vendor committed whose answer never came.

For every kind a provider can create, the emulator commits the first such write of an apply and then
drops its answer (the connection closes, as when a network fails after the vendor did the work). The
apply must still finish; the emulator's own store must then hold exactly one object for every key the
project declares, the lost one included; and the next plan must have nothing to do. The project is the
vendor's contract project (tests/providers/cases.py).

Each case also says how the provider recovers: a create the vendor would make twice is looked up by its
key and never sent again; a write the vendor makes idempotent is sent again, the same call.

The per-vendor suites beside this one keep what only one vendor does (bulk creates, refusals before any
work, Damstra's partial bulk import, Versal's returning user).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.plan import Action
from lmsform.providers.base import ApiProvider
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer, RecordedRequest
from tests.conftest import CliRunnerCall
from tests.oracle import exchange_errors as skilljar_exchange_errors
from tests.oracle import skilljar_spec
from tests.providers.cases import (
    CASES,
    DAMSTRA,
    SKILLJAR,
    TRAINING_RECORDS,
    VERSAL,
    ContractCase,
    write_project,
)
from tests.providers.lost_answer import apply_losing_one_answer
from tests.versal_oracle import exchange_errors as versal_exchange_errors

Store = dict[str, Any]
"""The emulator's own store, as its `GET /_emulator/state` hook dumps it."""
Key = tuple[str, ...]


@dataclass(frozen=True)
class LostWrite:
    """The first write that creates `kind` (`method`, and `path` a regex over the whole request path)
    loses its answer. `keys` lists the key of every object of that kind in the store, one entry per
    row, so a duplicate shows twice; `expected` is what it must list once the apply is done. `resent`:
    the write is idempotent at the vendor and sent again (else: looked up by its key, never resent)."""

    kind: str
    method: str
    path: str
    keys: Callable[[Store], list[Key]]
    expected: tuple[Key, ...]
    resent: bool
    variant: str = ""  # tells apart two writes of one kind (Skilljar's course and path enrollments)

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.variant}" if self.variant else self.kind


@dataclass(frozen=True)
class VendorLostWrites:
    """The lost-answer cases of one vendor: its contract case, files added to its project for kinds the
    contract project does not declare, and, where the vendor publishes a spec of its API, what in the
    recorded exchanges that spec rejects."""

    case: ContractCase
    writes: tuple[LostWrite, ...]
    files: dict[str, str] = field(default_factory=dict)
    spec_errors: Callable[[list[RecordedRequest]], list[str]] = lambda calls: []


def _by_id(rows: list[dict[str, Any]], name: str) -> dict[Any, Any]:
    return {row["id"]: row[name] for row in rows}


# --- Skilljar -------------------------------------------------------------------------------------------


def _skilljar_users(store: Store) -> list[Key]:
    return [(user["email"],) for user in store["users"]]


def _skilljar_groups(store: Store) -> list[Key]:
    return [(group["name"],) for group in store["groups"]]


def _skilljar_memberships(store: Store) -> list[Key]:
    groups, emails = _by_id(store["groups"], "name"), _by_id(store["users"], "email")
    return [(groups[row["group_id"]], emails[row["user_id"]]) for row in store["group_users"]]


def _skilljar_courses(store: Store) -> list[Key]:
    return [(course["title"],) for course in store["courses"]]


def _skilljar_publications(store: Store) -> list[Key]:
    titles = _by_id(store["courses"], "title")
    return [(titles[row["course_id"]],) for row in store["published_courses"]]


def _skilljar_enrollments(store: Store) -> list[Key]:
    titles = _by_id(store["courses"], "title")
    courses = {row["id"]: titles[row["course_id"]] for row in store["published_courses"]}
    paths = _by_id(store["published_paths"], "slug")
    emails = _by_id(store["users"], "email")
    return [
        ("course", courses[row["published_course_id"]], emails[row["user_id"]])
        if row["published_course_id"]
        else ("path", paths[row["published_path_id"]], emails[row["user_id"]])
        for row in store["enrollments"]
    ]


def _skilljar_publication_titles(store: Store) -> dict[Any, str]:
    titles = _by_id(store["courses"], "title")
    return {row["id"]: titles[row["course_id"]] for row in store["published_courses"]}


def _skilljar_prerequisites(store: Store) -> list[Key]:
    titles = _skilljar_publication_titles(store)
    rows = store["published_course_prerequisites"]
    return [(titles[row["published_course_id"]], titles[row["prerequisite_id"]]) for row in rows]


def _skilljar_publication_tags(store: Store) -> list[Key]:
    titles, tags = _skilljar_publication_titles(store), _by_id(store["tags"], "name")
    rows = store["published_course_tags"]
    return [(titles[row["published_course_id"]], tags[row["tag_id"]]) for row in rows]


def _skilljar_path_tags(store: Store) -> list[Key]:
    slugs, tags = _by_id(store["published_paths"], "slug"), _by_id(store["tags"], "name")
    return [(slugs[row["published_path_id"]], tags[row["tag_id"]]) for row in store["published_path_tags"]]


def _skilljar_paths(store: Store) -> list[Key]:
    return [(path["slug"],) for path in store["published_paths"]]


def _skilljar_instructors(store: Store) -> list[Key]:
    return [(row["email"],) for row in store["ilt_instructors"]]


def _skilljar_sessions(store: Store) -> list[Key]:
    lessons = _by_id(store["lessons"], "title")
    return [(lessons[row["lesson"]], row["starts_at"]) for row in store["ilt_sessions"]]


def _skilljar_webhooks(store: Store) -> list[Key]:
    return [(hook["target_url"], hook["event_type"]) for hook in store["webhooks"]]


SKILLJAR_API = "/v1/domains/acme.skilljar.com"
SKILLJAR_WRITES = VendorLostWrites(
    SKILLJAR,
    (
        LostWrite(
            "users",
            "POST",
            f"{SKILLJAR_API}/users",
            _skilljar_users,
            (("ann@acme.com",), ("bob@acme.com",), ("cy@acme.com",)),
            resent=True,  # Skilljar answers a known e-mail with the user it has
        ),
        LostWrite("groups", "POST", "/v1/groups", _skilljar_groups, (("crew",),), resent=False),
        LostWrite(
            "memberships",
            "POST",
            "/v1/groups/[^/]+/users",
            _skilljar_memberships,
            (("crew", "ann@acme.com"), ("crew", "bob@acme.com")),
            resent=False,
        ),
        LostWrite(
            "courses",
            "POST",
            "/v1/courses",
            _skilljar_courses,
            (("Crane operation",), ("Site Safety",), ("Rigging",)),  # the first is seeded (its lessons)
            resent=False,
        ),
        LostWrite(
            "publications",
            "POST",
            f"{SKILLJAR_API}/published-courses",
            _skilljar_publications,
            (("Site Safety",), ("Rigging",)),
            resent=False,
        ),
        # A rule added to a publication is unique there: looked up, never added twice (skilljar.md D70).
        LostWrite(
            "publications",
            "POST",
            f"{SKILLJAR_API}/published-courses/[^/]+/published-course-prerequisites",
            _skilljar_prerequisites,
            (("Rigging", "Site Safety"),),
            resent=False,
            variant="prerequisite",
        ),
        LostWrite(
            "publications",
            "POST",
            f"{SKILLJAR_API}/published-courses/[^/]+/tags",
            _skilljar_publication_tags,
            (("Rigging", "Crew"),),
            resent=False,
            variant="tag",
        ),
        *(
            LostWrite(
                "enrollments",
                "POST",
                path,
                _skilljar_enrollments,
                (
                    ("course", "Site Safety", "ann@acme.com"),
                    ("course", "Site Safety", "bob@acme.com"),
                    ("path", "onboarding", "cy@acme.com"),
                ),
                resent=True,  # the same (user, enrolled_at) is Skilljar's idempotency key
                variant=variant,
            )
            for variant, path in (
                ("course", f"{SKILLJAR_API}/published-courses/[^/]+/enrollments"),
                ("path", f"{SKILLJAR_API}/published-paths/[^/]+/published-path-enrollments"),
            )
        ),
        LostWrite(
            "paths",
            "POST",
            f"{SKILLJAR_API}/published-paths",
            _skilljar_paths,
            (("onboarding",), ("crew-induction",)),
            resent=False,  # slugs are unique per domain: looked up in the path list (skilljar.md D60)
        ),
        # A path's tag is unique there, as a publication's: looked up, never added twice (skilljar.md D85).
        LostWrite(
            "paths",
            "POST",
            f"{SKILLJAR_API}/published-paths/[^/]+/tags",
            _skilljar_path_tags,
            (("crew-induction", "Induction"),),
            resent=False,
            variant="tag",
        ),
        LostWrite(
            "webhooks",
            "POST",
            "/v1/webhooks",
            _skilljar_webhooks,
            (("https://hooks.acme.example/lms", "COURSE_COMPLETION"),),
            resent=False,
        ),
        LostWrite(
            "instructors",
            "POST",
            "/v1/ilt-instructors",
            _skilljar_instructors,
            (("ian@acme.com",),),
            resent=False,  # one instructor per e-mail: looked up with ?email= (skilljar.md D81)
        ),
        LostWrite(
            "sessions",
            "POST",
            "/v1/ilt-sessions",
            _skilljar_sessions,
            (("Practical", "2031-05-06T09:00:00.000000Z"),),
            resent=False,  # two sessions may be alike: looked for in the session list (skilljar.md D79)
        ),
    ),
    files={
        "hooks.yaml": "webhooks:\n  - url: https://hooks.acme.example/lms\n    events: [COURSE_COMPLETION]\n"
    },
    spec_errors=lambda calls: skilljar_exchange_errors(skilljar_spec(), calls),
)


# --- Damstra --------------------------------------------------------------------------------------------


def _damstra_users(store: Store) -> list[Key]:
    return [(user["user_name"],) for user in store["users"]]


def _damstra_groups(store: Store) -> list[Key]:
    return [(group["name"],) for group in store["groups"] if group["active"]]


def _damstra_related(table: str) -> Callable[[Store], list[Key]]:
    def keys(store: Store) -> list[Key]:
        groups, users = _by_id(store["groups"], "name"), _by_id(store["users"], "user_name")
        return [(groups[row["group_id"]], users[row["user_id"]]) for row in store[table]]

    return keys


def _damstra_schedules(store: Store) -> list[Key]:
    lessons, users = _by_id(store["lessons"], "name"), _by_id(store["users"], "user_name")
    return [
        ("lesson", lessons[row["lesson_id"]], users[row["user_id"]])
        for row in store["lessonSchedules"]
        if row["cancelled_at"] is None
    ]


def _damstra_sessions(store: Store) -> list[Key]:
    lessons = _by_id(store["lessons"], "name")
    return [
        (lessons[row["lesson_id"]], row["start_at"], row["end_at"])
        for row in store["iltSessions"]
        if row["status_id"] != 3  # cancelled
    ]


DAMSTRA_API = "/api/v2"
DAMSTRA_WRITES = VendorLostWrites(
    DAMSTRA,
    (
        LostWrite(
            "users",
            "POST",
            f"{DAMSTRA_API}/user",
            _damstra_users,
            (("owner",), ("ann.lee",), ("bob.ray",), ("cy.ng",)),  # the owner comes with the account
            resent=False,
        ),
        LostWrite(
            "groups",
            "POST",
            f"{DAMSTRA_API}/group",
            _damstra_groups,
            (("site-perth",), ("crew-a",), ("crew-b",)),
            resent=False,
        ),
        LostWrite(
            "memberships",
            "POST",
            rf"{DAMSTRA_API}/group/\d+/add_members",
            _damstra_related("memberships"),
            (("crew-a", "ann.lee"), ("crew-a", "bob.ray"), ("crew-b", "cy.ng")),
            resent=True,
        ),
        LostWrite(
            "group_supervisors",
            "POST",
            rf"{DAMSTRA_API}/group/\d+/add_supervisors",
            _damstra_related("supervisions"),
            (("crew-a", "ann.lee"),),
            resent=True,
        ),
        LostWrite(
            "enrollments",
            "POST",
            rf"{DAMSTRA_API}/user/\d+/lesson_schedule",
            _damstra_schedules,
            (
                ("lesson", "Fire Safety", "ann.lee"),
                ("lesson", "Fire Safety", "bob.ray"),  # the session's attendees (tests/providers/cases.py)
                ("lesson", "Fire Safety", "cy.ng"),
                ("lesson", "Site Induction", "ann.lee"),
                ("lesson", "Site Induction", "bob.ray"),
                ("lesson", "Site Induction", "cy.ng"),
            ),
            resent=True,  # refused (409) as already held, then the user's schedules are read
        ),
        LostWrite(
            "sessions",
            "POST",
            f"{DAMSTRA_API}/ilt_session",
            _damstra_sessions,
            (("Fire Safety", "2030-05-04T01:00:00.000000+00:00", "2030-05-04T04:00:00.000000+00:00"),),
            resent=False,  # Damstra keeps no key for sessions: found in the list, never sent again
        ),
    ),
)


# --- Versal ---------------------------------------------------------------------------------------------


def _versal_members(store: Store) -> list[Key]:
    emails = _by_id(store["users"], "email")
    return [(emails[row["user_id"]],) for row in store["memberships"] if row["org_id"] == 4242]


def _versal_course_roles(store: Store) -> list[Key]:
    titles, emails = _by_id(store["courses"], "title"), _by_id(store["users"], "email")
    return [("org_course", titles[row["course_id"]], emails[row["user_id"]]) for row in store["course_roles"]]


VERSAL_WRITES = VendorLostWrites(
    VERSAL,
    (
        LostWrite(
            "users",
            "POST",
            "/api2/orgs/4242/users",
            _versal_members,
            (("ann@acme.com",), ("bob@acme.com",), ("cy@acme.com",)),
            resent=False,  # a repeat is refused: "User already exists in organization"
        ),
        LostWrite(
            "enrollments",
            "PATCH",
            r"/api2/courses/\d+/users/\d+",
            _versal_course_roles,
            (
                ("org_course", "Customer Care", "ann@acme.com"),
                ("org_course", "Workplace Safety", "bob@acme.com"),
                ("org_course", "Workplace Safety", "cy@acme.com"),
            ),
            resent=True,  # a PATCH that sets the roles and tracking
        ),
    ),
    # Requests only: the registry's emulator answers dates with a time, which the spec's `date` refuses.
    spec_errors=lambda calls: versal_exchange_errors(calls, responses=False),
)


# --- Training Records -----------------------------------------------------------------------------------


def _training_records(store: Store) -> list[Key]:
    return [("package", row["package_api_id"], row["person_api_id"]) for row in store["records"]]


TRAINING_RECORDS_WRITES = VendorLostWrites(
    TRAINING_RECORDS,
    (
        LostWrite(
            "enrollments",
            "POST",
            "/training/record/",
            _training_records,
            (
                ("package", "pkg-fire", "p-1"),
                ("package", "pkg-fire", "p-2"),
                ("package", "pkg-privacy", "p-3"),
            ),
            resent=True,  # lmsform names the record (`api_id`): the repeat is refused, the record read
        ),
    ),
)


VENDORS = [SKILLJAR_WRITES, DAMSTRA_WRITES, VERSAL_WRITES, TRAINING_RECORDS_WRITES]
LOST_WRITES = [
    pytest.param(vendor, write, id=f"{vendor.case.provider}-{write.name}")
    for vendor in VENDORS
    for write in vendor.writes
]


def _creatable_kinds(case: ContractCase) -> set[str]:
    provider = case.provider_class
    assert issubclass(provider, ApiProvider)
    return {kind for kind, action in provider.OPERATIONS if action is Action.CREATE}


def test_every_vendor_of_the_contract_has_its_lost_answers() -> None:
    assert [vendor.case for vendor in VENDORS] == CASES


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda vendor: vendor.case.provider)
def test_every_kind_a_provider_can_create_has_a_lost_answer_case(vendor: VendorLostWrites) -> None:
    assert {write.kind for write in vendor.writes} == _creatable_kinds(vendor.case)


@pytest.fixture
def server(
    vendor: VendorLostWrites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EmulatorServer]:
    """The vendor's emulator, seeded as its contract case says (`vendor` comes from the test's parameters)."""
    case = vendor.case
    monkeypatch.setenv(case.key_variable, case.key)
    for name, value in case.extra_env.items():
        monkeypatch.setenv(name, value)
    app = emulator_for(case.provider).app(
        tmp_path / f"{case.provider}.sqlite3", api_key=case.key, target=None
    )
    with EmulatorServer(app) as running:
        case.seed(running.url)
        yield running


def _store(server: EmulatorServer) -> Store:
    answer = requests.get(f"{server.url}/_emulator/state", timeout=10)
    answer.raise_for_status()
    store: Store = answer.json()
    return store


def _same_call(call: RecordedRequest, lost: RecordedRequest) -> bool:
    return (call.method, call.path, call.body) == (lost.method, lost.path, lost.body)


@pytest.mark.parametrize(("vendor", "write"), LOST_WRITES)
def test_a_write_whose_answer_is_lost_leaves_exactly_one_object(
    vendor: VendorLostWrites, write: LostWrite, server: EmulatorServer, tmp_path: Path, cli: CliRunnerCall
) -> None:
    root = tmp_path / "project"
    api_root = emulator_for(vendor.case.provider).api_root(server.url)
    write_project(root, vendor.case, api_root, {**vendor.case.files, **vendor.files})

    applied = apply_losing_one_answer(server, root, cli, write.method, write.path)

    assert vendor.spec_errors(applied.calls) == []
    again = [call for call in applied.after if _same_call(call, applied.lost)]
    assert len(again) == (1 if write.resent else 0)
    assert sorted(write.keys(_store(server))) == sorted(write.expected)
