"""Skilljar learning paths as a managed kind (skilljar.md D60 to D64): created with their ordered courses
and labels, changed with the fewest item calls, deleted under `manage.paths: authoritative`, exported
so that the export re-plans empty; every request checked against the OpenAPI document and every
result against the emulator's own store."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.floors import skilljar_path_reads
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.path_operations import LiveItem, item_writes
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls, writes
from tests.oracle import exchange_errors, skilljar_spec

COURSES = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")
CATALOGUE = "courses:\n" + "".join(
    f"  - title: {title}\n    short_description: {title} in brief.\n    published: true\n"
    for title in COURSES
)
_PATHS = f"/v1/domains/{DOMAIN}/published-paths"


def _path_manifest(courses: Sequence[str], *, title: str = "New hire onboarding", extra: str = "") -> str:
    return textwrap.dedent(
        f"""
        paths:
          - slug: new-hire-onboarding
            title: {title}
            short_description: Your first weeks.
            courses: [{", ".join(courses)}]
            labels: [Compliance, Onboarding]
        """
    ) + textwrap.indent(textwrap.dedent(extra), "    ")


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _replans_empty(cli: CliRunnerCall, project: ProjectDir) -> None:
    again = cli("plan", project.root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def _store(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _stored_paths(server: EmulatorServer) -> dict[str, dict[str, Any]]:
    """Per slug, what the emulator's own tables hold: the path's fields, its courses in their order
    (by `order`, then by creation: D61) and its label names."""
    state = _store(server)
    titles = {course["id"]: course["title"] for course in state["courses"]}
    course_of = {row["id"]: titles[row["course_id"]] for row in state["published_courses"]}
    labels = {label["id"]: label["name"] for label in state["labels"]}
    found = {}
    for row in state["published_paths"]:
        items = [item for item in state["path_items"] if item["published_path_id"] == row["id"]]
        ordered = sorted(enumerate(items), key=lambda pair: (pair[1]["order"], pair[0]))
        found[row["slug"]] = {
            "title": row["title"],
            "short_description": row["short_description"],
            "long_description_html": row["long_description_html"],
            "hidden": row["hidden"],
            "courses": [course_of[item["published_course_id"]] for _, item in ordered],
            "labels": sorted(
                labels[link["label_id"]]
                for link in state["path_labels"]
                if link["published_path_id"] == row["id"]
            ),
        }
    return found


def _spec_valid(server: EmulatorServer, since: int = 0) -> None:
    assert exchange_errors(skilljar_spec(), api_calls(server, since=since)) == []


def _item_writes(server: EmulatorServer, since: int) -> list[str]:
    return [method for method, path in writes(server, since=since) if "/path-items" in path]


def _declare(project: ProjectDir, courses: Sequence[str], **kwargs: Any) -> None:
    project.write("catalogue.yaml", CATALOGUE + _path_manifest(courses, **kwargs))


def test_a_path_is_made_with_its_courses_in_order_and_its_labels_and_replans_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare(project, ["Gamma", "Alpha", "Beta"], extra="hidden: true\n")

    _apply(cli, project)

    assert _stored_paths(skilljar)["new-hire-onboarding"] == {
        "title": "New hire onboarding",
        "short_description": "Your first weeks.",
        "long_description_html": "",
        "hidden": True,
        "courses": ["Gamma", "Alpha", "Beta"],
        "labels": ["Compliance", "Onboarding"],
    }
    path_writes = [(method, path) for method, path in writes(skilljar) if path.startswith(_PATHS)]
    assert [method for method, _ in path_writes] == ["POST"] * 6  # the path, 3 items, 2 labels
    since = len(skilljar.requests)
    _replans_empty(cli, project)
    path_reads = [call.path for call in api_calls(skilljar, since=since) if call.path.startswith(_PATHS)]
    # The benchmark floor: the path list, then one page of items and one of labels for the declared path.
    assert len(path_reads) == skilljar_path_reads(1, {"new-hire-onboarding": (3, 2)}, path_list_read=False)
    _spec_valid(skilljar)


def test_a_reorder_moves_only_the_courses_out_of_place_and_fields_change_where_skilljar_keeps_them(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare(project, ["Alpha", "Beta", "Gamma", "Delta"])
    _apply(cli, project)
    since = len(skilljar.requests)
    # Delta moves to the front, Beta goes, Epsilon comes; the title and a flag change; a label goes.
    project.write(
        "catalogue.yaml",
        CATALOGUE
        + _path_manifest(["Delta", "Alpha", "Gamma", "Epsilon"], title="Onboarding").replace(
            "[Compliance, Onboarding]", "[Onboarding]"
        )
        + "    unique_progress_per_enrollment: true\n",
    )

    plan = cli("plan", project.root, "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 0 to add, 1 to change, 0 to remove." in plan.stdout
    _apply(cli, project)

    stored = _stored_paths(skilljar)["new-hire-onboarding"]
    assert stored["courses"] == ["Delta", "Alpha", "Gamma", "Epsilon"]
    assert stored["title"] == "Onboarding"
    assert stored["labels"] == ["Onboarding"]
    assert sorted(_item_writes(skilljar, since)) == ["DELETE", "PATCH", "POST"]
    path_id = next(row["path_id"] for row in _store(skilljar)["published_paths"])
    published_id = next(row["id"] for row in _store(skilljar)["published_paths"])
    assert ("PATCH", f"/v1/paths/{path_id}") in writes(skilljar, since=since)
    assert ("PATCH", f"{_PATHS}/{published_id}") in writes(skilljar, since=since)
    patched = [
        json.loads(call.body)
        for call in api_calls(skilljar, since=since)
        if call.method == "PATCH" and call.path == f"/v1/paths/{path_id}"
    ]
    assert patched == [{"title": "Onboarding"}]
    _replans_empty(cli, project)
    _spec_valid(skilljar, since)


def test_under_authoritative_an_undeclared_path_is_deleted_with_its_enrollments(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url, manage="paths: authoritative")
    _declare(project, ["Alpha"])
    project.write(
        "people.yaml",
        "users:\n  - email: kim@acme.com\n"
        "enrollments:\n  - path: new-hire-onboarding\n    users: [kim@acme.com]\n",
    )
    _apply(cli, project)
    assert len(_store(skilljar)["enrollments"]) == 1
    project.write("catalogue.yaml", CATALOGUE)
    project.write("people.yaml", "users:\n  - email: kim@acme.com\n")

    plan = cli("plan", project.root)
    assert plan.exit_code == 0, plan.output
    assert '- paths["new-hire-onboarding"]' in plan.stdout
    assert "cannot be undone" in plan.stdout
    _apply(cli, project)

    state = _store(skilljar)
    assert state["published_paths"] == [] and state["path_items"] == [] and state["path_labels"] == []
    assert state["enrollments"] == []
    _replans_empty(cli, project)
    _spec_valid(skilljar)


def test_attack_a_pull_request_cannot_delete_a_path_the_trusted_policy_protects(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting a path cannot be undone and takes its learners' enrollments. The pull request makes
    paths authoritative (lmsform.yaml is in the pull request too) and drops the path; the policy in
    the environment, which a pull request cannot change, protects it by a glob over its slug. Nothing
    is sent, and the path, its items and the enrollment stay."""
    monkeypatch.setenv("LMSFORM_POLICY", "protect:\n  paths: ['new-hire-*']\n")
    project.configure(skilljar.url)
    _declare(project, ["Alpha", "Beta"])
    project.write(
        "people.yaml",
        "users:\n  - email: kim@acme.com\n"
        "enrollments:\n  - path: new-hire-onboarding\n    users: [kim@acme.com]\n",
    )
    _apply(cli, project)
    before = _store(skilljar)
    project.configure(skilljar.url, manage="paths: authoritative")
    project.write("catalogue.yaml", CATALOGUE)
    project.write("people.yaml", "users:\n  - email: kim@acme.com\n")
    since = len(skilljar.requests)

    applied = cli("apply", project.root, "--auto-approve")

    assert "protect" in applied.output, applied.output
    assert writes(skilljar, since=since) == []
    after = _store(skilljar)
    for table in ("published_paths", "path_items", "path_labels", "enrollments"):
        assert after[table] == before[table], table


