"""The Skilljar emulator as the registry (`emulation.registry`) hands it out, and the sandbox's content."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lmsform.providers.emulation.registry import VendorEmulator
from lmsform.providers.skilljar.emulator.app import create_app, emulator_store
from lmsform.providers.skilljar.emulator.options import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator.seeding import seed

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# The sandbox's plans, which Skilljar's API cannot create, and two learning paths made in the dashboard,
# which manifests may name without declaring them.
SANDBOX_PATHS = (("onboarding", "Onboarding"), ("compliance", "Compliance"))
SANDBOX_PLANS = (("All Access", "all-access"),)
# Sign-up fields and access codes are set up in Skilljar's dashboard; the API only reads them.
SANDBOX_SIGNUP_FIELDS = (
    {"label": "Department", "type": "TEXT"},
    {"label": "Region", "type": "PICKLIST", "options": ["APAC", "EMEA", "Americas"]},
)
SANDBOX_ACCESS_CODES = (("Contractors", "CONTRACTOR-2026"), ("Partners", "PARTNER-2026"))
# So are group categories (skilljar.md D67).
SANDBOX_GROUP_CATEGORIES = ("Regions", "Partners")
# And a course's lessons: the sandbox has the lesson the example's sessions teach (skilljar.md D80).
SANDBOX_LESSONS = (("Working at Heights", ("Practical",)),)


def build_app(state_path: Path, *, api_key: str | None, target: str | None, sandbox: bool) -> WSGIApplication:
    """The app serving the domain `target` names (default: the options' own)."""
    options = SkilljarEmulatorOptions(domains=(target,)) if target else SkilljarEmulatorOptions()
    app = create_app(state_path, api_key=api_key, options=options)
    if sandbox:
        domain = options.domains[0]
        # Seeding reuses what exists by slug and name, so this is safe on every start.
        seed(emulator_store(app), {
            "paths": [{"domain": domain, "slug": slug, "title": title} for slug, title in SANDBOX_PATHS],
            "plans": [{"domain": domain, "name": name, "slug": slug} for name, slug in SANDBOX_PLANS],
            "signup_fields": [{"domain": domain, **field} for field in SANDBOX_SIGNUP_FIELDS],
            "group_categories": list(SANDBOX_GROUP_CATEGORIES),
            "courses": [{"title": title, "lessons": list(lessons)} for title, lessons in SANDBOX_LESSONS],
            "access_codes": [
                {"domain": domain, "pool": pool, "code": code} for pool, code in SANDBOX_ACCESS_CODES
            ],
        })  # fmt: skip
    return app


EMULATOR = VendorEmulator(build_app)
