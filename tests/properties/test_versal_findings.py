"""Regression tests for what the Versal convergence properties found, one test per finding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform.providers.versal.emulator import emulator_store
from tests.properties.harness import Convergence
from tests.properties.test_versal_convergence import VERSAL, assert_versal_holds

ALL_ADDITIVE = {"users": "additive", "enrollments": "additive"}


@pytest.fixture
def versal_run(tmp_path: Path) -> Iterator[Convergence]:
    with Convergence(VERSAL, tmp_path) as run:
        yield run


@pytest.mark.properties
def test_an_author_declared_a_learner_stays_enrolled(versal_run: Convergence) -> None:
    """A user who authors a course (and is not tracked in it), declared there with `role: learner`
    and no `tracked:`, was updated to the learner role only. Versal never shows the learner role, and
    the user was not tracked, so the next plan saw no enrollment and planned to create it again: one
    apply did not converge. Making someone a learner must leave them enrolled (tracked)."""
    versal_run.seed(
        {
            "users": [{"email": "ann@acme.com", "roles": ["admin"]}],
            "courses": [
                {"title": "Customer Care", "catalogs": ["sandbox", "labs"], "authors": ["ann@acme.com"]}
            ],
        }
    )
    files = {
        "people.yaml": "users:\n  - email: ann@acme.com\n",
        "learning.yaml": (
            "enrollments:\n  - course: Customer Care\n    users: [ann@acme.com]\n    role: learner\n"
        ),
    }
    versal_run.converge(files, manage=ALL_ADDITIVE)
    assert_versal_holds(emulator_store(versal_run.app), files, ALL_ADDITIVE)  # type: ignore[arg-type]
