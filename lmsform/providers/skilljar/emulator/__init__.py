"""Skilljar's v1 REST API as a Flask app, for the parts lmsform needs.

Paths, field names and success codes follow Skilljar's own OpenAPI spec
(`tests/oracles/skilljar-v1-openapi.yml`); error behaviour follows Django REST Framework
conventions and the emulator decisions in `docs/vendors/skilljar.md`. State lives in a
`SkilljarStore` (SQLite), so an emulator can be stopped and restarted on the same file.

Modules by area: `people` (domains, users, domain users, groups, members), `courses` (courses and
labels), `publications` (published courses, published paths, plans), `enrollments`, `webhooks`,
`managers` (student-manager access) and `hooks` (the `/_emulator/` test hooks, no credentials);
each has a `…_store` module with its tables, on `base_store` (ids, windows, inserts). `app` wires
them into one Flask app; `context` holds what the areas share, `factory` the registry's entry and the
sandbox's paths and plans. The Flask pieces, faults and SQLite plumbing come from
`lmsform.providers.emulation`.
"""

from lmsform.providers.skilljar.emulator.app import create_app, emulator_store
from lmsform.providers.skilljar.emulator.options import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator.seeding import seed
from lmsform.providers.skilljar.emulator.store import SkilljarStore

__all__ = ["SkilljarEmulatorOptions", "SkilljarStore", "create_app", "emulator_store", "seed"]
