"""The benchmark runner at size S: it runs end to end, and lmsform's no-change plan stays at the read floor.

No timing is asserted (CI machines vary); latency is 0 to keep the run short. The floors themselves are
checked against the worked examples of the vendor references.
"""

from __future__ import annotations

import pytest

from benchmarks import floors
from benchmarks.orgs import VENDORS, Enrollment, Group, Org, Person, Target, make_org
from benchmarks.run import Options, run_vendor

pytestmark = pytest.mark.slow  # runs the benchmark scripts


@pytest.mark.parametrize("vendor", VENDORS)
def test_size_s_runs_and_the_no_change_plan_reads_at_the_floor(vendor: str) -> None:
    options = Options(
        size="S",
        latency=0.0,
        scenarios=("plan", "change", "planner"),
        planner_sizes=(1_000,),
        memory=False,
    )

    result = run_vendor(vendor, options)

    assert result.ok, result.errors
    assert result.info["plan_no_changes"] is True
    org = make_org(vendor, "S")
    requests = result.figure("plan", "requests")
    assert requests.floor == floors.read_floor(org, org).requests
    assert requests.value is not None
    assert requests.value <= 1.05 * requests.floor
    assert result.figure("change", "failed requests").value == 0
    assert result.figure("change", "write calls").passed  # within 1.1 x the floor, bulk endpoints counted


def _org(
    vendor: str, *, users: int, groups: int = 0, targets: int = 0, per_target: int = 0, webhooks: int = 0
) -> Org:
    people = tuple(Person(f"u{i}@x.example", f"u{i}", "A", "B", f"p{i}") for i in range(users))
    made_groups = tuple(Group(f"g{g}", "", tuple(range(g, users, groups))) for g in range(groups))
    made_targets = tuple(Target("course", f"c{t}", f"k{t}", True) for t in range(targets))
    enrollments = tuple(
        Enrollment(t, (t * per_target + i) % users) for t in range(targets) for i in range(per_target)
    )
    hooks = tuple((f"https://h.example/{w}", "COURSE_COMPLETION") for w in range(webhooks))
    return Org(vendor, "S", people, made_groups, made_targets, enrollments, hooks)


def test_read_floors_match_the_references_worked_examples() -> None:
    # skilljar.md Floor: U=5,000, G=20, C=P_c=100, E=20,000 (≤1000 per course), W=3 → 130 GETs.
    skilljar = _org("skilljar", users=5_000, groups=20, targets=100, per_target=200, webhooks=3)
    assert floors.read_floor(skilljar, skilljar).requests == 130
    # versal.md Floor: U=5,000, C=100, E=20,000 (200 per course), P=100 → 251 GETs.
    versal = _org("versal", users=5_000, targets=100, per_target=200)
    assert floors.read_floor(versal, versal).requests == 251
    # damstra.md Floor: U=1,000 (the owner included), G=50, L=200, S < 100 → 1,013 GETs.
    damstra = _org("damstra", users=999, groups=50, targets=200, per_target=5)
    assert floors.read_floor(damstra, damstra).requests == 1_013 - 1  # the owner has no enrollments
    # training-records.md Floor: E=20,000, L=100 → 200 GETs.
    records = _org("training-records", users=5_000, targets=100, per_target=200)
    assert floors.read_floor(records, records).requests == 200


def test_write_floors_use_the_bulk_endpoints() -> None:
    skilljar = make_org("skilljar", "L")
    # 20 bulk-creates of 1,000 users, then one call per group, membership, course, publication,
    # enrollment and webhook.
    assert floors.create_floor(skilljar).requests == 20 + 300 + 20_000 + 2 * 150 + 60_000 + 3
    damstra = make_org("damstra", "L")
    # 10 bulk imports of 500, 200 groups, one add_members and one add_supervisors per group, and one
    # schedule call per user with enrollments.
    assert floors.create_floor(damstra).requests == 10 + 200 + 200 + 200 + 5_000
