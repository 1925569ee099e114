"""The Damstra emulator as the registry (`emulation.registry`) hands it out, and the sandbox's content."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lmsform.providers.damstra.emulator.app import API_PREFIX, create_app, emulator_store
from lmsform.providers.damstra.emulator.options import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator.seeding import seed
from lmsform.providers.emulation.registry import VendorEmulator

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# What the sandbox holds that Damstra's API cannot create: lessons (authored in the web app).
SANDBOX_LESSONS = (
    "Site Induction",
    "Working at Heights",
    "Manual Handling",
    "Fire Safety",
    "First Aid Basics",
)


def build_app(state_path: Path, *, api_key: str | None, target: str | None, sandbox: bool) -> WSGIApplication:
    """The app serving the organisation `target` names (default: the options' own)."""
    options = DamstraEmulatorOptions(organisation=target) if target else DamstraEmulatorOptions()
    app = create_app(state_path, access_key=api_key, options=options)
    if sandbox:
        seed(
            emulator_store(app),
            {"lessons": [{"name": name, "status": "active"} for name in SANDBOX_LESSONS]},
        )
    return app


EMULATOR = VendorEmulator(build_app, api_path=API_PREFIX)
