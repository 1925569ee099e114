"""Installs are reproducible: CI installs from pinned constraints, and every dependency range in
pyproject.toml is one that `.ci/run` (newest pins) and `.ci/run lowest` (lowest pins) test at its ends."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _direct() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [
        Requirement(text) for text in (*project["dependencies"], *project["optional-dependencies"]["test"])
    ]


def _pins(name: str) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / ".ci" / name).read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            requirement = Requirement(text)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"{name}: {text} is not a pin"
            pins[canonicalize_name(requirement.name)] = Version(specifier.version)
    return pins


def _bound(requirement: Requirement, operator: str) -> Version:
    found = [Version(spec.version) for spec in requirement.specifier if spec.operator == operator]
    assert len(found) == 1, f"{requirement} needs exactly one {operator} bound"
    return found[0]


@pytest.mark.parametrize("requirement", _direct(), ids=str)
def test_every_direct_dependency_has_a_tested_lower_and_an_upper_bound(requirement: Requirement) -> None:
    lowest = _pins("constraints-lowest.txt")
    newest = _pins("constraints.txt")
    name = canonicalize_name(requirement.name)

    assert _bound(requirement, "<") > _bound(requirement, ">=")
    assert lowest[name] == _bound(requirement, ">="), "refresh .ci/constraints-lowest.txt"
    assert newest[name] in requirement.specifier, "refresh .ci/constraints.txt"


def test_ci_installs_from_the_constraints() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert "--constraint \"$constraints\" '.[test]'" in run
    assert "constraints=.ci/constraints.txt" in run
    assert "lowest) constraints=.ci/constraints-lowest.txt" in run
