"""What the Training Records convergence properties found, each shrunk to a plain example."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform.providers.training_records.emulator import emulator_store
from tests.properties.harness import Convergence, yaml_text
from tests.properties.test_training_records_convergence import VENDOR

DIRECTORY = {
    "users": [{"api_id": "P-1"}],
    "courses": [{"title": "Fire safety", "api_id": "pkg-fire"}],
}
REGISTRIES = {
    "people": [{"api_id": "P-1", "name": "Person 1"}],
    "packages": [{"api_id": "pkg-fire", "description": "Fire safety awareness"}],
}


@pytest.fixture
def training_records(tmp_path: Path) -> Iterator[Convergence]:
    with Convergence(VENDOR, tmp_path) as convergence:
        convergence.seed(REGISTRIES)
        yield convergence


def test_an_instant_at_midnight_with_an_offset_is_that_instant_not_that_day(
    training_records: Convergence,
) -> None:
    """Found: `completed: 2026-01-01T00:00:00+08:00` was read as the day 2026-01-01 (the time and the
    offset dropped), so the record was completed at 2026-01-01T00:00Z, eight hours late, and the
    next plan, which lets a declared day match any time on it, saw nothing to change."""
    enrollment = {"course": "Fire safety", "users": ["P-1"], "completed": "2026-01-01T00:00:00+08:00"}
    files = {
        "directory.yaml": yaml_text(DIRECTORY),
        "training.yaml": yaml_text({"enrollments": [enrollment]}),
    }

    training_records.converge(files, manage={"enrollments": "authoritative"})

    [record] = emulator_store(training_records.app).records()  # type: ignore[arg-type]
    assert record.date_completed == "2025-12-31T16:00:00Z"


def test_a_person_whose_id_differs_only_in_case_is_another_person(training_records: Convergence) -> None:
    """Found: records of `P-1`, whom the manifests do not name, were read as records of the named
    person `p-1` (person ids were lower-cased into user keys), so declaring `p-1` in the package
    planned nothing, and the store never got a record for `p-1`."""
    training_records.seed(
        {
            "people": [{"api_id": "p-1", "name": "Another person"}],
            "records": [{"person_api_id": "P-1", "package_api_id": "pkg-fire"}],
        }
    )
    directory = {"users": [{"api_id": "p-1"}], "courses": DIRECTORY["courses"]}
    enrollment = {"course": "Fire safety", "users": ["p-1"]}
    files = {
        "directory.yaml": yaml_text(directory),
        "training.yaml": yaml_text({"enrollments": [enrollment]}),
    }

    training_records.converge(files, manage={"enrollments": "additive"})

    records = emulator_store(training_records.app).records()  # type: ignore[arg-type]
    assert sorted(record.person_api_id for record in records) == ["P-1", "p-1"]


def test_a_package_whose_id_is_another_packages_title_is_another_package(
    training_records: Convergence,
) -> None:
    """Found: the records of package `PKG-FIRE`, which the manifests do not name, were read as records
    of the course the manifests title `PKG-FIRE` (another package, `pkg-fire`): the newest of them was
    updated in its place, and `pkg-fire` never got its record."""
    training_records.seed(
        {
            "packages": [{"api_id": "PKG-FIRE", "description": "Fire safety (2019 edition)"}],
            "records": [
                {"person_api_id": "P-1", "package_api_id": "PKG-FIRE", "date_assigned": "2025-01-06"}
            ],
        }
    )
    directory = {"users": DIRECTORY["users"], "courses": [{"title": "PKG-FIRE", "api_id": "pkg-fire"}]}
    enrollment = {"course": "PKG-FIRE", "users": ["P-1"], "started": "2026-01-05T09:00:00+08:00"}
    files = {
        "directory.yaml": yaml_text(directory),
        "training.yaml": yaml_text({"enrollments": [enrollment]}),
    }

    training_records.converge(files, manage={"enrollments": "additive"})

    records = emulator_store(training_records.app).records()  # type: ignore[arg-type]
    started = {record.package_api_id: record.date_started for record in records}
    assert started == {"PKG-FIRE": None, "pkg-fire": "2026-01-05T01:00:00Z"}


def test_an_export_of_people_whose_ids_differ_only_in_case_is_refused(training_records: Convergence) -> None:
    """Found (probing the case above): `lmsform export` wrote `P-1` and `p-1` as one user `p-1`, with
    one enrollment between them; `P-1`'s record was missing from the exported manifests (and an
    authoritative plan would then delete it). User keys ignore case, and a person only named by api
    id has no other key, so the export refuses and says what to do, writing nothing."""
    training_records.seed(
        {
            "people": [{"api_id": "p-1", "name": "Another person"}],
            "records": [
                {"person_api_id": "P-1", "package_api_id": "pkg-fire"},
                {"person_api_id": "p-1", "package_api_id": "pkg-fire", "date_started": "2026-01-01"},
            ],
        }
    )
    root = training_records.write_project({}, manage={})

    exported = training_records.cli("export", root)

    assert exported.exit_code == 1, exported.output
    assert "people whose api ids differ only in case cannot be exported (P-1, p-1)" in exported.stderr
    assert sorted(path.name for path in root.iterdir() if path.is_file()) == ["lmsform.yaml"]
