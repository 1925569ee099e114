"""Chaos: a 1,000-user account applied through 10 % 5xx, 5 % 429 and 2 % dropped answers, per vendor.

One `apply` must get through (retries, look-before-resend), the next `plan` must be empty, and the
emulator's own state must hold every declared object exactly once: no duplicate from a create re-sent
after its answer was lost, nothing missing. The faults are counted by the emulator, so the test
fails if they stop happening (a seed or a fault layer that no longer bites). The bulk calls of
Skilljar and Damstra are few, so besides the random faults one of them loses its answer for sure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from benchmarks.orgs import (
    CREDENTIALS,
    VENDORS,
    Org,
    ProjectSettings,
    Size,
    make_org,
    seed_document,
    write_project,
)
from lmsform.providers.emulation.faults import FaultChanges, Faults
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall

pytestmark = pytest.mark.slow  # applies through injected faults

CHAOS: FaultChanges = {"error_rate": 0.10, "throttle_rate": 0.05, "drop_rate": 0.02, "seed": 20240611}
# A thousand users each, and enough of what else the vendor's API writes to meet every fault often.
SIZES = {
    "skilljar": Size(1_000, 10, 2, 300, paths=1, plans=1, webhooks=3),
    "damstra": Size(1_000, 20, 5, 400, supervised_groups=True),
    "versal": Size(1_000, 0, 3, 300),
    "training-records": Size(1_000, 0, 3, 600),
}
PROVIDER_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    # More retries than the default 5: at a 15 % loss rate, 6 lost tries in a row meet one call in
    # 90,000, and an apply this size makes several thousand.
    "skilljar": {"retries": 8},
    "damstra": {"retries": 8, "bulk_import_size": 100},  # ten imports, not two
    "versal": {"retries": 8},
    "training-records": {"retries": 8},
}
# The bulk call whose answer is lost for sure (dropped, unless a random fault answered it first).
BULK_PATHS = {"skilljar": r".*/users/bulk-create", "damstra": r".*/bulkUserImport"}

Rows = list[dict[str, Any]]


def _skilljar_objects(org: Org) -> dict[str, tuple[tuple[str, ...], int]]:
    courses = sum(1 for target in org.targets if target.word == "course")
    return {
        "users": (("email",), len(org.people)),
        "domain_users": (("domain_name", "user_id"), len(org.people)),
        "groups": (("name",), len(org.groups)),
        "group_users": (("group_id", "user_id"), sum(len(group.members) for group in org.groups)),
        "courses": (("title",), courses),
        "published_courses": (("course_id",), courses),
        "enrollments": (
            ("published_course_id", "published_path_id", "plan_id", "user_id"),
            len(org.enrollments),
        ),
        "webhooks": (("target_url", "event_type"), len(org.webhooks)),
    }


def _damstra_objects(org: Org) -> dict[str, tuple[tuple[str, ...], int]]:
    return {
        "users": (("user_name",), len(org.people) + 1),  # and the account owner
        "groups": (("name",), len(org.groups)),
        "memberships": (("group_id", "user_id"), sum(len(group.members) for group in org.groups)),
        "supervisions": (("group_id", "user_id"), sum(len(group.supervisors) for group in org.groups)),
        "lessonSchedules": (("user_id", "lesson_id"), len(org.enrollments)),
    }


def _versal_objects(org: Org) -> dict[str, tuple[tuple[str, ...], int]]:
    return {
        "users": (("email_key",), len(org.people)),
        "memberships": (("org_id", "user_id"), len(org.people)),
        "course_learners": (("course_id", "user_id"), len(org.enrollments)),
        "course_roles": (("course_id", "user_id"), len(org.enrollments)),
    }


def _training_records_objects(org: Org) -> dict[str, tuple[tuple[str, ...], int]]:
    return {"records": (("person_api_id", "package_api_id"), len(org.enrollments))}


OBJECTS: Mapping[str, Callable[[Org], dict[str, tuple[tuple[str, ...], int]]]] = {
    "skilljar": _skilljar_objects,
    "damstra": _damstra_objects,
    "versal": _versal_objects,
    "training-records": _training_records_objects,
}


def _keys(rows: Iterable[Mapping[str, Any]], fields: tuple[str, ...]) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(str(row[name]).lower() for name in fields) for row in rows)


def _faults_on_writes(server: EmulatorServer) -> Counter[str]:
    return Counter(
        request.fault
        for request in server.requests
        if request.method != "GET" and request.fault is not None and not request.path.startswith("/_emulator")
    )


def _converged(cli: CliRunnerCall, server: EmulatorServer, project: Path, org: Org) -> None:
    """Without faults, the next plan is empty; the emulator holds every declared object exactly once."""
    server.faults.update(error_rate=0, throttle_rate=0, drop_rate=0)
    planned = cli("plan", project, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output[-3000:]
    state = requests.get(f"{server.url}/_emulator/state", timeout=60).json()
    for table, (fields, expected) in OBJECTS[org.vendor](org).items():
        keys = _keys(state[table], fields)
        twice = {key: count for key, count in keys.items() if count > 1}
        assert not twice, f"{table}: {len(twice)} duplicated, e.g. {next(iter(twice.items()))}"
        assert len(keys) == expected, f"{table}: {len(keys)} objects, {expected} declared"


@pytest.mark.parametrize("vendor", VENDORS)
def test_an_apply_through_faults_converges_with_every_object_once(
    vendor: str, tmp_path: Path, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make_org(vendor, "chaos", size=SIZES[vendor])
    for variable, value in CREDENTIALS[vendor].items():
        # Marked for the run-wide search of tests/guards.py, which looks for it in every output; Versal's
        # keys must be UUIDs, so its key cannot carry the mark.
        secret = variable.endswith(("_KEY", "_PASSWORD")) and vendor != "versal"
        monkeypatch.setenv(variable, f"{value}-CANARY" if secret else value)
    app = emulator_for(vendor).app(tmp_path / "state.sqlite3", api_key=None, target=None)
    with EmulatorServer(app, faults=Faults(), record_bodies=False) as server:
        requests.post(
            f"{server.url}/_emulator/seed", json=seed_document(org.base()), timeout=60
        ).raise_for_status()
        project = tmp_path / "project"
        settings = ProjectSettings(
            base_url=emulator_for(vendor).api_root(server.url),
            parallelism=16,
            timeout=10,
            extra=PROVIDER_SETTINGS[vendor],
        )
        write_project(org, project, settings)
        server.faults.update(**CHAOS)
        if vendor in BULK_PATHS:
            server.recorder.drop_answers("POST", BULK_PATHS[vendor], 1)

        applied = cli("apply", project, "--auto-approve")

        assert applied.exit_code == 0, applied.output[-3000:]
        met = _faults_on_writes(server)
        assert min(met["error"], met["throttle"], met["drop"]) >= 5, met
        if vendor in BULK_PATHS:  # the first bulk call lost its answer: dropped, or a random 5xx or 429
            bulk = [request for request in server.requests if re.fullmatch(BULK_PATHS[vendor], request.path)]
            assert bulk[0].fault in ("drop", "error", "throttle"), bulk[0]
        _converged(cli, server, project, org)
