"""Commands run the cyclic garbage collector less often, and leave its settings as they found them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform import app
from lmsform.gc_tuning import COMMAND_THRESHOLD, fewer_collections
from lmsform.manifest import Project
from tests.conftest import CliRunnerCall, ProjectDir


@pytest.fixture
def default_threshold() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_the_young_generation_is_collected_less_often_inside_and_as_before_after(
    default_threshold: tuple[int, int, int],
) -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold() == (COMMAND_THRESHOLD, 10, 10)
        raise RuntimeError("a failing command")

    assert gc.get_threshold() == default_threshold
    assert gc.isenabled()


def test_a_higher_threshold_already_set_is_kept(default_threshold: tuple[int, int, int]) -> None:
    gc.set_threshold(COMMAND_THRESHOLD * 2, 10, 10)

    with fewer_collections():
        assert gc.get_threshold()[0] == COMMAND_THRESHOLD * 2

    assert gc.get_threshold() == (COMMAND_THRESHOLD * 2, 10, 10)


def test_a_command_runs_with_fewer_collections_and_restores_them_when_it_fails(
    default_threshold: tuple[int, int, int],
    project: ProjectDir,
    cli: CliRunnerCall,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project.configure("http://127.0.0.1:9")
    project.write("users.yaml", "users:\n  - email: not-an-address\n")
    seen: list[tuple[int, int, int]] = []
    original = app.load

    def load(directory: Path, *, offline: bool = False) -> Project:
        seen.append(gc.get_threshold())
        return original(directory, offline=offline)

    monkeypatch.setattr(app, "load", load)

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert seen == [(COMMAND_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == default_threshold
