"""Synthetic organisations per vendor and size: the manifests lmsform reads, and the emulator seed
document that makes the emulator hold exactly what those manifests declare.

An `Org` is vendor-neutral (people, groups, enrollment targets, enrollments, webhooks); `write_project`
turns it into a vendor's manifests and `seed_document` into that vendor's seed document, in full (the
account as the manifests declare it) or as the base an empty account starts from (only what the vendor's
API cannot create: Skilljar paths and plans, Damstra lessons, Versal courses, Training Records people
and packages).

Sizes (users, groups, courses / lessons / packages, enrollments):

| vendor           | S                  | M                        | L                          |
|------------------|--------------------|--------------------------|----------------------------|
| skilljar         | 500, 10, 5, 1,500  | 5,000, 75, 40, 15,000    | 20,000, 300, 150, 60,000   |
| damstra          | 500, 20, 10, 1,500 | 5,000, 100, 50, 10,000   | 5,000, 200, 100, 15,000    |
| versal           | 500, -, 5, 1,500   | 5,000, -, 40, 15,000     | 20,000, -, 150, 60,000     |
| training-records | 500, -, 5, 1,500   | 5,000, -, 40, 15,000     | 20,000, -, 150, 60,000     |

Versal and Training Records have no groups; they are sized like Skilljar otherwise ("sized alike").
Skilljar adds 2 learning paths and 1 plan (which its API cannot create) to the enrollment targets and 3
webhooks; Damstra gives each group one supervisor.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lmsform.providers.training_records.operations import record_id

VENDORS = ("skilljar", "damstra", "versal", "training-records")
SIZE_NAMES = ("S", "M", "L")
TargetWord = Literal["course", "path", "plan"]

SKILLJAR_DOMAIN = "acme.skilljar.com"
DAMSTRA_ORGANISATION = "Acme Safety"  # the Damstra emulator's default organisation
VERSAL_ORGANISATION = 4242  # the Versal emulator's default org id
CHANGED_COMPLETION = "2026-01-12"
# Environment variables the generated lmsform.yaml reads credentials from, with benchmark values.
CREDENTIALS: Mapping[str, Mapping[str, str]] = {
    "skilljar": {"SKILLJAR_API_KEY": "bench-key"},
    "damstra": {"DAMSTRA_ACCESS_KEY": "bench-key"},
    "versal": {"VERSAL_API_KEY": "5b0c7d4e-7a43-4c1e-9b8e-2f2a8f3c9d10"},
    "training-records": {"TRAINING_RECORDS_API_USER": "bench", "TRAINING_RECORDS_API_KEY": "bench-key"},
}

_FIRST_NAMES = ("Ann", "Raj", "Mia", "Tom", "Zoe", "Sam", "Lena", "Kate", "Dave", "Jo", "Omar", "Ines")
_LAST_NAMES = ("Lee", "Singh", "Brown", "Nguyen", "Clark", "Patel", "Kowalski", "Hill", "Parker", "Smith")


@dataclass(frozen=True)
class Size:
    users: int
    groups: int
    courses: int  # courses (Skilljar), lessons (Damstra), courses (Versal), packages (Training Records)
    enrollments: int
    paths: int = 0  # Skilljar learning paths (seeded: the API cannot create them)
    plans: int = 0  # Skilljar plans (seeded)
    webhooks: int = 0  # Skilljar webhooks, one event each
    supervised_groups: bool = False  # Damstra: every group gets one supervisor


SIZES: Mapping[str, Mapping[str, Size]] = {
    "skilljar": {
        "S": Size(500, 10, 5, 1_500, paths=2, plans=1, webhooks=3),
        "M": Size(5_000, 75, 40, 15_000, paths=2, plans=1, webhooks=3),
        "L": Size(20_000, 300, 150, 60_000, paths=2, plans=1, webhooks=3),
    },
    "damstra": {
        "S": Size(500, 20, 10, 1_500, supervised_groups=True),
        "M": Size(5_000, 100, 50, 10_000, supervised_groups=True),
        "L": Size(5_000, 200, 100, 15_000, supervised_groups=True),
    },
    "versal": {
        "S": Size(500, 0, 5, 1_500),
        "M": Size(5_000, 0, 40, 15_000),
        "L": Size(20_000, 0, 150, 60_000),
    },
    "training-records": {
        "S": Size(500, 0, 5, 1_500),
        "M": Size(5_000, 0, 40, 15_000),
        "L": Size(20_000, 0, 150, 60_000),
    },
}


@dataclass(frozen=True)
class Person:
    email: str
    username: str
    first_name: str
    last_name: str
    api_id: str  # the person's id in the vendor's directory (Training Records)


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    members: tuple[int, ...]
    supervisors: tuple[int, ...] = ()


@dataclass(frozen=True)
class Target:
    """What an enrollment names: a course (lesson, package), a learning path or a plan."""

    word: TargetWord
    name: str
    api_id: str
    creatable: bool  # False: the vendor's API cannot create it, so every scenario seeds it


@dataclass(frozen=True)
class Enrollment:
    target: int
    user: int
    completed: str | None = None  # Training Records: when the person completed the package


@dataclass(frozen=True)
class Org:
    vendor: str
    size: str
    people: tuple[Person, ...]
    groups: tuple[Group, ...]
    targets: tuple[Target, ...]
    enrollments: tuple[Enrollment, ...]
    webhooks: tuple[tuple[str, str], ...] = ()  # (url, event)
    # What `changed()` changed, for the floors of the change scenario.
    changed_users: tuple[int, ...] = field(default=(), compare=False)
    new_enrollments: tuple[Enrollment, ...] = field(default=(), compare=False)
    completed_enrollments: tuple[Enrollment, ...] = field(default=(), compare=False)

    @property
    def objects(self) -> int:
        memberships = sum(len(group.members) + len(group.supervisors) for group in self.groups)
        return (
            len(self.people)
            + len(self.groups)
            + memberships
            + len(self.targets)
            + len(self.enrollments)
            + len(self.webhooks)
        )

    def enrollments_per_target(self) -> dict[str, int]:
        """Target name → how many enrollments name it (every target listed, with 0 if none)."""
        counts = Counter(self.targets[item.target].name for item in self.enrollments)
        return {target.name: counts.get(target.name, 0) for target in self.targets}

    def enrollments_per_user(self) -> Counter[int]:
        return Counter(item.user for item in self.enrollments)

    def base(self) -> Org:
        """The empty account: only the targets the vendor's API cannot create."""
        return Org(
            vendor=self.vendor,
            size=self.size,
            people=self.people if self.vendor == "training-records" else (),
            groups=(),
            targets=tuple(target for target in self.targets if not target.creatable),
            enrollments=(),
        )


