"""The Training Records emulator as the registry (`emulation.registry`) hands it out, and the sandbox's
content."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lmsform.errors import LmsformError
from lmsform.providers.emulation.registry import VendorEmulator
from lmsform.providers.training_records.emulator.app import create_app, emulator_store
from lmsform.providers.training_records.emulator.seeding import seed

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# Who and what the sandbox's directory knows (the sibling People and Packages APIs of a real tenant).
SANDBOX_PEOPLE = (
    ("p-1001", "Ann Lee"),
    ("p-1002", "Raj Singh"),
    ("p-1003", "Mia Brown"),
    ("p-1004", "Tom Nguyen"),
    ("p-1005", "Zoe Clark"),
    ("p-1006", "Sam Patel"),
)
SANDBOX_PACKAGES = (
    ("pkg-fire-safety", "Fire safety awareness"),
    ("pkg-manual-handling", "Manual handling"),
    ("pkg-data-privacy", "Data privacy essentials"),
    ("pkg-first-aid", "First aid refresher"),
    ("pkg-code-of-conduct", "Code of conduct"),
)


def build_app(state_path: Path, *, api_key: str | None, target: str | None, sandbox: bool) -> WSGIApplication:
    """The app of the one organisation it serves (a `target` is refused outside the sandbox)."""
    if target is not None and not sandbox:
        raise LmsformError("The Training Records emulator serves one organisation: it takes no target.")
    app = create_app(state_path, api_key=api_key)
    if sandbox:
        seed(
            emulator_store(app),
            {
                "people": [{"api_id": api_id, "name": name} for api_id, name in SANDBOX_PEOPLE],
                "packages": [{"api_id": api_id, "description": text} for api_id, text in SANDBOX_PACKAGES],
            },
        )
    return app


EMULATOR = VendorEmulator(build_app)
