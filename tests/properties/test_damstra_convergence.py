"""Convergence properties of Damstra: random manifests over a random organisation.

Every example seeds users, groups (a tree), memberships, supervisions and lesson schedules "made
elsewhere": user names that differ from the manifests' only in case, e-mails in other cases, groups
and users the manifests never name, inactive users, schedules already open or completed. The account
owner is always there; manifests may declare it but never demote it (inactivate it or take its
ADMIN role away), which lmsform refuses by design. A manifest declares users with every field lmsform
manages, groups with parents, members and supervisors, and lesson schedules with start dates (with
UTC offsets) and grace periods. Then apply → the next plan is empty → the emulator's own store holds
every declared field, and for each authoritative kind nothing undeclared is left in scope. A second
random manifest applied on top must do the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lmsform.providers.damstra.emulator import DamstraStore, emulator_store
from lmsform.providers.damstra.emulator.dates import from_stored
from lmsform.providers.damstra.emulator.schedule_rules import schedule_status
from lmsform.providers.damstra.emulator.schedule_writes import due_date
from lmsform.providers.damstra.reader import ROLE_IDS
from tests.properties.harness import Convergence, Vendor, describe_project, instant, yaml_text

pytestmark = pytest.mark.properties

KEY = "damstra-key-CANARY-71c4"
VENDOR = Vendor(
    provider="damstra",
    settings="  organisation: Acme Safety\n  access_key: ${DAMSTRA_ACCESS_KEY}\n",
    key_variable="DAMSTRA_ACCESS_KEY",
    key=KEY,
)
OWNER = "owner"  # the emulator's default owner
OWNER_ROLE, ACTIVE, INACTIVE = 7, 56, 57
# lmsform's default grace period (the provider setting), used when a manifest gives none.
DEFAULT_GRACE = (14, "days")

USER_NAMES = ("ann", "Bob.Smith", "chloé", "dan_o", "Émile", "eve")
EMAILS = ("ann@acme.com", "bob.smith@acme.com", "chloe@acme.com", "shared@acme.com")
GROUP_NAMES = ("site", "crew-a", "Crew-A", "Ünït ✓", "ops north")
ACTIVE_LESSONS = ("Site Induction", "Fire Safety", "Fire safety", "Première aide ✓")
INACTIVE_LESSON = "Retired lesson"
TIME_ZONES = ("Australia/Perth", "Europe/London", "America/New_York", "Asia/Kolkata")
MODES = ("authoritative", "additive")
MANAGED = ("users", "groups", "memberships", "group_supervisors")
# A schedule that enrolls its user, by the vendor's statuses: open, or completed (cancelled ones do not).
ENROLLED_STATUSES = frozenset({"scheduled", "due", "overdue", "completed"})

texts = st.text(st.sampled_from("abcXYZéßΩ✓ -'"), min_size=1, max_size=6).filter(
    lambda text: text == text.strip() and bool(text)
)
optional_texts = st.one_of(st.just(""), texts)


def case_variant(text: str, flips: list[bool]) -> str:
    return "".join(
        char.swapcase() if flip else char
        for char, flip in zip(text, flips + [False] * len(text), strict=False)
    )


def spelt(draw: st.DrawFn, text: str) -> str:
    """`text` with the case of some letters changed."""
    return case_variant(text, draw(st.lists(st.booleans(), max_size=len(text))))


def instant_texts() -> st.SearchStrategy[str]:
    return st.builds(
        lambda day, hour, offset: datetime(
            2026, 3, day, hour, tzinfo=timezone(timedelta(minutes=offset))
        ).isoformat(),
        st.integers(1, 28),
        st.sampled_from((0, 9, 23)),
        st.sampled_from((0, 480, -300, 330)),
    )


# --- the manifest -----------------------------------------------------------------------------------


@dataclass
class Manifest:
    """What one random manifest declares (by canonical names), and its files."""

    users: dict[str, dict[str, Any]]  # user name (as declared) → declared fields
    groups: dict[str, dict[str, Any]]  # group name → declared fields (description, parent)
    memberships: set[tuple[str, str]]  # (group, user name casefolded)
    supervisions: set[tuple[str, str]]
    enrollments: dict[tuple[str, str], dict[str, Any]]  # (user name casefolded, lesson) → fields
    manage: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)


@st.composite
def user_fields(draw: st.DrawFn, name: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "username": spelt(draw, name),
        "email": spelt(draw, draw(st.sampled_from(EMAILS))),
        "first_name": draw(texts),
        "last_name": draw(texts),
        "active": draw(st.booleans()),
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "phone": optional_texts,
        "mobile": optional_texts,
        "employee_number": optional_texts,
        "time_zone": st.sampled_from(TIME_ZONES),
        # An empty role list is refused: Damstra would make it [trainee].
        "roles": st.lists(st.sampled_from(sorted(ROLE_IDS)), unique=True, min_size=1).map(sorted),
    }
    for name_of_field, values in optional.items():
        if draw(st.booleans()):
            fields[name_of_field] = draw(values)
    return fields


@st.composite
def owner_fields(draw: st.DrawFn) -> dict[str, Any]:
    """The owner, declared without demoting it. The lock-out guard leaves out any role it would lose
    and any move of its identity (e-mail address, employee number), so it keeps the emulator's
    e-mail and no employee number, and only the admin role: a later manifest of the same run could
    otherwise drop a role an earlier one added."""
    fields = draw(user_fields(OWNER))
    fields["active"] = True
    fields["email"] = f"{OWNER}@example.com"
    fields.pop("employee_number", None)
    if "roles" in fields:
        fields["roles"] = ["admin"]
    return fields


@st.composite
def manifests(draw: st.DrawFn) -> Manifest:
    names = draw(st.lists(st.sampled_from(USER_NAMES), unique=True))
    users = {name: draw(user_fields(name)) for name in names}
    if draw(st.booleans()):
        users[OWNER] = draw(owner_fields())
    group_names = draw(st.lists(st.sampled_from(GROUP_NAMES), unique=True))
    groups: dict[str, dict[str, Any]] = {}
    for position, name in enumerate(group_names):
        fields: dict[str, Any] = {"name": name}
        if draw(st.booleans()):
            fields["description"] = draw(optional_texts)
        if position and draw(st.booleans()):  # a tree: a parent declared earlier
            fields["parent"] = group_names[draw(st.integers(0, position - 1))]
        groups[name] = fields
    declared_users = list(users)
    relation = st.tuples(st.sampled_from(group_names), st.sampled_from(declared_users))
    related = bool(group_names and declared_users)
    memberships = draw(st.lists(relation, unique=True, max_size=8) if related else st.just([]))
    supervisions = draw(st.lists(relation, unique=True, max_size=4) if related else st.just([]))
    learners = [name for name in users if users[name]["active"]]
    enrollment_keys = draw(
        st.lists(
            st.tuples(st.sampled_from(learners), st.sampled_from(ACTIVE_LESSONS)), unique=True, max_size=6
        )
        if learners
        else st.just([])
    )
    enrollments = {key: draw(schedule_fields()) for key in enrollment_keys}
    manage = {kind: draw(st.sampled_from(MODES)) for kind in MANAGED}
    by_group = draw(group_enrollments(users, memberships, enrollments, manage))
    manifest = Manifest(
        users,
        groups,
        {(group, user.casefold()) for group, user in memberships},
        {(group, user.casefold()) for group, user in supervisions},
        {(user.casefold(), lesson): fields for (user, lesson), fields in enrollments.items()},
        manage,
    )
    for group, lesson in by_group:
        manifest.enrollments.update(
            {(user.casefold(), lesson): {} for member_of, user in memberships if member_of == group}
        )
    manifest.files = draw(manifest_files(manifest, memberships, supervisions, enrollments, by_group))
    return manifest


@st.composite
def group_enrollments(
    draw: st.DrawFn,
    users: Mapping[str, Mapping[str, Any]],
    memberships: list[tuple[str, str]],
    enrollments: Mapping[tuple[str, str], Any],
    manage: Mapping[str, str],
) -> list[tuple[str, str]]:
    """(group, lesson) pairs enrolling every member of a group: groups whose members are all active
    (Damstra schedules active users only), when the manifests own the groups' membership (so the
    members are the declared ones), and no member is enrolled in that lesson on its own."""
    members: dict[str, list[str]] = {}
    for group, user in memberships:
        members.setdefault(group, []).append(user)
    eligible = sorted(
        group
        for group, names in members.items()
        if manage["memberships"] == "authoritative" and all(users[name]["active"] for name in names)
    )
    if not eligible:
        return []
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(eligible), st.sampled_from(ACTIVE_LESSONS)), unique=True, max_size=2
        )
    )
    return [
        (group, lesson)
        for group, lesson in pairs
        if not any((user, lesson) in enrollments for user in members[group])
    ]


@st.composite
def schedule_fields(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["starts_at"] = draw(instant_texts())
    if draw(st.booleans()):
        fields["grace_period"] = draw(st.integers(1, 3))
        fields["grace_period_unit"] = draw(st.sampled_from(("days", "months")))
    return fields


@st.composite
def manifest_files(
    draw: st.DrawFn,
    manifest: Manifest,
    memberships: list[tuple[str, str]],
    supervisions: list[tuple[str, str]],
    enrollments: Mapping[tuple[str, str], Mapping[str, Any]],
    by_group: list[tuple[str, str]],
) -> dict[str, str]:
    """The manifest as files: each relation declared on the user's side or the group's, users named in
    any case."""
    users = {name: dict(fields) for name, fields in manifest.users.items()}
    groups = {name: dict(fields) for name, fields in manifest.groups.items()}
    for (group, user), (user_side, group_side) in [
        *((pair, ("groups", "members")) for pair in memberships),
        *((pair, ("supervises", "supervisors")) for pair in supervisions),
    ]:
        if draw(st.booleans()):
            users[user].setdefault(user_side, []).append(group)
        else:
            groups[group].setdefault(group_side, []).append(spelt(draw, user))
    entries = [
        {"course": lesson, "users": [spelt(draw, user)], **fields}
        for (user, lesson), fields in enrollments.items()
    ]
    entries += [{"course": lesson, "groups": [group]} for group, lesson in by_group]
    files = {"people.yaml": yaml_text({"users": list(users.values())})} if users else {}
    if groups:
        files["groups.yaml"] = yaml_text({"groups": list(groups.values())})
    if entries:
        files["enrollments.yaml"] = yaml_text({"enrollments": entries})
    return files or {"empty.yaml": yaml_text({"users": []})}


# --- the organisation before lmsform ----------------------------------------------------------------


@st.composite
def organisations(draw: st.DrawFn) -> dict[str, Any]:
    """A seed document: users, a group tree with members and supervisors, lessons, schedules."""
    names = draw(st.lists(st.sampled_from((*USER_NAMES, "zed", "Yan")), unique=True))
    users = [
        {
            "userName": spelt(draw, name),
            "firstName": draw(texts),
            "lastName": draw(texts),
            "emailAddress": spelt(draw, draw(st.sampled_from(EMAILS))),
            "phoneNumber": draw(optional_texts),
            "employeeNumber": draw(optional_texts),
            "roles": [
                ROLE_IDS[role] for role in draw(st.lists(st.sampled_from(sorted(ROLE_IDS)), unique=True))
            ],
            "timeZone": draw(st.sampled_from(TIME_ZONES)),
            "active": draw(st.booleans()),
        }
        for name in names
    ]
    everyone = [OWNER, *(user["userName"] for user in users)]
    group_names = draw(st.lists(st.sampled_from((*GROUP_NAMES, "elsewhere")), unique=True))
    groups = []
    for position, name in enumerate(group_names):
        group: dict[str, Any] = {
            "name": name,
            "description": draw(optional_texts),
            "members": draw(st.lists(st.sampled_from(everyone), unique=True, max_size=3)),
            "supervisors": draw(st.lists(st.sampled_from(everyone), unique=True, max_size=2)),
        }
        if position and draw(st.booleans()):
            group["parent"] = group_names[draw(st.integers(0, position - 1))]
        groups.append(group)
    lessons = [{"name": name, "status": "active"} for name in ACTIVE_LESSONS]
    lessons.append({"name": INACTIVE_LESSON, "status": "inactive"})
    schedules = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "userName": st.sampled_from(everyone),
                    "lesson": st.sampled_from([*ACTIVE_LESSONS, INACTIVE_LESSON]),
                },
                optional={
                    "startDate": instant_texts(),
                    "completedDate": instant_texts(),
                    "cancelled": st.booleans(),
                },
            ),
            max_size=5,
        )
    )
    return {"users": users, "groups": groups, "lessons": lessons, "schedules": schedules}


# --- what the store holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """The emulator's store, read directly (never through lmsform's reader)."""

    users: dict[str, dict[str, Any]]  # by user name casefolded (Damstra's uniqueness rule)
    groups: dict[str, list[dict[str, Any]]]  # active groups by exact name
    group_names: dict[int, str]
    memberships: set[tuple[str, str]]  # (group name, user name casefolded), active groups only
    supervisions: set[tuple[str, str]]

    @classmethod
    def read(cls, store: DamstraStore) -> Stored:
        state = store.dump()
        users = {user["user_name"].casefold(): user for user in state["users"]}
        user_names = {user["id"]: user["user_name"].casefold() for user in state["users"]}
        active_groups = [group for group in state["groups"] if group["active"]]
        groups: dict[str, list[dict[str, Any]]] = {}
        for group in active_groups:
            groups.setdefault(group["name"], []).append(group)
        group_names = {group["id"]: group["name"] for group in state["groups"]}
        active_ids = {group["id"] for group in active_groups}

        def relation(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
            return {
                (group_names[row["group_id"]], user_names[row["user_id"]])
                for row in rows
                if row["group_id"] in active_ids
            }

        return cls(
            users, groups, group_names, relation(state["memberships"]), relation(state["supervisions"])
        )


USER_COLUMNS = {
    "email": "email_address",
    "first_name": "first_name",
    "last_name": "last_name",
    "phone": "phone_number",
    "mobile": "mobile_number",
    "employee_number": "employee_number",
    "time_zone": "time_zone",
}


def user_problems(name: str, declared: Mapping[str, Any], held: Mapping[str, Any] | None) -> list[str]:
    if held is None:
        return [f"users[{name}]: declared, the store has no such user"]
    problems = []
    # Damstra keeps user names unique ignoring case (its document leaves the rule to the emulator):
    # a user declared as `ANN` is the user `ann`, and lmsform never renames it.
    if held["user_name"].casefold() != declared["username"].casefold():
        problems.append(
            f"users[{name}].username: declared {declared['username']!r}, held {held['user_name']!r}"
        )
    for field_name, column in USER_COLUMNS.items():
        if field_name in declared and held[column] != declared[field_name]:
            problems.append(
                f"users[{name}].{field_name}: declared {declared[field_name]!r}, held {held[column]!r}"
            )
    if "roles" in declared:
        wanted = {ROLE_IDS[role] for role in declared["roles"]}
        if set(held["roles"]) - {OWNER_ROLE} != wanted:
            problems.append(
                f"users[{name}].roles: declared {declared['roles']}, held role ids {held['roles']}"
            )
    status = ACTIVE if declared["active"] else INACTIVE
    if held["client_status_id"] != status:
        problems.append(
            f"users[{name}].active: declared {declared['active']}, held {held['client_status_id']}"
        )
    return problems


def group_problems(name: str, declared: Mapping[str, Any], stored: Stored) -> list[str]:
    held = stored.groups.get(name, [])
    if len(held) != 1:
        return [f"groups[{name}]: declared, the store has {len(held)} active groups of that name"]
    [group] = held
    problems = []
    if "description" in declared and group["description"] != declared["description"]:
        problems.append(
            f"groups[{name}].description: declared {declared['description']!r}, held {group['description']!r}"
        )
    if "parent" in declared:
        parent = stored.group_names.get(group["parent_id"]) if group["parent_id"] is not None else None
        if parent != declared["parent"]:
            problems.append(f"groups[{name}].parent: declared {declared['parent']!r}, held {parent!r}")
    return problems


def relation_problems(
    what: str, declared: set[tuple[str, str]], held: set[tuple[str, str]], scope: set[str] | None
) -> list[str]:
    """Declared pairs missing; with a scope (authoritative), undeclared pairs of scoped groups left."""
    problems = [f"{what}[{group}, {user}]: declared, not held" for group, user in sorted(declared - held)]
    if scope is not None:
        extra = {pair for pair in held - declared if pair[0] in scope}
        problems += [f"{what}[{group}, {user}]: not declared, still held" for group, user in sorted(extra)]
    return problems


def enrollment_problems(
    store: DamstraStore, manifest: Manifest, stored: Stored, before: set[tuple[str, str]]
) -> list[str]:
    """Each declared (user, lesson) has an open or completed schedule; one made by this apply starts
    when declared and is due after the declared (or default) grace period."""
    problems = []
    now = store.now()
    for (user, lesson), fields in sorted(manifest.enrollments.items()):
        held = stored.users.get(user)
        record = store.lesson_named(lesson)
        assert held is not None and record is not None
        schedules = [
            schedule
            for schedule in store.schedules_of_user(held["id"])
            if schedule.lesson_id == record.id and schedule_status(schedule, now) in ENROLLED_STATUSES
        ]
        if not schedules:
            problems.append(f"enrollments[{lesson}, {user}]: declared, no open or completed schedule")
            continue
        if (user, lesson) in before:
            continue  # the schedule was there already: its dates are the vendor's, never compared
        [made] = schedules
        start = from_stored(made.start_at)
        if "starts_at" in fields and instant(fields["starts_at"]) != start:
            problems.append(
                f"enrollments[{lesson}, {user}].starts_at: declared {fields['starts_at']}, "
                f"held {made.start_at}"
            )
        amount, unit = (
            fields.get("grace_period", DEFAULT_GRACE[0]),
            fields.get("grace_period_unit", DEFAULT_GRACE[1]),
        )
        if from_stored(made.end_at) != due_date(start, amount, unit):
            problems.append(
                f"enrollments[{lesson}, {user}]: grace {amount} {unit} from {made.start_at}, "
                f"due {made.end_at}"
            )
    return problems


def enrolled_pairs(store: DamstraStore) -> set[tuple[str, str]]:
    """(user name casefolded, lesson name) of every open or completed schedule."""
    state = store.dump()
    users = {user["id"]: user["user_name"].casefold() for user in state["users"]}
    lessons = {lesson["id"]: lesson["name"] for lesson in state["lessons"]}
    now = store.now()
    pairs = set()
    for user_id, user_name in users.items():
        for schedule in store.schedules_of_user(user_id):
            if schedule_status(schedule, now) in ENROLLED_STATUSES:
                pairs.add((user_name, lessons[schedule.lesson_id]))
    return pairs


def store_problems(
    store: DamstraStore, manifest: Manifest, enrolled_before: set[tuple[str, str]]
) -> list[str]:
    stored = Stored.read(store)
    problems = []
    for name, declared in manifest.users.items():
        problems += user_problems(name, declared, stored.users.get(name.casefold()))
    owner = stored.users[OWNER]
    if owner["client_status_id"] != ACTIVE or OWNER_ROLE not in owner["roles"] or 3 not in owner["roles"]:
        problems.append(f"the owner was demoted: {owner}")
    if manifest.manage["users"] == "authoritative":
        kept = {name.casefold() for name in manifest.users} | {OWNER}
        problems += [
            f"users[{user['user_name']}]: not declared, still active"
            for key, user in stored.users.items()
            if key not in kept and user["client_status_id"] == ACTIVE
        ]
    for name, declared_group in manifest.groups.items():
        problems += group_problems(name, declared_group, stored)
    if manifest.manage["groups"] == "authoritative":
        problems += [
            f"groups[{name}]: not declared, still active"
            for name in stored.groups
            if name not in manifest.groups
        ]
    scope = set(manifest.groups)
    for what, declared_pairs, held, kind in (
        ("memberships", manifest.memberships, stored.memberships, "memberships"),
        ("group_supervisors", manifest.supervisions, stored.supervisions, "group_supervisors"),
    ):
        authoritative = manifest.manage[kind] == "authoritative"
        problems += relation_problems(what, declared_pairs, held, scope if authoritative else None)
    problems += enrollment_problems(store, manifest, stored, enrolled_before)
    return problems


# --- the properties ---------------------------------------------------------------------------------


@pytest.fixture
def damstra(tmp_path: Path) -> Iterator[Convergence]:
    with Convergence(VENDOR, tmp_path) as convergence:
        yield convergence


def converge_and_check(convergence: Convergence, manifest: Manifest) -> bool:
    """Apply `manifest` and check what the store holds; False when the manifest cannot be applied
    to this account (its parents close a cycle with the live tree) and was refused, as it must be."""
    store = emulator_store(convergence.app)  # type: ignore[arg-type]
    if closes_a_cycle(Stored.read(store), manifest):
        before = store.dump()
        refused = convergence.apply(convergence.write_project(manifest.files, manage=manifest.manage))
        assert refused.exit_code == 1 and "would be its own ancestor after this plan" in refused.output
        assert store.dump() == before, "a refused plan changed the account"
        return False
    enrolled_before = enrolled_pairs(store)
    convergence.converge(manifest.files, manage=manifest.manage)
    problems = store_problems(store, manifest, enrolled_before)
    assert not problems, "\n".join(problems) + "\n" + describe_project(manifest.files, manifest.manage)
    return True


def closes_a_cycle(stored: Stored, manifest: Manifest) -> bool:
    """Whether the declared parents, with the live parents of the groups that declare none, make a
    group its own ancestor."""
    parents = {
        name: stored.group_names.get(rows[0]["parent_id"]) for name, rows in stored.groups.items() if rows
    }
    for group, declared in manifest.groups.items():
        if "parent" in declared or group not in parents:
            parents[group] = declared.get("parent")
    for start in parents:
        seen: set[str] = set()
        ancestor: str | None = start
        while ancestor is not None and ancestor not in seen:
            seen.add(ancestor)
            ancestor = parents.get(ancestor)
        if ancestor == start:
            return True
    return False


@given(organisation=organisations(), first=manifests(), second=manifests())
def test_an_organisation_converges_and_the_store_holds_every_declared_field(
    damstra: Convergence, organisation: dict[str, Any], first: Manifest, second: Manifest
) -> None:
    damstra.reset()
    damstra.seed(organisation)
    if converge_and_check(damstra, first):
        converge_and_check(damstra, second)
