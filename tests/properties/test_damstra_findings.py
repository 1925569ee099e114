"""What the Damstra convergence properties found, each shrunk to a plain example."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform.providers.damstra.emulator import emulator_store
from tests.properties.harness import Convergence, yaml_text
from tests.properties.test_damstra_convergence import VENDOR

ANN = {"username": "ann", "email": "ann@acme.com", "first_name": "Ann", "last_name": "Lee"}


@pytest.fixture
def damstra(tmp_path: Path) -> Iterator[Convergence]:
    with Convergence(VENDOR, tmp_path) as convergence:
        yield convergence


def test_an_empty_group_description_is_kept_empty(damstra: Convergence) -> None:
    """Found: a group declared with `description: ""` was created with its name as description (the
    empty text taken for a missing one), so every later plan wanted to change it back. Damstra
    requires the field, but takes an empty one."""
    files = {"groups.yaml": yaml_text({"groups": [{"name": "site", "description": ""}]})}

    damstra.converge(files, manage={})

    [group] = emulator_store(damstra.app).dump()["groups"]  # type: ignore[arg-type]
    assert group["description"] == ""


def test_an_empty_role_list_is_refused_before_any_call(damstra: Convergence) -> None:
    """Found: `roles: []` was sent as TRAINEE (Damstra has no user without a role: an empty list
    means TRAINEE), so every later plan wanted to take the role away again. A role list Damstra
    cannot hold must be refused at plan time, saying why, with nothing changed."""
    root = damstra.write_project({"people.yaml": yaml_text({"users": [{**ANN, "roles": []}]})}, manage={})

    planned = damstra.cli("plan", root)

    assert planned.exit_code != 0
    assert "roles" in planned.output
    assert [user["user_name"] for user in emulator_store(damstra.app).dump()["users"]] == ["owner"]  # type: ignore[arg-type]


def test_parents_that_close_a_cycle_with_the_live_tree_are_refused_at_plan_time(damstra: Convergence) -> None:
    """Found: `unit` under `crew` and `site` under `unit`, while `crew` (its parent not declared, so
    left as it is) sits under `site` in Damstra, make a cycle. The plan showed two updates; apply made
    the first and Damstra refused the second, leaving the tree half changed. The cycle is known from
    the manifests and the live tree before any call."""
    damstra.seed({"groups": [{"name": "site"}, {"name": "crew", "parent": "site"}, {"name": "unit"}]})
    groups = [{"name": "crew"}, {"name": "unit", "parent": "crew"}, {"name": "site", "parent": "unit"}]
    root = damstra.write_project({"groups.yaml": yaml_text({"groups": groups})}, manage={})

    planned = damstra.cli("plan", root)
    applied = damstra.apply(root)

    assert planned.exit_code == 1
    assert planned.stderr.splitlines()[0].endswith(
        "groups.yaml:3:3: group 'unit' would be its own ancestor after this plan: 'unit' -> 'crew' -> "
        "'site' -> 'unit', where 'crew' keeps its parent in Damstra (not declared in the manifests); "
        "groups must form a tree: declare a parent that breaks the cycle"
    )
    assert applied.exit_code != 0
    parents = {group["name"]: group["parent_id"] for group in emulator_store(damstra.app).dump()["groups"]}  # type: ignore[arg-type]
    assert parents["site"] is None and parents["unit"] is None


def test_groups_that_swap_places_in_the_tree_are_moved_in_an_order_damstra_takes(
    tmp_path: Path,
) -> None:
    """Found: with `B` under `A` under `R`, declaring `A` under `B` and `B` under `R` planned two
    updates that ran in any order (one call at a time here, so always in plan order): `A` under `B`
    first is a cycle at that moment, which Damstra refuses. `B` must move out from under `A` first."""
    one_at_a_time = dataclasses.replace(VENDOR, settings=VENDOR.settings + "  parallelism: 1\n")
    with Convergence(one_at_a_time, tmp_path) as damstra:
        damstra.seed({"groups": [{"name": "R"}, {"name": "A", "parent": "R"}, {"name": "B", "parent": "A"}]})
        groups = [{"name": "A", "parent": "B"}, {"name": "B", "parent": "R"}]

        damstra.converge({"groups.yaml": yaml_text({"groups": groups})}, manage={})

        held = emulator_store(damstra.app).dump()["groups"]  # type: ignore[arg-type]
    names = {group["id"]: group["name"] for group in held}
    assert {group["name"]: names.get(group["parent_id"]) for group in held} == {"R": None, "A": "B", "B": "R"}


def test_two_groups_naming_one_member_in_two_cases_enroll_them_once(damstra: Convergence) -> None:
    """Found by the long run: `site` lists `owner` and `crew-a` lists `Owner`, and both groups are
    enrolled in one lesson with the same settings. The two expansions differed only in how the
    user was spelt, and were refused as "different settings"."""
    damstra.seed({"lessons": [{"name": "Site Induction", "status": "active"}]})
    people = {"users": [{"username": "owner", "email": "o@acme.com", "first_name": "O", "last_name": "W"}]}
    groups = {"groups": [{"name": "site", "members": ["owner"]}, {"name": "crew-a", "members": ["Owner"]}]}
    enrollments = {
        "enrollments": [
            {"course": "Site Induction", "groups": ["crew-a"]},
            {"course": "Site Induction", "groups": ["site"]},
        ]
    }
    files = {
        "people.yaml": yaml_text(people),
        "groups.yaml": yaml_text(groups),
        "enrollments.yaml": yaml_text(enrollments),
    }

    damstra.converge(files, manage={"memberships": "authoritative"})

    store = emulator_store(damstra.app)  # type: ignore[arg-type]
    (user,) = [user for user in store.dump()["users"] if user["user_name"] == "owner"]
    assert len(store.schedules_of_user(user["id"])) == 1
