"""Which emulator stands in for which vendor.

Each vendor's emulator package has a `factory` module whose `EMULATOR` says how to build its app and
where its API lives on the server. Only the names of those modules are written here: a vendor's
emulator (Flask, its store) is imported when it is asked for, and never by the provider that talks to
the real vendor.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

EMULATOR_MODULES: Mapping[str, str] = {
    "skilljar": "lmsform.providers.skilljar.emulator.factory",
    "damstra": "lmsform.providers.damstra.emulator.factory",
    "versal": "lmsform.providers.versal.emulator.factory",
    "training-records": "lmsform.providers.training_records.emulator.factory",
}
"""A vendor's name (the provider's `name`, `provider.type` in manifests) → its emulator's factory."""


class BuildApp(Protocol):
    def __call__(
        self, state_path: Path, *, api_key: str | None, target: str | None, sandbox: bool
    ) -> WSGIApplication: ...


@dataclass(frozen=True)
class VendorEmulator:
    """How to run one vendor's emulator."""

    build: BuildApp
    """The app with its state in `state_path`; see `app`."""
    api_path: str = ""
    """Where the API lives on the server, e.g. `/api/v2` (empty: at the root)."""

    def app(
        self, state_path: Path, *, api_key: str | None, target: str | None, sandbox: bool = False
    ) -> WSGIApplication:
        """The vendor's emulator as a WSGI app, with its state in `state_path`.

        `api_key` None accepts any non-empty key. `target` is the account it serves (what
        `ProviderSettings.target()` names, e.g. a Skilljar domain); None means the emulator's default.
        `sandbox` adds what the vendor's API cannot create but manifests may name (Skilljar's learning
        paths and plans, Damstra's lessons, Versal's courses, Training Records' people and packages),
        so the examples run on the built-in sandbox.
        """
        return self.build(state_path, api_key=api_key, target=target, sandbox=sandbox)

    def api_root(self, server_url: str) -> str:
        """Where the API lives on an emulator serving at `server_url` (what `base_url` must say)."""
        return server_url + self.api_path


def emulator_for(vendor: str) -> VendorEmulator:
    """The emulator of the vendor named `vendor` (KeyError for a vendor without one)."""
    module = importlib.import_module(EMULATOR_MODULES[vendor])
    emulator = module.EMULATOR
    assert isinstance(emulator, VendorEmulator)
    return emulator


__all__ = ["EMULATOR_MODULES", "BuildApp", "VendorEmulator", "emulator_for"]