def make_org(vendor: str, size_name: str, *, size: Size | None = None) -> Org:
    """A deterministic organisation: the same vendor and size always give the same one. `size`, when
    given, replaces the table's (a size of the caller's, called `size_name`)."""
    size = size if size is not None else SIZES[vendor][size_name]
    people = tuple(_person(index) for index in range(size.users))
    groups = _groups(size)
    targets = _targets(vendor, size)
    enrollments = _spread(size.users, len(targets), size.enrollments)
    webhooks = tuple(
        (f"https://hooks.acme.example/lms/{index}", event)
        for index, event in enumerate(("COURSE_COMPLETION", "PATH_COMPLETION", "COURSE_ENROLLMENT"))
        if index < size.webhooks
    )
    return Org(vendor, size_name, people, groups, targets, enrollments, webhooks)


def _person(index: int) -> Person:
    handle = f"user{index:06d}"
    return Person(
        email=f"{handle}@acme.example",
        username=handle,
        first_name=_FIRST_NAMES[index % len(_FIRST_NAMES)],
        last_name=f"{_LAST_NAMES[index % len(_LAST_NAMES)]}{index}",
        api_id=f"p-{index:06d}",
    )


def _groups(size: Size) -> tuple[Group, ...]:
    """User u belongs to group u mod G; with supervisors, each group's first member supervises it."""
    if not size.groups:
        return ()
    members: list[list[int]] = [[] for _ in range(size.groups)]
    for user in range(size.users):
        members[user % size.groups].append(user)
    return tuple(
        Group(
            name=f"team-{index:04d}",
            description=f"Team {index}",
            members=tuple(people),
            supervisors=(people[0],) if size.supervised_groups and people else (),
        )
        for index, people in enumerate(members)
    )


def _targets(vendor: str, size: Size) -> tuple[Target, ...]:
    creatable = vendor == "skilljar"  # only Skilljar's API creates courses; the others only name them
    word: TargetWord = "course"
    prefix = {"damstra": "Lesson", "training-records": "Package"}.get(vendor, "Course")
    targets = [
        Target(word, f"{prefix} {index:04d}", f"pkg-{index:04d}", creatable) for index in range(size.courses)
    ]
    targets += [Target("path", f"path-{index:02d}-track", "", False) for index in range(size.paths)]
    targets += [Target("plan", f"Plan {index:02d}", "", False) for index in range(size.plans)]
    return tuple(targets)


