"""The floors each figure is compared with: the fewest requests the vendor's API lets anyone make.

Read floors follow section "Minimum requests to read a whole organisation" of each vendor reference
(`docs/vendors/<vendor>.md`), restricted to what the manifests manage (each reference's "ways to cut
reads"), with the page sizes lmsform asks for clamped by what the server honours (the emulator's cap,
which is the reference's documented or assumed maximum). Write floors are the fewest write calls given
the vendor's bulk endpoints. The latency floor of n requests is n x latency / parallelism.

A floor is computed from two organisations: `live`, what the account holds before the command runs
(it sets the page counts), and `desired`, what the manifests declare (it sets which lists are read).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from benchmarks.orgs import Org

# Page sizes: (what lmsform asks for, what the emulator honours at most) → the page size in effect.
SKILLJAR_LIST = min(1000, 1000)  # users, groups, group members, enrollments: page_size=1000, [SEED] 1000
SKILLJAR_COURSES = min(1000, 100)  # GET /v1/courses: lmsform asks 1000; size unstated, emulator default 100
SKILLJAR_UNSIZED = 100  # published courses, paths, plans, webhooks: no page_size; [SEED] 100
SKILLJAR_BULK_CREATE = 1000  # POST …/users/bulk-create: "up to 1000 per call" (skilljar.md Kinds)
DAMSTRA_PAGE = min(100, 100)  # maxResults=100 (lmsform's PAGE_SIZE); damstra.md Floor: P = 100; cap 100
DAMSTRA_BULK_IMPORT = 500  # provider.bulk_import_size default; damstra.md Floor: the chosen B
DAMSTRA_OWNER = 1  # the emulator's OWNER user, in every account (not in the manifests)
VERSAL_PAGE = min(100, 100)  # perPage = provider.page_size (100); the emulator caps perPage at 100
TRAINING_RECORDS_LIMIT = min(100, 100)  # limit = provider.page_size; cap 100 (training-records.md D2)


def pages(items: int, size: int) -> int:
    """⌈items/size⌉ with at least one request for every list read."""
    return max(1, math.ceil(items / size))


@dataclass(frozen=True)
class Floor:
    requests: int
    note: str = ""


def read_floor(live: Org, desired: Org) -> Floor:
    """The fewest GETs a plan of `desired` against an account holding `live` needs."""
    return _READ[desired.vendor](live, desired)


def _skilljar_read(live: Org, desired: Org) -> Floor:
    # skilljar.md Floor: 1 + ⌈U/1000⌉ + ⌈G/1000⌉ + Σ_g ⌈m_g/1000⌉ + ⌈C/100⌉ + ⌈P_c/100⌉
    #                        + Σ_c ⌈e_c/1000⌉ + ⌈W/100⌉, plus, for paths and plans that are managed,
    #                        ⌈n/100⌉ + Σ ⌈e/1000⌉ each.
    # Only the groups and targets the manifests name are read ("ways to cut reads"); a named object that
    # does not exist yet costs nothing.
    live_groups = {group.name: len(group.members) for group in live.groups}
    per_target = live.enrollments_per_target()
    named_groups = {group.name for group in desired.groups}
    named_targets = {desired.targets[item.target].name for item in desired.enrollments}
    courses = [t for t in live.targets if t.word == "course"]
    # GET /v1/domains/{d}: its answer also holds the domain's settings (`domain:` costs no request more).
    requests = 1
    requests += pages(len(live.people), SKILLJAR_LIST)
    requests += pages(len(live.groups), SKILLJAR_LIST)
    requests += sum(
        pages(count, SKILLJAR_LIST) for name, count in live_groups.items() if name in named_groups
    )
    requests += pages(len(courses), SKILLJAR_COURSES)  # course definitions
    requests += pages(len(courses), SKILLJAR_UNSIZED)  # publications (every course is published)
    for word in ("path", "plan"):
        if any(t.word == word for t in desired.targets if t.name in named_targets):
            requests += pages(sum(1 for t in live.targets if t.word == word), SKILLJAR_UNSIZED)
    requests += sum(pages(per_target[t.name], SKILLJAR_LIST) for t in live.targets if t.name in named_targets)
    if desired.webhooks:
        requests += pages(len(live.webhooks), SKILLJAR_UNSIZED)
    # Groups' membership rules come with the group list; the benchmark orgs name no categories or
    # sign-up rules, so `skilljar_group_rule_reads` adds nothing here; nor catalogue rules
    # (`skilljar_catalogue_rule_reads`).
    return Floor(requests)


def skilljar_group_rule_reads(
    categories: int, signup_fields: int, *, names_category: bool, names_rule: bool
) -> int:
    """What declared groups' categories and sign-up rules add to Skilljar's read floor (skilljar.md D69):
    ⌈K/100⌉ for the categories (no stated page size: the default), ⌈F/100⌉ for the domain's sign-up
    fields (`page` only: 100 a page), each only when a declared group names one."""
    return (pages(categories, SKILLJAR_UNSIZED) if names_category else 0) + (
        pages(signup_fields, SKILLJAR_UNSIZED) if names_rule else 0
    )


def skilljar_path_reads(
    paths: int,
    contents: Mapping[str, tuple[int, int]],
    *,
    path_list_read: bool,
    rules: Mapping[str, Mapping[str, int]] | None = None,
) -> int:
    """What declared learning paths add to Skilljar's read floor (skilljar.md D60, D87): the path list
    (`page` only, 100 a page) unless enrollments already read it, and for each declared path that
    exists, ⌈i/100⌉ for its items and ⌈l/100⌉ for its labels (`contents`: slug → (items, labels)),
    plus, for a path that declares tags or visibility overrides, ⌈n/100⌉ per list it declares, as a
    publication's (`rules`: slug → rule list → the items it holds).
    The benchmark orgs declare no paths, so it adds nothing to `_skilljar_read`."""
    path_list = 0 if path_list_read else pages(paths, SKILLJAR_UNSIZED)
    per_path = (
        pages(items, SKILLJAR_UNSIZED) + pages(labels, SKILLJAR_UNSIZED)
        for items, labels in contents.values()
    )
    return path_list + sum(per_path) + skilljar_catalogue_rule_reads(rules or {})


SKILLJAR_REENROLLMENT_RULE = "reenrollment_rule"  # one object per publication, not a list


def skilljar_catalogue_rule_reads(declared: Mapping[str, Mapping[str, int]]) -> int:
    """What publications' catalogue rules add to Skilljar's read floor (skilljar.md D74): for each
    existing publication whose `published:` declares rules, ⌈n/100⌉ for each rule list it declares
    (the lists page at 100; `visible_to` and `hidden_from` share one list) and one GET for the
    re-enrollment rule (`declared`: course → rule list → the items it holds). Nothing for a publication
    that declares none, so the benchmark orgs, which declare none, add nothing to `_skilljar_read`."""
    return sum(
        1 if rule == SKILLJAR_REENROLLMENT_RULE else pages(items, SKILLJAR_UNSIZED)
        for lists in declared.values()
        for rule, items in lists.items()
    )


def skilljar_ilt_reads(
    instructors: int,
    sessions: int,
    lessons: Sequence[int],
    *,
    declares_instructors: bool,
    declares_sessions: bool,
) -> int:
    """What declared instructors and sessions add to Skilljar's read floor (skilljar.md D83): ⌈I/100⌉
    for the instructor list when either is declared; with sessions, ⌈S/100⌉ for the session list and
    ⌈l/100⌉ for each course they name (`lessons`: each one's lesson count), on top of the catalogue the
    courses' ids come from. The lists honour page_size only up to 100 (D5). The benchmark orgs declare
    neither, so it adds nothing to `_skilljar_read`."""
    if not (declares_instructors or declares_sessions):
        return 0
    instructor_list = pages(instructors, SKILLJAR_UNSIZED)
    if not declares_sessions:
        return instructor_list
    per_course = sum(pages(count, SKILLJAR_UNSIZED) for count in lessons)
    return instructor_list + pages(sessions, SKILLJAR_UNSIZED) + per_course


def _damstra_read(live: Org, desired: Org) -> Floor:
    # damstra.md Floor: R_min = max(1,⌈U/P⌉) + max(1,⌈G/P⌉) + max(1,⌈L/P⌉) + Σ_u (⌊S_u/P⌋ + 1), P = 100;
    # membership and supervision come with the users (0). Enrollments are create-only, so only the U_e
    # users with declared enrollments need their schedules read (damstra.md Floor notes).
    users = len(live.people) + DAMSTRA_OWNER
    learners = {desired.people[item.user].username for item in desired.enrollments}
    held = live.enrollments_per_user()
    requests = pages(users, DAMSTRA_PAGE) + pages(len(live.groups), DAMSTRA_PAGE)
    if desired.enrollments:
        requests += pages(len(live.targets), DAMSTRA_PAGE)
        requests += sum(
            held.get(index, 0) // DAMSTRA_PAGE + 1
            for index, person in enumerate(live.people)
            if person.username in learners
        )
    return Floor(requests)


def _versal_read(live: Org, desired: Org) -> Floor:
    # versal.md Floor: ⌈U/P⌉ + ⌈C/P⌉ + Σ_c ⌈e_c/P⌉ (userdata once per course), P = 100.
    # Only the courses the manifests name have their userdata read.
    per_target = live.enrollments_per_target()
    named = {desired.targets[item.target].name for item in desired.enrollments}
    requests = pages(len(live.people), VERSAL_PAGE) + pages(len(live.targets), VERSAL_PAGE)
    requests += sum(pages(per_target[t.name], VERSAL_PAGE) for t in live.targets if t.name in named)
    return Floor(requests)


def _training_records_read(live: Org, desired: Org) -> Floor:
    # training-records.md Floor: "Floor = 1 request if unpaged listing works, otherwise ⌈E/L⌉". lmsform
    # always pages (limit = provider.page_size), so its floor is ⌈E/L⌉ with L = 100, the emulator's cap.
    return Floor(
        pages(len(live.enrollments), TRAINING_RECORDS_LIMIT),
        note="1 GET if the list is read unpaged (the emulator serves that; lmsform always pages)",
    )


_READ = {
    "skilljar": _skilljar_read,
    "damstra": _damstra_read,
    "versal": _versal_read,
    "training-records": _training_records_read,
}


def create_floor(org: Org) -> Floor:
    """The fewest write calls that make `org` from the empty account (`org.base()`)."""
    return _CREATE[org.vendor](org)


def _skilljar_create(org: Org) -> Floor:
    # skilljar.md Kinds: users by bulk-create (≤ 1000 per call, "Batch help"); one POST per group, per
    # membership ("none: one request per membership"), per course (labels in the body), per publication,
    # per enrollment and per webhook. Paths and plans cannot be created (seeded).
    memberships = sum(len(group.members) for group in org.groups)
    courses = sum(1 for target in org.targets if target.creatable)
    requests = (
        math.ceil(len(org.people) / SKILLJAR_BULK_CREATE)
        + len(org.groups)
        + memberships
        + 2 * courses  # create + publish
        + len(org.enrollments)
        + len(org.webhooks)
    )
    return Floor(requests)


def _damstra_create(org: Org) -> Floor:
    # damstra.md Floor, write-side minimums: create k users = ⌈k/B⌉ bulk calls; group create = 1 each;
    # membership/supervision = 1 call per touched group per relation (add_members, add_supervisors);
    # enrollments = 1 per user with new enrollments. (damstra.md B7 would let the import carry `groups` and
    # `groupsSupervised` too, saving the relation calls: the floor keeps the reference's formula.)
    requests = (
        math.ceil(len(org.people) / DAMSTRA_BULK_IMPORT)
        + len(org.groups)
        + sum(1 for group in org.groups if group.members)
        + sum(1 for group in org.groups if group.supervisors)
        + len({item.user for item in org.enrollments})
    )
    return Floor(requests, note="0 relation calls if the bulk import carries groups (damstra.md B7)")


def _versal_create(org: Org) -> Floor:
    # versal.md Operations: no bulk create; one POST /orgs/{orgId}/users per user, and one
    # PATCH /courses/{courseId}/users/{userId} per enrollment (tracked + learner role in one body).
    return Floor(len(org.people) + len(org.enrollments))


def _training_records_create(org: Org) -> Floor:
    # training-records.md Records: one POST /training/record/ per record; there is no bulk endpoint.
    return Floor(len(org.enrollments))


_CREATE = {
    "skilljar": _skilljar_create,
    "damstra": _damstra_create,
    "versal": _versal_create,
    "training-records": _training_records_create,
}


def change_floor(before: Org, after: Org) -> Floor:
    """The fewest write calls that turn `before` into `after` (made by `orgs.changed`)."""
    users = len(after.changed_users)
    new = len(after.new_enrollments)
    if after.vendor == "skilljar":
        # One PATCH /v1/users/{id} per renamed user; one POST per new enrollment (no bulk for either).
        return Floor(users + new)
    if after.vendor == "damstra":
        # damstra.md Floor: update = 1 per user, or a bulk merge (`bulkUserImport` with mergeType
        # userName, damstra.md B1): ⌈k/B⌉; enrollments = 1 per user with new enrollments.
        learners = len({item.user for item in after.new_enrollments})
        return Floor(math.ceil(users / DAMSTRA_BULK_IMPORT) + learners, note="users by bulk merge")
    if after.vendor == "versal":
        # One PUT /users/{id} per profile change; one PATCH per new enrollment.
        return Floor(users + new)
    # Training Records: one POST per new record, one PATCH per completed one.
    return Floor(new + len(after.completed_enrollments))


def latency_floor(requests: int, latency: float, parallelism: int) -> float:
    """Seconds n requests take at best: n x latency / parallelism."""
    return requests * latency / parallelism


def counts(org: Org) -> Mapping[str, int]:
    """The sizes a reader of the floors needs, for the JSON output."""
    return {
        "users": len(org.people),
        "groups": len(org.groups),
        "targets": len(org.targets),
        "enrollments": len(org.enrollments),
        "webhooks": len(org.webhooks),
    }
