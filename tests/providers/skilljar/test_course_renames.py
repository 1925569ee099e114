"""A course renamed with `previously:` keeps what names it by title: its place in a learning path,
its role as another course's prerequisite and its instructor-led sessions. Skilljar links those by
id, so the rename is the only write; reading them under the old title would plan the path item and
the prerequisite to be removed and added again, and a session to be made again (one can never be
removed)."""

from __future__ import annotations

from typing import Any

import requests

from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir, writes

CATALOGUE = """
courses:
  - title: {title}
    previously: {previously}
    short_description: Driving a forklift safely.
    published: true
  - title: Rigging
    short_description: Slinging loads.
    published:
      prerequisites: [{title}]
paths:
  - slug: yard-crew
    title: Yard crew
    courses: [{title}, Rigging]
instructors:
  - email: ann.lee@acme.com
sessions:
  - lesson: {{course: {title}, lesson: Practical}}
    starts_at: 2031-03-04T09:00:00Z
    ends_at: 2031-03-04T12:00:00Z
    display_name: Forklift practical
    timezone: Europe/London
    instructor: ann.lee@acme.com
"""


def _state(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _linked(state: dict[str, Any]) -> dict[str, Any]:
    """What links to the courses, by id: path items, prerequisites and sessions."""
    return {
        "path_items": sorted((row["id"], row["published_course_id"]) for row in state["path_items"]),
        "prerequisites": state["published_course_prerequisites"],
        "sessions": [(row["id"], row["lesson"]) for row in state["ilt_sessions"]],
    }


def test_renaming_a_course_writes_only_its_title_and_keeps_what_names_it(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    seeded = requests.post(
        f"{skilljar.url}/_emulator/seed",
        json={"courses": [{"title": "Forklift safety", "lessons": ["Practical"]}]},
        timeout=10,
    )
    assert seeded.status_code == 201, seeded.text
    project.configure(skilljar.url)
    project.write("catalogue.yaml", CATALOGUE.format(title="Forklift safety", previously="[]"))
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    before = _linked(_state(skilljar))
    assert all(before.values()), before
    since = len(skilljar.requests)
    project.write(
        "catalogue.yaml", CATALOGUE.format(title="Forklift safety 2027", previously="[Forklift safety]")
    )

    plan = cli("plan", project.root)
    assert "Plan: 0 to add, 1 to change, 0 to remove." in plan.stdout, plan.output
    applied = cli("apply", project.root, "--auto-approve")

    assert applied.exit_code == 0, applied.output
    [(method, path)] = writes(skilljar, since=since)
    assert (method, path.rsplit("/", 1)[0]) == ("PATCH", "/v1/courses")
    assert _linked(_state(skilljar)) == before
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0
