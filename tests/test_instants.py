"""Dates and times with an offset are instants: declared as 01:00+02:00 and read back as 23:00Z the
day before, they are the same value, so apply sends them once and the next plan is empty."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir, writes

MANIFEST = """
users:
  - email: ann@acme.com
    first_name: Ann
courses:
  - title: Working at Heights
    published:
      registration_starts_at: "2027-01-16T01:00:00+02:00"
      registration_ends_at: "2027-03-01T09:30:00-05:00"
enrollments:
  - course: Working at Heights
    users: [ann@acme.com]
    expires_at: "2027-01-16T01:00:00+02:00"
"""


def _stored(database: Path) -> dict[str, datetime]:
    """The instants as the emulator's own tables hold them."""
    with sqlite3.connect(database) as connection:
        starts, ends = connection.execute(
            "SELECT registration_starts_at, registration_ends_at FROM published_courses"
        ).fetchone()
        (expires,) = connection.execute("SELECT expires_at FROM enrollments").fetchone()
    return {
        name: datetime.fromisoformat(value)
        for name, value in (("starts", starts), ("ends", ends), ("expires", expires))
    }


def test_instants_with_an_offset_are_applied_once_and_then_plan_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    project.configure(skilljar.url)
    project.write("training.yaml", MANIFEST)

    applied = cli("apply", project.root, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert _stored(tmp_path / "skilljar.sqlite3") == {
        "starts": datetime(2027, 1, 15, 23, 0, tzinfo=UTC),
        "ends": datetime(2027, 3, 1, 14, 30, tzinfo=UTC),
        "expires": datetime(2027, 1, 15, 23, 0, tzinfo=UTC),
    }
    since = len(skilljar.requests)

    replanned = cli("plan", project.root, "--detailed-exitcode")
    drift = cli("drift", project.root)
    again = cli("apply", project.root, "--auto-approve")

    assert replanned.exit_code == 0, replanned.output
    assert "No changes." in replanned.stdout
    assert drift.exit_code == 0, drift.output
    assert again.exit_code == 0, again.output
    assert writes(skilljar, since=since) == []


def test_another_instant_is_still_a_change(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("training.yaml", MANIFEST)
    assert cli("apply", project.root, "--auto-approve").exit_code == 0

    project.write(
        "training.yaml",
        MANIFEST.replace(
            'expires_at: "2027-01-16T01:00:00+02:00"', 'expires_at: "2027-01-16T01:00:00+01:00"'
        ),
    )
    replanned = cli("plan", project.root, "--detailed-exitcode")

    assert replanned.exit_code == 2, replanned.output
    assert "2027-01-16T00:00:00Z" in replanned.stdout