def _spread(users: int, targets: int, total: int) -> tuple[Enrollment, ...]:
    """`total` distinct (target, user) pairs: user u takes targets u, u+1, … (mod the target count)."""
    if not users or not targets:
        return ()
    per_user, extra = divmod(total, users)
    if per_user + (1 if extra else 0) > targets:
        raise ValueError(f"{total} enrollments do not fit {users} users x {targets} targets")
    return tuple(
        Enrollment((user + step) % targets, user)
        for user in range(users)
        for step in range(per_user + (1 if user < extra else 0))
    )


def changed(org: Org) -> Org:
    """The same organisation with 1 % of users and 1 % of enrollments changed.

    Users: every 100th gets a new last name (Training Records cannot change people: none). Enrollments:
    1 % new (each user picked gets the next target they do not take yet); on Training Records another 1 %
    of records are marked completed, so its change is as large as the others'.
    """
    changed_users = (
        () if org.vendor == "training-records" else tuple(range(50 % len(org.people), len(org.people), 100))
    )
    people = list(org.people)
    for index in changed_users:
        people[index] = replace(people[index], last_name=people[index].last_name + " II")
    taken = org.enrollments_per_user()
    wanted = max(1, math.ceil(len(org.enrollments) / 100))
    stride = max(1, len(org.people) // wanted)
    new = tuple(
        Enrollment((user + taken[user]) % len(org.targets), user)
        for user in range(0, len(org.people), stride)[:wanted]
    )
    enrollments = list(org.enrollments) + list(new)
    completed: tuple[Enrollment, ...] = ()
    if org.vendor == "training-records":
        picks = range(7, len(org.enrollments), max(1, len(org.enrollments) // wanted))[:wanted]
        completed = tuple(replace(org.enrollments[index], completed=CHANGED_COMPLETION) for index in picks)
        for index, item in zip(picks, completed, strict=True):
            enrollments[index] = item
    return replace(
        org,
        people=tuple(people),
        enrollments=tuple(enrollments),
        changed_users=changed_users,
        new_enrollments=new,
        completed_enrollments=completed,
    )


# --- manifests -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSettings:
    """What the generated lmsform.yaml says besides the vendor's own settings."""

    base_url: str
    parallelism: int = 8
    rate_limit: float | None = None  # calls per minute (`provider.rate_limit`)
    timeout: float = 60.0
    extra: Mapping[str, Any] = field(default_factory=dict)  # more `provider:` settings (`retries` …)


def write_project(org: Org, directory: Path, settings: ProjectSettings) -> list[Path]:
    """Write lmsform.yaml and the resource files for `org` into `directory` (created); returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"lmsform.yaml": {"provider": _provider(org.vendor, settings)}, **_resources(org)}
    written = []
    for name, document in files.items():
        path = directory / name
        path.write_text(dump_yaml(document), encoding="utf-8")
        written.append(path)
    return written


def _provider(vendor: str, settings: ProjectSettings) -> dict[str, Any]:
    provider: dict[str, Any] = {"type": vendor}
    if vendor == "skilljar":
        provider.update(domain=SKILLJAR_DOMAIN, api_key="${SKILLJAR_API_KEY}")
    elif vendor == "damstra":
        provider.update(organisation=DAMSTRA_ORGANISATION, access_key="${DAMSTRA_ACCESS_KEY}")
    elif vendor == "versal":
        provider.update(organisation=VERSAL_ORGANISATION, api_key="${VERSAL_API_KEY}")
    else:
        provider.update(username="${TRAINING_RECORDS_API_USER}", api_key="${TRAINING_RECORDS_API_KEY}")
    provider.update(base_url=settings.base_url, parallelism=settings.parallelism, timeout=settings.timeout)
    if settings.rate_limit is not None:
        provider["rate_limit"] = settings.rate_limit
    provider.update(settings.extra)
    return provider


def _resources(org: Org) -> dict[str, dict[str, Any]]:
    if org.vendor == "skilljar":
        return _skilljar_resources(org)
    if org.vendor == "damstra":
        return _damstra_resources(org)
    if org.vendor == "versal":
        return _versal_resources(org)
    return _training_records_resources(org)


def _groups_of(org: Org, relation: str = "members") -> dict[int, list[str]]:
    """User index → names of the groups they are in (or supervise)."""
    by_user: dict[int, list[str]] = {}
    for group in org.groups:
        for user in getattr(group, relation):
            by_user.setdefault(user, []).append(group.name)
    return by_user


def _enrollment_entries(org: Org, learner: Any) -> list[dict[str, Any]]:
    """One entry per target (and per set of extra fields), learners named by `learner(person)`."""
    grouped: dict[tuple[int, str | None], list[int]] = {}
    for item in org.enrollments:
        grouped.setdefault((item.target, item.completed), []).append(item.user)
    entries = []
    for (target_index, completed), users in sorted(
        grouped.items(), key=lambda pair: (pair[0][0], str(pair[0][1]))
    ):
        target = org.targets[target_index]
        entry: dict[str, Any] = {target.word: target.name, "users": [learner(org.people[u]) for u in users]}
        if completed is not None:
            entry["completed"] = completed
        entries.append(entry)
    return entries


def _skilljar_resources(org: Org) -> dict[str, dict[str, Any]]:
    groups = _groups_of(org)
    users = []
    for index, person in enumerate(org.people):
        entry: dict[str, Any] = {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
        }
        if index in groups:
            entry["groups"] = groups[index]
        users.append(entry)
    courses = [
        {"title": target.name, "short_description": f"About {target.name}", "published": True}
        for target in org.targets
        if target.word == "course"
    ]
    by_url: dict[str, list[str]] = {}
    for url, event in org.webhooks:
        by_url.setdefault(url, []).append(event)
    resources: dict[str, dict[str, Any]] = {
        "users.yaml": {"users": users},
        "groups.yaml": {"groups": [{"name": group.name} for group in org.groups]},
        "courses.yaml": {"courses": courses},
        "enrollments.yaml": {"enrollments": _enrollment_entries(org, lambda person: person.email)},
    }
    if by_url:
        resources["webhooks.yaml"] = {
            "webhooks": [{"url": url, "events": events} for url, events in by_url.items()]
        }
    return resources


def _damstra_resources(org: Org) -> dict[str, dict[str, Any]]:
    groups, supervises = _groups_of(org), _groups_of(org, "supervisors")
    users = []
    for index, person in enumerate(org.people):
        entry: dict[str, Any] = {
            "username": person.username,
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
        }
        if index in groups:
            entry["groups"] = groups[index]
        if index in supervises:
            entry["supervises"] = supervises[index]
        users.append(entry)
    return {
        "users.yaml": {"users": users},
        "groups.yaml": {"groups": [{"name": g.name, "description": g.description} for g in org.groups]},
        "enrollments.yaml": {"enrollments": _enrollment_entries(org, lambda person: person.username)},
    }


def _versal_resources(org: Org) -> dict[str, dict[str, Any]]:
    users = [
        {"email": person.email, "first_name": person.first_name, "last_name": person.last_name}
        for person in org.people
    ]
    return {
        "users.yaml": {"users": users},
        "enrollments.yaml": {"enrollments": _enrollment_entries(org, lambda person: person.email)},
    }


def _training_records_resources(org: Org) -> dict[str, dict[str, Any]]:
    return {
        "directory.yaml": {
            "users": [{"email": person.email, "api_id": person.api_id} for person in org.people],
            "courses": [{"title": target.name, "api_id": target.api_id} for target in org.targets],
        },
        "enrollments.yaml": {"enrollments": _enrollment_entries(org, lambda person: person.email)},
    }


def dump_yaml(document: Mapping[str, Any]) -> str:
    """Block-style YAML for the shapes manifests use (mappings, lists, scalars); strings double-quoted
    (JSON strings are valid YAML), short lists of scalars in flow style."""
    lines: list[str] = []
    _emit_mapping(document, 0, lines)
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (Mapping, list, tuple))


def _emit_mapping(mapping: Mapping[str, Any], indent: int, lines: list[str], first_prefix: str = "") -> None:
    pad = " " * indent
    for position, (key, value) in enumerate(mapping.items()):
        lead = first_prefix if position == 0 and first_prefix else pad
        if _is_scalar(value):
            lines.append(f"{lead}{key}: {_scalar(value)}")
        elif isinstance(value, Mapping):
            lines.append(f"{lead}{key}:")
            _emit_mapping(value, indent + 2, lines)
        elif all(_is_scalar(item) for item in value) and len(value) <= 5:
            lines.append(f"{lead}{key}: [{', '.join(_scalar(item) for item in value)}]")
        else:
            lines.append(f"{lead}{key}:")
            _emit_sequence(value, indent + 2, lines)


def _emit_sequence(items: Sequence[Any], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if _is_scalar(item):
            lines.append(f"{pad}- {_scalar(item)}")
        elif isinstance(item, Mapping):
            _emit_mapping(item, indent + 2, lines, first_prefix=f"{pad}- ")
        else:
            lines.append(f"{pad}-")
            _emit_sequence(item, indent + 2, lines)


# --- emulator seed documents -------------------------------------------------------------------------------


def seed_document(org: Org) -> dict[str, Any]:
    """The vendor's seed document that makes its emulator hold `org` (use `org.base()` for an empty
    account with what the API cannot create)."""
    if org.vendor == "skilljar":
        return _skilljar_seed(org)
    if org.vendor == "damstra":
        return _damstra_seed(org)
    if org.vendor == "versal":
        return _versal_seed(org)
    return _training_records_seed(org)


def _skilljar_seed(org: Org) -> dict[str, Any]:
    domain = SKILLJAR_DOMAIN
    document: dict[str, Any] = {
        "users": [
            {
                "email": person.email,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "domains": [{"name": domain, "active": True}],
            }
            for person in org.people
        ],
        "groups": [
            {"name": group.name, "members": [org.people[u].email for u in group.members]}
            for group in org.groups
        ],
        "courses": [
            {
                "title": target.name,
                "short_description": f"About {target.name}",
                "labels": ["lmsform"],  # as lmsform labels the courses it creates
                "published_on": [domain],
            }
            for target in org.targets
            if target.word == "course"
        ],
        "paths": [
            {"domain": domain, "slug": target.name, "title": target.name.replace("-", " ").title()}
            for target in org.targets
            if target.word == "path"
        ],
        "plans": [{"domain": domain, "name": target.name} for target in org.targets if target.word == "plan"],
        "enrollments": [
            {
                "domain": domain,
                org.targets[item.target].word: org.targets[item.target].name,
                "email": org.people[item.user].email,
                "active": True,
            }
            for item in org.enrollments
        ],
        "webhooks": [{"target_url": url, "event_type": event, "active": True} for url, event in org.webhooks],
    }
    return document


def _damstra_seed(org: Org) -> dict[str, Any]:
    return {
        "users": [
            {
                "userName": person.username,
                "firstName": person.first_name,
                "lastName": person.last_name,
                "emailAddress": person.email,
                "roles": [6],
            }
            for person in org.people
        ],
        "groups": [
            {
                "name": group.name,
                "description": group.description,
                "members": [org.people[u].username for u in group.members],
                "supervisors": [org.people[u].username for u in group.supervisors],
            }
            for group in org.groups
        ],
        "lessons": [{"name": target.name, "status": "active"} for target in org.targets],
        "schedules": [
            {"userName": org.people[item.user].username, "lesson": org.targets[item.target].name}
            for item in org.enrollments
        ],
    }


def _versal_seed(org: Org) -> dict[str, Any]:
    learners: dict[int, list[str]] = {}
    for item in org.enrollments:
        learners.setdefault(item.target, []).append(org.people[item.user].email)
    return {
        "users": [
            {"email": p.email, "firstname": p.first_name, "lastname": p.last_name, "roles": ["learner"]}
            for p in org.people
        ],
        "courses": [
            {
                "title": target.name,
                # as lmsform enrolls: the learner role, tracked
                "learners": learners.get(index, []),
                "tracked": learners.get(index, []),
            }
            for index, target in enumerate(org.targets)
        ],
    }


def _training_records_seed(org: Org) -> dict[str, Any]:
    records = []
    for item in org.enrollments:
        person, package = org.people[item.user].api_id, org.targets[item.target].api_id
        record: dict[str, Any] = {
            "api_id": record_id(person, package),  # the id lmsform gives the records it creates
            "person_api_id": person,
            "package_api_id": package,
        }
        if item.completed is not None:
            record["date_completed"] = f"{item.completed}T00:00:00Z"
        records.append(record)
    return {
        "people": [
            {
                "api_id": person.api_id,
                "name": f"{person.first_name} {person.last_name}",
                "email": person.email,
            }
            for person in org.people
        ],
        "packages": [{"api_id": target.api_id, "description": target.name} for target in org.targets],
        "records": records,
    }


def describe(org: Org) -> str:
    """One line on what the organisation holds."""
    parts = [f"{len(org.people):,} users"]
    if org.groups:
        memberships = sum(len(group.members) for group in org.groups)
        parts.append(f"{len(org.groups):,} groups ({memberships:,} memberships)")
    words = Counter(target.word for target in org.targets)
    noun = {"damstra": "lessons", "training-records": "packages"}.get(org.vendor, "courses")
    parts.append(f"{words['course']:,} {noun}")
    if words["path"] or words["plan"]:
        parts.append(f"{words['path']} paths, {words['plan']} plans")
    parts.append(f"{len(org.enrollments):,} enrollments")
    if org.webhooks:
        parts.append(f"{len(org.webhooks)} webhooks")
    return ", ".join(parts)


def unique(items: Iterable[int]) -> int:
    return len(set(items))
