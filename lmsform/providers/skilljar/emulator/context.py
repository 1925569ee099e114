"""What every API area shares: the store, the options, background jobs and pagination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lmsform.providers.emulation import flask_kit
from lmsform.providers.emulation.flask_kit import Handler
from lmsform.providers.skilljar.emulator.jobs import BackgroundJobs
from lmsform.providers.skilljar.emulator.options import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator.paging import Pager
from lmsform.providers.skilljar.emulator.store import SkilljarStore

Route = tuple[str, Mapping[str, Handler]]
"""A URL rule (with the `domain` and `oid` converters) and the handler for each method."""


Routes = Sequence[Route]


@dataclass(frozen=True)
class EmulatorContext(flask_kit.EmulatorContext[SkilljarStore, SkilljarEmulatorOptions]):
    jobs: BackgroundJobs


class ApiArea(flask_kit.ApiArea[SkilljarStore, SkilljarEmulatorOptions, Route]):
    def __init__(self, context: EmulatorContext) -> None:
        super().__init__(context)
        self.jobs = context.jobs
        self.pager = Pager(context.options.clamp_page_size)
