"""The built-in sandbox: a provider's emulator started in-process, with state next to the project.

`base_url: sandbox` lets anyone run plan → apply → plan without a vendor account; the state
persists under `.lmsform/sandbox/` so separate runs see what earlier runs applied.
"""

from __future__ import annotations

from pathlib import Path

from lmsform.localdir import local_dir, local_path
from lmsform.providers.base import Provider, ProviderSettings
from lmsform.providers.emulator import EmulatorServer

SANDBOX_DIR = "sandbox"


def sandbox_state_path(root: Path, provider: type[Provider]) -> Path:
    return local_path(root, SANDBOX_DIR, f"{provider.name}.sqlite3")


def start_sandbox(root: Path, provider: type[Provider], settings: ProviderSettings) -> EmulatorServer:
    local_dir(root, SANDBOX_DIR)
    state_path = sandbox_state_path(root, provider)
    app = provider.emulator_app(state_path, api_key=None, target=settings.target(), sandbox=True)
    return EmulatorServer(app).start()
