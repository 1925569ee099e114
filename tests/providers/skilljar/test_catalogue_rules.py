"""A publication's catalogue rules on Skilljar (skilljar.md D70 to D74): prerequisites, group
prerequisites, visibility overrides, tags and the re-enrollment rule, declared under `published:`.

Each is checked against the emulator's own store (`/_emulator/state`), every request against
Skilljar's OpenAPI document, and each set change converges in one apply with only its difference
written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.floors import SKILLJAR_REENROLLMENT_RULE, skilljar_catalogue_rule_reads
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.client import GROUP_PREREQUISITES, PREREQUISITES, TAGS, VISIBILITY_OVERRIDES
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls
from tests.oracle import exchange_errors, skilljar_spec

GROUPS = "groups:\n  - name: crew\n  - name: office\n"


def _catalogue(safety: str, *, basics: str = "") -> str:
    return f"""courses:
  - title: Basics
    short_description: The basics.
    published: {basics or "true"}
  - title: Site Safety
    short_description: Safety on site.
    published:
{safety}"""


RULES = """      prerequisites: [Basics]
      prerequisite_groups: [crew]
      visible_to: [office]
      tags: [safety, onsite]
      reenrollment:
        starts_at: 2031-01-01T00:00:00Z
        cycle_duration: 12
        cycle_duration_unit: months
"""


@pytest.fixture
def skilljar(tmp_path: Path) -> Iterator[EmulatorServer]:
    options = SkilljarEmulatorOptions(domains=(DOMAIN,))
    with EmulatorServer(
        create_app(tmp_path / "rules.sqlite3", api_key=CANARY_KEY, options=options)
    ) as server:
        yield server


def _state(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _rules_of(server: EmulatorServer, title: str) -> dict[str, Any]:
    """The rules the emulator's store holds for the publication of the course `title`, by name."""
    state = _state(server)
    course_ids = {course["id"]: course["title"] for course in state["courses"]}
    titles = {item["id"]: course_ids[item["course_id"]] for item in state["published_courses"]}
    (publication,) = [pid for pid, other in titles.items() if other == title]
    groups = {group["id"]: group["name"] for group in state["groups"]}
    tags = {tag["id"]: tag["name"] for tag in state["tags"]}

    def mine(table: str) -> list[dict[str, Any]]:
        return [row for row in state[table] if row["published_course_id"] == publication]

    rules = mine("reenrollment_rules")
    return {
        "prerequisites": sorted(
            titles[row["prerequisite_id"]] for row in mine("published_course_prerequisites")
        ),
        "prerequisite_groups": sorted(groups[row["group_id"]] for row in mine("group_prerequisites")),
        "visible_to": sorted(
            groups[row["group_id"]] for row in mine("visibility_overrides") if row["is_visible"]
        ),
        "hidden_from": sorted(
            groups[row["group_id"]] for row in mine("visibility_overrides") if not row["is_visible"]
        ),
        "tags": sorted(tags[row["tag_id"]] for row in mine("published_course_tags")),
        "reenrollment": [
            (row["starts_at"][:19], row["cycle_duration"], row["cycle_duration_unit"]) for row in rules
        ],
    }


def _apply(server: EmulatorServer, cli: CliRunnerCall, project: ProjectDir) -> list[tuple[str, str, Any]]:
    """One apply; its requests are checked against the spec; returns its writes."""
    before = len(server.requests)
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    calls = api_calls(server, since=before)
    assert exchange_errors(skilljar_spec(), calls) == []
    return [
        (call.method, call.path, json.loads(call.body) if call.body else None)
        for call in calls
        if call.method != "GET"
    ]


