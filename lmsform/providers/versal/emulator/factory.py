"""The Versal emulator as the registry (`emulation.registry`) hands it out, and the sandbox's content."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lmsform.errors import LmsformError
from lmsform.providers.emulation.registry import VendorEmulator
from lmsform.providers.versal.emulator.app import API_PREFIX, create_app, emulator_store
from lmsform.providers.versal.emulator.options import VersalEmulatorOptions
from lmsform.providers.versal.emulator.seeding import seed

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# What the sandbox holds that Versal's API cannot create: courses (made in Versal's authoring tool).
SANDBOX_COURSES = (
    "Workplace Safety",
    "Data Privacy Essentials",
    "Customer Care",
    "Leading Teams",
    "Product Fundamentals",
)


def build_app(state_path: Path, *, api_key: str | None, target: str | None, sandbox: bool) -> WSGIApplication:
    """The app whose primary organisation is the one `target` numbers (default: the options' own)."""
    if target is not None and not target.isdigit():
        raise LmsformError(f"A Versal organisation is a number, not {target!r}.")
    options = VersalEmulatorOptions(org_id=int(target)) if target else VersalEmulatorOptions()
    app = create_app(state_path, api_key=api_key, options=options)
    store = emulator_store(app)
    if sandbox and not store.org_course_ids(options.org_id):
        seed(store, {"courses": [{"title": title} for title in SANDBOX_COURSES]})
    return app


EMULATOR = VendorEmulator(build_app, api_path=API_PREFIX)
