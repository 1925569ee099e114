"""The built-in sandbox: a provider's emulator started in-process, with state next to the project.

`base_url: sandbox` lets anyone run plan → apply → plan without a vendor account; the state
persists under `.lmsform/sandbox/` so separate runs see what earlier runs applied.
"""

from __future__ import annotations

from pathlib import Path

from lmsform.providers.base import Provider, ProviderSettings
from lmsform.providers.emulator import EmulatorServer

LOCAL_DIR = ".lmsform"


def sandbox_state_path(root: Path, provider: type[Provider]) -> Path:
    return root / LOCAL_DIR / "sandbox" / f"{provider.name}.sqlite3"


def start_sandbox(root: Path, provider: type[Provider], settings: ProviderSettings) -> EmulatorServer:
    state_path = sandbox_state_path(root, provider)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    ignore = root / LOCAL_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# lmsform's local state (sandbox data); never commit it\n*\n", encoding="utf-8")
    app = provider.emulator_app(state_path, api_key=None, target=settings.target(), sandbox=True)
    return EmulatorServer(app).start()
