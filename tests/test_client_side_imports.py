"""The client side never loads a fake: providers, the planner's path, journals and the lock import no
emulator, no emulation kit and neither Flask nor werkzeug (only the registry knows the emulators)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lmsform.providers import registry
from lmsform.providers.emulation.registry import EMULATOR_MODULES, emulator_for

CLIENT_SIDE = (
    *(provider.__module__ for provider in registry().values()),
    "lmsform.providers",
    "lmsform.journal",
    "lmsform.lock",
    "lmsform.app",
)
_LOADED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


def _is_fake(module: str) -> bool:
    parts = module.split(".")
    return "emulator" in parts or "emulation" in parts or parts[0] in ("flask", "werkzeug")


def _loaded_by(module: str) -> list[str]:
    """Every module a fresh interpreter holds after importing `module`."""
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, module], capture_output=True, text=True, timeout=60, check=True
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize("module", CLIENT_SIDE)
def test_the_client_side_imports_no_emulator(module: str) -> None:
    fakes = [name for name in _loaded_by(module) if _is_fake(name)]
    assert fakes == [], f"importing {module} loads {fakes}"


def test_every_provider_has_an_emulator_in_the_registry() -> None:
    assert set(EMULATOR_MODULES) == set(registry())
    for vendor in registry():
        assert emulator_for(vendor).api_root("http://127.0.0.1:1").startswith("http://127.0.0.1:1")