def _plans_nothing(cli: CliRunnerCall, root: Path) -> None:
    again = cli("plan", root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


@pytest.fixture
def applied(skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> EmulatorServer:
    project.configure(skilljar.url)
    project.write("groups.yaml", GROUPS)
    project.write("courses.yaml", _catalogue(RULES))
    _apply(skilljar, cli, project)
    return skilljar


def test_a_course_published_with_its_rules_converges_in_one_apply(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    assert _rules_of(applied, "Site Safety") == {
        "prerequisites": ["Basics"],
        "prerequisite_groups": ["crew"],
        "visible_to": ["office"],
        "hidden_from": [],
        "tags": ["onsite", "safety"],
        "reenrollment": [("2031-01-01T00:00:00", 12, "MONTHS")],
    }
    _plans_nothing(cli, project.root)


def test_changing_each_rule_writes_only_its_difference(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    changed = (
        RULES.replace("prerequisite_groups: [crew]", "prerequisite_groups: [office]")
        .replace("visible_to: [office]", "hidden_from: [office]\n      visible_to: []")
        .replace("tags: [safety, onsite]", "tags: [onsite, new-tag]")
        .replace("cycle_duration: 12", "cycle_duration: 6")
        .replace("prerequisites: [Basics]", "prerequisites: []")
    )
    project.write("courses.yaml", _catalogue(changed))

    writes = _apply(applied, cli, project)

    methods = sorted(
        (method, path.rsplit("/", 2)[-2] if method == "DELETE" else path.rsplit("/", 1)[-1])
        for method, path, _ in writes
    )
    assert methods == sorted(
        [
            ("DELETE", "published-course-prerequisites"),
            ("DELETE", "student-group-prerequisites"),
            ("POST", "student-group-prerequisites"),
            ("DELETE", "visibility-overrides"),
            ("POST", "visibility-overrides"),
            ("DELETE", "tags"),
            ("POST", "tags"),  # the tag `new-tag` is made in the organisation
            ("POST", "tags"),  # and put on the publication
            ("PATCH", "reenrollment_rule"),
        ]
    )
    assert ("PATCH", {"cycle_duration": 6}) in [(method, body) for method, _, body in writes]
    assert _rules_of(applied, "Site Safety") == {
        "prerequisites": [],
        "prerequisite_groups": ["office"],
        "visible_to": [],
        "hidden_from": ["office"],
        "tags": ["new-tag", "onsite"],
        "reenrollment": [("2031-01-01T00:00:00", 6, "MONTHS")],
    }
    _plans_nothing(cli, project.root)


def test_a_plan_reads_the_rules_at_the_floor_and_only_of_the_publications_declaring_them(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    since = len(applied.requests)

    _plans_nothing(cli, project.root)

    rule_reads = [
        call.path.split("/published-courses/", 1)[1]
        for call in api_calls(applied, since=since)
        if call.method == "GET" and "/published-courses/" in call.path
    ]
    site_safety = {
        PREREQUISITES: 1,
        GROUP_PREREQUISITES: 1,
        VISIBILITY_OVERRIDES: 1,
        TAGS: 2,
        SKILLJAR_REENROLLMENT_RULE: 1,
    }
    assert len(rule_reads) == skilljar_catalogue_rule_reads({"Site Safety": site_safety}) == 5
    assert len({path.split("/", 1)[0] for path in rule_reads}) == 1  # Basics declares none: not read


def test_a_null_rule_is_deleted_and_an_omitted_one_left_as_it_is(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("courses.yaml", _catalogue("      reenrollment: null\n"))

    writes = _apply(applied, cli, project)

    assert [(method, path.rsplit("/", 1)[-1]) for method, path, _ in writes] == [
        ("DELETE", "reenrollment_rule")
    ]
    rules = _rules_of(applied, "Site Safety")
    assert rules["reenrollment"] == []
    assert rules["tags"] == ["onsite", "safety"]  # not declared any more: left as it is
    _plans_nothing(cli, project.root)


def test_a_prerequisite_published_in_the_same_apply_is_published_first(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write(
        "courses.yaml",
        "courses:\n"
        + "".join(
            f"  - title: {title}\n    short_description: x\n    published:\n      prerequisites: [{needs}]\n"
            for title, needs in (("Level Three", "Level Two"), ("Level Two", "Level One"))
        )
        + "  - title: Level One\n    short_description: x\n    published: true\n",
    )

    _apply(skilljar, cli, project)

    assert _rules_of(skilljar, "Level Three")["prerequisites"] == ["Level Two"]
    assert _rules_of(skilljar, "Level Two")["prerequisites"] == ["Level One"]
    _plans_nothing(cli, project.root)


def test_unpublishing_a_course_removes_its_rules_at_skilljar(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "courses.yaml",
        _catalogue("      prerequisites: []\n").replace(
            "published:\n      prerequisites: []\n", "published: false\n"
        ),
    )

    _apply(applied, cli, project)

    state = _state(applied)
    assert state["published_course_tags"] == state["group_prerequisites"] == []
    assert state["visibility_overrides"] == state["reenrollment_rules"] == []


@pytest.mark.parametrize(
    ("rules", "where", "message"),
    [
        ("      prerequisites: [Nowhere]\n", "8:23", "publication 'Nowhere' is neither declared"),
        ("      visible_to: [crew, ghosts]\n", "8:26", "group 'ghosts' is neither declared"),
    ],
)
def test_a_rule_naming_what_does_not_exist_is_refused_at_its_place_before_any_write(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, rules: str, where: str, message: str
) -> None:
    project.configure(skilljar.url)
    project.write("courses.yaml", _catalogue(rules))
    project.write("groups.yaml", "groups:\n  - name: crew\n")
    before = len(skilljar.requests)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 1
    assert f"project/courses.yaml:{where}: {message}" in result.stderr
    assert [call for call in api_calls(skilljar, since=before) if call.method != "GET"] == []


def test_a_prerequisite_cycle_is_refused_where_it_closes(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.configure("sandbox")
    project.write(
        "courses.yaml",
        _catalogue("      prerequisites: [Basics]\n", basics="\n      prerequisites: [Site Safety]"),
    )

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert (
        "project/courses.yaml:9:23: prerequisites make a cycle ('Basics' → 'Site Safety' → 'Basics')"
        in result.stderr
    )


def test_export_writes_the_rules_and_re_plans_empty(
    applied: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / "lmsform.yaml").write_text((project.root / "lmsform.yaml").read_text())

    result = cli("export", exported)

    assert result.exit_code == 0, result.output
    text = "".join(path.read_text() for path in sorted(exported.glob("*.yaml")))
    assert "prerequisites:" in text and "cycle_duration: 12" in text and "safety" in text
    assert "hidden_from" not in text  # an empty rule list is left out
    _plans_nothing(cli, exported)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.sets(st.sampled_from(["a-tag", "b-tag", "c-tag"])),
    second=st.sets(st.sampled_from(["a-tag", "b-tag", "c-tag"])),
)
def test_any_change_of_a_set_converges_in_one_apply_with_exactly_its_difference(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, first: set[str], second: set[str]
) -> None:
    project.configure(skilljar.url)
    for tags in (first, second):
        project.write("courses.yaml", _catalogue(f"      tags: [{', '.join(sorted(tags))}]\n"))
        _state_before = (
            set(_rules_of(skilljar, "Site Safety")["tags"])
            if _state(skilljar)["published_courses"]
            else set()
        )
        writes = _apply(skilljar, cli, project)
        links = [
            (method, body)
            for method, path, body in writes
            if "/published-courses/" in path and "/tags" in path
        ]
        assert len(links) == len(tags ^ _state_before)
        assert set(_rules_of(skilljar, "Site Safety")["tags"]) == tags
        _plans_nothing(cli, project.root)
