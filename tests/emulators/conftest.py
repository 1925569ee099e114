"""Emulator fixtures shared by the Skilljar emulator tests.

The tests share two servers per session, one with the default switches and one with every switch
flipped, and empty them through the reset hook before each test: far cheaper than a server each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openapi_core
import pytest

from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions
from tests import oracle
from tests.emulators.harness import DOMAIN, OTHER_DOMAIN, Emulator, StartEmulator, start_emulator_on


@pytest.fixture(scope="session")
def skilljar_spec() -> openapi_core.OpenAPI:
    return oracle.skilljar_spec()


@pytest.fixture(scope="session")
def _default_server(
    tmp_path_factory: pytest.TempPathFactory, skilljar_spec: openapi_core.OpenAPI
) -> Iterator[Emulator]:
    options = SkilljarEmulatorOptions(domains=(DOMAIN, OTHER_DOMAIN))
    state_path = tmp_path_factory.mktemp("default") / "state.sqlite3"
    emulator = start_emulator_on(state_path, skilljar_spec, options=options)
    yield emulator
    emulator.server.stop()


@pytest.fixture(scope="session")
def _flipped_server(
    tmp_path_factory: pytest.TempPathFactory, skilljar_spec: openapi_core.OpenAPI
) -> Iterator[Emulator]:
    options = SkilljarEmulatorOptions(
        clamp_page_size=False, accept_trailing_slash=True, bulk_create_status=200, users_list_bare_array=True
    )
    state_path = tmp_path_factory.mktemp("flipped") / "state.sqlite3"
    emulator = start_emulator_on(
        state_path, skilljar_spec, api_key=None, client_key="sk-live-anything", options=options
    )
    yield emulator
    emulator.server.stop()


@pytest.fixture
def emulator(_default_server: Emulator) -> Iterator[Emulator]:
    """Domains `acme.skilljar.com` and `beta.skilljar.com`, key `k`, default switches."""
    yield _default_server.fresh()
    _default_server.assert_every_success_was_checked()


@pytest.fixture
def flipped(_flipped_server: Emulator) -> Iterator[Emulator]:
    """Any key; page sizes unclamped, trailing slashes served, bulk-create 200, users as a bare array."""
    yield _flipped_server.fresh()
    _flipped_server.assert_every_success_was_checked()


@pytest.fixture
def start_emulator(tmp_path: Path, skilljar_spec: openapi_core.OpenAPI) -> Iterator[StartEmulator]:
    """Start emulators on one state file, `tmp_path/state.sqlite3` (default options unless given);
    all stop at teardown."""
    running: list[Emulator] = []

    def start(options: SkilljarEmulatorOptions | None = None) -> Emulator:
        running.append(start_emulator_on(tmp_path / "state.sqlite3", skilljar_spec, options=options))
        return running[-1]

    yield start
    for emulator in running:
        emulator.server.stop()
        emulator.assert_every_success_was_checked()