def test_additive_leaves_an_undeclared_path_alone_and_reads_no_items_for_it(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare(project, ["Alpha"])
    _apply(cli, project)
    project.write("catalogue.yaml", CATALOGUE)
    since = len(skilljar.requests)

    _replans_empty(cli, project)

    assert not [call for call in api_calls(skilljar, since=since) if "/path-items" in call.path]
    assert "new-hire-onboarding" in _stored_paths(skilljar)


def test_an_export_writes_paths_with_their_courses_and_labels_and_replans_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare(project, ["Beta", "Alpha"])
    _apply(cli, project)
    (project.root / "catalogue.yaml").unlink()

    exported = cli("export", project.root)
    assert exported.exit_code == 0, exported.output
    written = "\n".join(path.read_text() for path in project.root.rglob("*.yaml"))
    assert "new-hire-onboarding" in written

    _replans_empty(cli, project)


def test_a_path_can_be_given_to_a_supervisor_in_the_apply_that_makes_it(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare(project, ["Alpha"])
    project.write(
        "people.yaml",
        textwrap.dedent(
            """
            users:
              - email: ann@acme.com
                groups: [crew]
            groups:
              - name: crew
            supervisors:
              - user: ann@acme.com
                group: crew
                course_access: NONE
                path_access: SELECTED
                paths: [new-hire-onboarding]
            """
        ),
    )

    _apply(cli, project)

    [access] = _store(skilljar)["manager_access"]
    assert access["path_ids"] == [next(row["path_id"] for row in _store(skilljar)["published_paths"])]


def _longest_in_order(positions: Sequence[int]) -> int:
    best = [1] * len(positions)
    for index, position in enumerate(positions):
        for before in range(index):
            if positions[before] < position:
                best[index] = max(best[index], best[before] + 1)
    return max(best, default=0)


def _fewest_item_writes(live: Sequence[str], wanted: Sequence[str]) -> int:
    """Deletes, adds, and a move for every kept item outside a longest run already in order: no fewer
    calls can do it, as an item not written keeps its order."""
    kept = [wanted.index(course) for course in live if course in wanted]
    return (len(live) - len(kept)) + (len(wanted) - len(kept)) + (len(kept) - _longest_in_order(kept))


def _simulate(live: list[tuple[str, str, int]], wanted: Sequence[str]) -> tuple[list[str], int]:
    """Carry out `item_writes` as the emulator does (D61: sort by order, ties by creation)."""
    items = [LiveItem(item_id, course, order) for item_id, course, order in live]
    plan = item_writes(items, wanted)
    rows = {item.id: [item.course, item.order, seq] for seq, item in enumerate(items)}
    for item_id in plan.deletes:
        del rows[item_id]
    for item_id, order in plan.moves:
        rows[item_id][1] = order
    for number, (course, order) in enumerate(plan.adds):
        rows[f"new{number}"] = [course, order, len(items) + number]
    ordered = sorted(rows.values(), key=lambda row: (row[1], row[2]))
    return [str(row[0]) for row in ordered], plan.count


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(COURSES), unique=True),
    st.lists(st.sampled_from(COURSES), unique=True),
    st.lists(st.integers(-5, 5), min_size=5, max_size=5),
)
def test_any_list_of_items_becomes_any_other_with_the_fewest_writes(
    live: list[str], wanted: list[str], orders: list[int]
) -> None:
    """Whatever orders the live items hold (gaps, equal orders, negatives), one pass gives the wanted
    list, with the fewest writes whenever the orders leave room (else every item is renumbered)."""
    spaced = sorted(orders[: len(live)])
    result, count = _simulate(
        [(f"i{n}", course, order) for n, (course, order) in enumerate(zip(live, spaced, strict=True))], wanted
    )
    assert result == wanted
    roomy = [(f"i{n}", course, (n + 1) * 1024) for n, course in enumerate(live)]
    assert _simulate(roomy, wanted) == (wanted, _fewest_item_writes(live, wanted))
    assert count >= _fewest_item_writes(live, wanted)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.permutations(COURSES).flatmap(lambda order: st.integers(0, len(order)).map(lambda cut: order[:cut]))
)
def test_any_permutation_or_sub_list_of_courses_converges_in_one_apply_with_the_fewest_item_writes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, wanted: list[str]
) -> None:
    requests.post(f"{skilljar.url}/_emulator/reset", timeout=10).raise_for_status()  # a fresh path each time
    project.configure(skilljar.url)
    _declare(project, COURSES)
    _apply(cli, project)
    live = _stored_paths(skilljar)["new-hire-onboarding"]["courses"]
    since = len(skilljar.requests)
    _declare(project, wanted)

    _apply(cli, project)

    assert _stored_paths(skilljar)["new-hire-onboarding"]["courses"] == list(wanted)
    assert len(_item_writes(skilljar, since)) == _fewest_item_writes(live, wanted)
    _replans_empty(cli, project)
    _spec_valid(skilljar, since)


