"""Regression tests for what the Skilljar convergence properties found, one test per finding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform.providers.skilljar.emulator import emulator_store
from tests.properties.harness import Convergence
from tests.properties.test_skilljar_convergence import SKILLJAR, assert_skilljar_holds

ALL_ADDITIVE = dict.fromkeys(
    ("users", "groups", "memberships", "courses", "enrollments", "webhooks"), "additive"
)


@pytest.fixture
def skilljar_run(tmp_path: Path) -> Iterator[Convergence]:
    with Convergence(SKILLJAR, tmp_path) as run:
        yield run


@pytest.mark.properties
def test_course_labels_out_of_order_converge(skilljar_run: Convergence) -> None:
    """Labels declared in any order but sorted order (`[compliance, safety, Pflicht]`) were planned as a
    change after every apply: Skilljar keeps a course's labels as a set, the reader sorted them and the
    planner compared the lists in order. Labels now compare as a set."""
    files = {"learning.yaml": "courses:\n  - title: Fire Drill\n    labels: [compliance, safety, Pflicht]\n"}
    skilljar_run.converge(files, manage=ALL_ADDITIVE)
    assert_skilljar_holds(emulator_store(skilljar_run.app), files, ALL_ADDITIVE)  # type: ignore[arg-type]
