"""The built-in sandbox: a provider's emulator started in-process, with state next to the project.

`base_url: sandbox` lets anyone run plan → apply → plan without a vendor account; the state
persists under `.lmsform/sandbox/` so separate runs see what earlier runs applied. The emulator is
found through the registry (`providers.emulation.registry`) and imported only when a sandbox starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lmsform.localdir import local_dir, local_path
from lmsform.providers.base import Provider, ProviderSettings

if TYPE_CHECKING:
    from lmsform.providers.emulation.server import EmulatorServer

SANDBOX_DIR = "sandbox"


@dataclass(frozen=True)
class Sandbox:
    """A running sandbox: its server, and the API root the provider is to use."""

    server: EmulatorServer
    api_root: str

    def stop(self) -> None:
        self.server.stop()


def sandbox_state_path(root: Path, provider: type[Provider]) -> Path:
    return local_path(root, SANDBOX_DIR, f"{provider.name}.sqlite3")


def start_sandbox(root: Path, provider: type[Provider], settings: ProviderSettings) -> Sandbox:
    from lmsform.providers.emulation.registry import emulator_for
    from lmsform.providers.emulation.server import EmulatorServer

    local_dir(root, SANDBOX_DIR)
    emulator = emulator_for(provider.name)
    app = emulator.app(
        sandbox_state_path(root, provider), api_key=None, target=settings.target(), sandbox=True
    )
    server = EmulatorServer(app).start()
    return Sandbox(server, emulator.api_root(server.url))