# --- catalogue tags and group visibility overrides (skilljar.md D85 to D87) ---------------------------

_GROUPS = "groups:\n  - name: crew\n  - name: contractors\n  - name: visitors\n"


def _stored_path_rules(server: EmulatorServer) -> dict[str, Any]:
    """The path's tag names and its visibility overrides (group name → is_visible), from the store."""
    state = _store(server)
    tags = {tag["id"]: tag["name"] for tag in state["tags"]}
    groups = {group["id"]: group["name"] for group in state["groups"]}
    return {
        "tags": sorted(tags[row["tag_id"]] for row in state["published_path_tags"]),
        "overrides": {
            groups[row["group_id"]]: row["is_visible"] for row in state["path_visibility_overrides"]
        },
    }


def _declare_rules(project: ProjectDir, rules: str) -> None:
    project.write("groups.yaml", _GROUPS)
    _declare(project, ["Alpha", "Beta"], extra=rules)


def test_a_path_is_made_with_its_tags_and_visibility_overrides_and_reads_them_at_the_floor(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare_rules(
        project,
        "tags: [safety, onboarding, safety]\nvisible_to: [crew]\nhidden_from: [visitors, contractors]\n",
    )

    _apply(cli, project)

    assert _stored_path_rules(skilljar) == {
        "tags": ["onboarding", "safety"],  # a set: the repeat is one tag
        "overrides": {"crew": True, "visitors": False, "contractors": False},
    }
    since = len(skilljar.requests)
    _replans_empty(cli, project)
    path_reads = [call.path for call in api_calls(skilljar, since=since) if call.path.startswith(_PATHS)]
    rules = {"new-hire-onboarding": {"tags": 2, "visibility-overrides": 3}}
    assert len(path_reads) == skilljar_path_reads(
        1, {"new-hire-onboarding": (2, 2)}, path_list_read=False, rules=rules
    )
    _spec_valid(skilljar)


def test_each_rule_of_a_path_changes_by_its_difference_and_replans_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare_rules(
        project, "tags: [safety, onboarding]\nvisible_to: [crew, visitors]\nhidden_from: [contractors]\n"
    )
    _apply(cli, project)
    since = len(skilljar.requests)
    # A tag goes and one comes; visitors move from visible_to to hidden_from; contractors' override goes.
    _declare_rules(project, "tags: [safety, induction]\nvisible_to: [crew]\nhidden_from: [visitors]\n")

    plan = cli("plan", project.root, "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 0 to add, 1 to change, 0 to remove." in plan.stdout
    _apply(cli, project)

    assert _stored_path_rules(skilljar) == {
        "tags": ["induction", "safety"],
        "overrides": {"crew": True, "visitors": False},
    }
    rule_writes = sorted(
        (method, path.rsplit("/", 2)[-2] if method == "DELETE" else path.rsplit("/", 1)[-1])
        for method, path in writes(skilljar, since=since)
        if path.startswith(_PATHS)
    )
    assert rule_writes == [
        ("DELETE", "tags"),
        ("DELETE", "visibility-overrides"),
        ("DELETE", "visibility-overrides"),
        ("POST", "tags"),
        ("POST", "visibility-overrides"),
    ]
    assert ("POST", "/v1/tags") in writes(skilljar, since=since)  # `induction` is made; none is renamed
    _replans_empty(cli, project)
    # Emptied: every override goes; tags left undeclared stay as they are.
    _declare_rules(project, "visible_to: []\nhidden_from: []\n")
    _apply(cli, project)
    assert _stored_path_rules(skilljar) == {"tags": ["induction", "safety"], "overrides": {}}
    _replans_empty(cli, project)
    _spec_valid(skilljar, since)


def test_a_path_naming_an_undeclared_group_is_refused_at_its_place(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare(project, ["Alpha"], extra="visible_to: [nobody]\n")

    plan = cli("plan", project.root)

    assert plan.exit_code != 0
    line = next(
        number
        for number, text in enumerate((project.root / "catalogue.yaml").read_text().splitlines(), 1)
        if "nobody" in text
    )
    assert f"catalogue.yaml:{line}:" in plan.output and "nobody" in plan.output


def test_deleting_a_path_or_a_group_removes_its_rules_and_an_export_keeps_them(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare_rules(project, "tags: [safety]\nvisible_to: [crew]\nhidden_from: [visitors]\n")
    _apply(cli, project)
    (project.root / "catalogue.yaml").unlink()
    (project.root / "groups.yaml").unlink()

    exported = cli("export", project.root)
    assert exported.exit_code == 0, exported.output
    written = "\n".join(path.read_text() for path in project.root.rglob("*.yaml"))
    assert "visible_to" in written and "hidden_from" in written and "safety" in written
    _replans_empty(cli, project)

    group_id = next(row["id"] for row in _store(skilljar)["groups"] if row["name"] == "visitors")
    requests.delete(
        f"{skilljar.url}/v1/groups/{group_id}", auth=(CANARY_KEY, ""), timeout=10
    ).raise_for_status()
    assert _stored_path_rules(skilljar)["overrides"] == {"crew": True}
    path_id = next(row["id"] for row in _store(skilljar)["published_paths"])
    requests.delete(f"{skilljar.url}{_PATHS}/{path_id}", auth=(CANARY_KEY, ""), timeout=10).raise_for_status()
    state = _store(skilljar)
    assert state["published_path_tags"] == [] and state["path_visibility_overrides"] == []
    assert [tag["name"] for tag in state["tags"]] == ["safety"]  # the organisation's tag stays


_GROUP_NAMES = ("crew", "contractors", "visitors")


def _rules_yaml(visible: set[str], hidden: set[str], tags: set[str]) -> str:
    return "".join(
        f"{name}: [{', '.join(sorted(values))}]\n"
        for name, values in (("visible_to", visible), ("hidden_from", hidden), ("tags", tags))
    )


# Per group, in `_GROUP_NAMES` order: visible (True), hidden (False) or no override (None).
_OVERRIDES = st.lists(st.sampled_from((None, True, False)), min_size=3, max_size=3)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    _OVERRIDES,
    _OVERRIDES,
    st.sets(st.sampled_from(("a", "b", "c"))),
    st.sets(st.sampled_from(("a", "b", "c"))),
)
def test_any_rules_of_a_path_become_any_others_writing_only_the_difference(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    first: list[bool | None],
    second: list[bool | None],
    first_tags: set[str],
    second_tags: set[str],
) -> None:
    """Each group is visible, hidden or neither; going from one set of rules to another writes one
    call per override or tag that differs (two for a group whose override flips) and leaves exactly
    the second in the store."""
    requests.post(f"{skilljar.url}/_emulator/reset", timeout=10).raise_for_status()
    project.configure(skilljar.url)

    def split(choice: list[bool | None]) -> tuple[dict[str, bool], set[str], set[str]]:
        overrides = {
            group: shown for group, shown in zip(_GROUP_NAMES, choice, strict=True) if shown is not None
        }
        visible = {group for group, shown in overrides.items() if shown}
        return overrides, visible, set(overrides) - visible

    before, visible, hidden = split(first)
    _declare_rules(project, _rules_yaml(visible, hidden, first_tags))
    _apply(cli, project)
    after, visible, hidden = split(second)
    _declare_rules(project, _rules_yaml(visible, hidden, second_tags))
    since = len(skilljar.requests)

    _apply(cli, project)

    assert _stored_path_rules(skilljar) == {"tags": sorted(second_tags), "overrides": after}
    changed = {group for group in {*before, *after} if before.get(group) != after.get(group)}
    expected = sum(2 if group in before and group in after else 1 for group in changed)
    expected += len(first_tags ^ second_tags)
    rule_writes = [
        path
        for _, path in writes(skilljar, since=since)
        if path.startswith(_PATHS) and ("/tags" in path or "/visibility-overrides" in path)
    ]
    assert len(rule_writes) == expected
    _replans_empty(cli, project)
    _spec_valid(skilljar, since)


def test_the_emulator_answers_a_path_s_rules_as_the_spec_says(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    _declare_rules(project, "tags: [safety]\nvisible_to: [crew]\n")
    _apply(cli, project)
    state = _store(skilljar)
    path_id = state["published_paths"][0]["id"]
    tag_id = state["tags"][0]["id"]
    crew = next(row["id"] for row in state["groups"] if row["name"] == "crew")
    session = requests.Session()
    session.auth = (CANARY_KEY, "")
    base = f"{skilljar.url}{_PATHS}/{path_id}"

    assert session.post(f"{base}/tags", json={"tag": {"id": tag_id}}, timeout=10).status_code == 400
    again = {"student_group": {"id": crew}, "is_visible": False}
    assert session.post(f"{base}/visibility-overrides", json=again, timeout=10).status_code == 400
    assert session.post(f"{base}/tags", json={"tag": {"id": "nosuchtag"}}, timeout=10).status_code == 400
    assert session.get(f"{skilljar.url}{_PATHS}/nosuchpath/tags", timeout=10).status_code == 404
    assert session.get(f"{base}/tags/{tag_id}", timeout=10).json() == {
        "tag": {"id": tag_id, "name": "safety", "slug": "safety"}
    }
    assert session.get(f"{base}/visibility-overrides/{crew}", timeout=10).json() == {
        "student_group": {"id": crew, "name": "crew"},
        "is_visible": True,
    }
    assert session.delete(f"{base}/tags/{tag_id}", timeout=10).status_code == 204
    assert session.get(f"{base}/tags/{tag_id}", timeout=10).status_code == 404
    _spec_valid(skilljar)
