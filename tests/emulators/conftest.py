"""The emulator fixtures, one shape for every vendor.

Each vendor's tests share a server per session (Skilljar two: one with the default switches and one
with every switch flipped), emptied through the reset hook before each test: far cheaper than a
server each. When a test ends, every exchange it made must satisfy the vendor's oracle. The `start…`
fixtures run more emulators, with other options, on the test's own state file; all stop when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions
from tests.emulators.harness import ClientT, Started
from tests.emulators.vendors import (
    DOMAIN,
    OTHER_DOMAIN,
    Damstra,
    Emulator,
    StartEmulator,
    StartRecordsApi,
    StartVersal,
    TrainingRecordsApi,
    Versal,
    start_training_records,
    start_versal,
)


def _shared(emulator: ClientT) -> Iterator[ClientT]:
    yield emulator
    emulator.stop()


def _fresh_and_checked(shared: ClientT) -> Iterator[ClientT]:
    yield shared.fresh()
    assert shared.spec_problems() == []


def _state_file(factory: pytest.TempPathFactory, name: str) -> Path:
    return factory.mktemp(name) / "state.sqlite3"


# --- the servers the tests share ---


@pytest.fixture(scope="session")
def _skilljar_default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    options = SkilljarEmulatorOptions(domains=(DOMAIN, OTHER_DOMAIN))
    yield from _shared(Emulator.start(_state_file(tmp_path_factory, "default"), options=options))


@pytest.fixture(scope="session")
def _skilljar_flipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    options = SkilljarEmulatorOptions(
        clamp_page_size=False, accept_trailing_slash=True, bulk_create_status=200, users_list_bare_array=True
    )
    state_path = _state_file(tmp_path_factory, "flipped")
    yield from _shared(
        Emulator.start(state_path, api_key=None, client_key="sk-live-anything", options=options)
    )


@pytest.fixture(scope="session")
def _damstra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Damstra]:
    yield from _shared(Damstra.start(_state_file(tmp_path_factory, "damstra")))


@pytest.fixture(scope="session")
def _training_records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainingRecordsApi]:
    yield from _shared(TrainingRecordsApi.start(_state_file(tmp_path_factory, "training_records")))


@pytest.fixture(scope="session")
def _versal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Versal]:
    yield from _shared(Versal.start(_state_file(tmp_path_factory, "versal")))


# --- what the tests ask for ---


@pytest.fixture
def emulator(_skilljar_default: Emulator) -> Iterator[Emulator]:
    """Skilljar: domains `acme.skilljar.com` and `beta.skilljar.com`, key `k`, default switches."""
    yield from _fresh_and_checked(_skilljar_default)


@pytest.fixture
def flipped(_skilljar_flipped: Emulator) -> Iterator[Emulator]:
    """Skilljar with any key; page sizes unclamped, trailing slashes served, bulk-create 200, users as a
    bare array."""
    yield from _fresh_and_checked(_skilljar_flipped)


@pytest.fixture
def damstra(_damstra: Damstra) -> Iterator[Damstra]:
    """Damstra: default options, key `DAMSTRA_KEY`, only the owner in the organisation, the clock running."""
    yield from _fresh_and_checked(_damstra)


@pytest.fixture
def records_api(_training_records: TrainingRecordsApi) -> Iterator[TrainingRecordsApi]:
    """Training Records: username `lmsform`, key `TRAINING_RECORDS_KEY`, the API at the root, nothing in
    it."""
    yield from _fresh_and_checked(_training_records)


@pytest.fixture
def versal(_versal: Versal) -> Iterator[Versal]:
    """Versal: org 4242 with key `VERSAL_KEY` and nothing in it, date-only dates, paging headers in both
    forms."""
    yield from _fresh_and_checked(_versal)


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[StartEmulator]:
    """Start Skilljar emulators on one state file, `tmp_path/state.sqlite3` (default options unless
    given)."""
    started = Started[Emulator]()

    def start(options: SkilljarEmulatorOptions | None = None) -> Emulator:
        return started.add(Emulator.start(tmp_path / "state.sqlite3", options=options))

    yield start
    started.stop_and_check()


@pytest.fixture
def start_records_api(tmp_path: Path) -> Iterator[StartRecordsApi]:
    """Start Training Records emulators (on `tmp_path/state.sqlite3` unless a `state_path` is given)."""
    started = Started[TrainingRecordsApi]()

    def start(*, state_path: Path | None = None, **kwargs: Any) -> TrainingRecordsApi:
        return started.add(start_training_records(state_path or tmp_path / "state.sqlite3", **kwargs))

    yield start
    started.stop_and_check()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[StartVersal]:
    """Start Versal emulators (`start(api_key=…, options=…)`, on `tmp_path/state.sqlite3` unless a
    `state_path` is given; `check_responses=False` checks only the requests)."""
    started = Started[Versal]()

    def start_one(*, state_path: Path | None = None, check_responses: bool = True, **kwargs: Any) -> Versal:
        emulator = start_versal(state_path or tmp_path / "state.sqlite3", **kwargs)
        emulator.check_responses = check_responses
        return started.add(emulator)

    yield start_one
    started.stop_and_check()
