"""The planner alone: `make_plan` on desired and live `State`s built in memory, no HTTP, no YAML.

N objects are N/5 users and 4N/5 enrollments over 150 targets (plus the targets themselves), shaped as
each vendor's declarations and reader make them; about 1 % differ (1 % of users renamed, 1 % of the
enrollments not live yet). CPU time is `time.process_time()` around `make_plan` in a run without
tracing, with the garbage collector set as every lmsform command sets it; peak memory is
`tracemalloc`'s peak above what the states already held, in a second run.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.gc_tuning import fewer_collections
from lmsform.kinds import ENROLLMENTS
from lmsform.plan import Plan
from lmsform.planner import make_plan
from lmsform.project_config import ManageConfig
from lmsform.providers import registry
from lmsform.state import Resource, State

TARGETS = 150
DEFAULT_SIZES = (25_000, 50_000, 100_000)
# A target's kind and the enrollment key word, per vendor.
_TARGET_KINDS = {
    "skilljar": ("publications", "course"),
    "damstra": ("lessons", "lesson"),
    "versal": ("org_courses", "org_course"),
    "training-records": ("courses", "package"),
}


@dataclass(frozen=True)
class PlannerRun:
    vendor: str
    objects: int  # desired objects (users + enrollments + targets)
    changes: int
    cpu: float  # seconds of process CPU in make_plan
    wall: float
    peak_mb: float  # tracemalloc peak during make_plan, above the states built before it


def build_states(vendor: str, objects: int) -> tuple[State, State]:
    """Desired and live states with `objects` declared objects, about 1 % of them differing."""
    users = max(1, objects // 5)
    enrollments = objects - users
    target_kind, word = _TARGET_KINDS[vendor]
    desired, live = State(), State()
    titles = [f"Course {index:04d}" for index in range(TARGETS)]
    for index, title in enumerate(titles):
        target_id = f"c{index:06d}"
        if vendor == "skilljar":
            for state in (desired, live):
                state.add(Resource("courses", (title,), {"title": title}, ids={"id": target_id}))
            desired.add(Resource(target_kind, (title,), {"course": title}))
            live.add(Resource(target_kind, (title,), {"course": title}, ids={"id": f"p{index:06d}"}))
        elif vendor == "training-records":  # packages are only named, by the manifests
            desired.add(
                Resource(target_kind, (title,), {"title": title, "api_id": target_id}, ids={"id": target_id})
            )
        else:
            ids = {"id": target_id, "version": target_id} if vendor == "damstra" else {"id": target_id}
            live.add(Resource(target_kind, (title,), {"name": title, "title": title}, ids=ids))
    names: list[str] = []
    for index in range(users):
        email = f"user{index:07d}@acme.example"
        key = f"user{index:07d}" if vendor == "damstra" else email
        names.append(key)
        desired_user, live_user = _users(vendor, index, email, key)
        desired.add(desired_user)
        if live_user is not None:
            live.add(live_user)
    per_user, extra = divmod(enrollments, users)
    made = 0
    for index, user in enumerate(names):
        for step in range(per_user + (1 if index < extra else 0)):
            title = titles[(index + step) % TARGETS]
            fields = {"type": word, "target": title, "user": user}
            wanted = {**fields, "active": True} if vendor == "skilljar" else dict(fields)
            desired.add(Resource(ENROLLMENTS.name, ENROLLMENTS.key_of(fields), wanted))
            made += 1
            if made % 100 == 0:
                continue  # 1 %: declared, not live yet
            live.add(
                Resource(
                    ENROLLMENTS.name,
                    ENROLLMENTS.key_of(fields),
                    _live_enrollment(vendor, fields),
                    ids={"id": f"e{made}", "user": f"u{index}", "target": title},
                )
            )
    desired.scopes[ENROLLMENTS.name] = {(word, title) for title in titles}
    return desired, live


def _users(vendor: str, index: int, email: str, key: str) -> tuple[Resource, Resource | None]:
    first, last = "Ann", f"Lee{index}"
    renamed = f"{last} II" if index % 100 == 50 else last
    if vendor == "training-records":  # people are only named: never read, never planned
        named = Resource("users", (key,), {"email": email, "api_id": f"p-{index}"}, ids={"id": f"p-{index}"})
        return named, None
    wanted: dict[str, Any] = {"email": email, "first_name": first, "last_name": renamed}
    present: dict[str, Any] = {"email": email, "first_name": first, "last_name": last}
    if vendor == "damstra":
        wanted["username"] = present["username"] = key
        present.update(
            phone="",
            mobile="",
            employee_number="",
            time_zone="Australia/Perth",
            roles=["trainee"],
            owner=False,
        )
    if vendor in ("skilljar", "damstra"):
        wanted["active"] = present["active"] = True
    if vendor == "versal":
        present.update(full_name=None, roles=["learner"])
    return (
        Resource("users", (key,), wanted),
        Resource("users", (key,), present, ids={"id": f"u{index}"}),
    )


def _live_enrollment(vendor: str, fields: dict[str, str]) -> dict[str, object]:
    if vendor == "skilljar":
        return {**fields, "active": True, "expires_at": None}
    if vendor == "damstra":
        return {**fields, "active": True}
    if vendor == "versal":
        return {**fields, "tracked": True}
    return {
        **fields,
        "started": None,
        "completed": None,
        "date_assigned": "2026-01-01T00:00:00Z",
        "package_desc": fields["target"],
    }


def plan_states(vendor: str, desired: State, live: State) -> Plan:
    return make_plan(desired, live, provider=registry()[vendor], manage=ManageConfig(), target="benchmark")


def measure(vendor: str, objects: int) -> PlannerRun:
    """make_plan on `objects` declared objects: CPU in an untraced run, memory in a traced one."""
    desired, live = build_states(vendor, objects)
    gc.collect()
    with fewer_collections():
        cpu, wall = time.process_time(), time.perf_counter()
        made = plan_states(vendor, desired, live)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    changes = len(made.changes)
    del made
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    traced = plan_states(vendor, desired, live)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced
    return PlannerRun(vendor, len(desired), changes, cpu, wall, (peak - before) / 2**20)


def measure_sizes(vendor: str, sizes: Sequence[int] = DEFAULT_SIZES) -> list[PlannerRun]:
    return [measure(vendor, objects) for objects in sizes]
