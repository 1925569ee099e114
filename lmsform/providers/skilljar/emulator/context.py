"""What every API area shares: the store, the options, background jobs and pagination."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lmsform.providers.emulation import flask_kit
from lmsform.providers.emulation.flask_kit import Handler
from lmsform.providers.skilljar.emulator.jobs import BackgroundJobs
from lmsform.providers.skilljar.emulator.options import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator.paging import Pager
from lmsform.providers.skilljar.emulator.store import SkilljarStore

Routes = Sequence[tuple[str, Mapping[str, Handler]]]
"""URL rules (with the `domain` and `oid` converters) and the handler for each method."""


@dataclass(frozen=True)
class EmulatorContext:
    store: SkilljarStore
    options: SkilljarEmulatorOptions
    jobs: BackgroundJobs


class ApiArea(flask_kit.ApiArea[SkilljarStore, SkilljarEmulatorOptions]):
    """A few related resources: one handler method per operation, each run inside one store transaction."""

    def __init__(self, context: EmulatorContext) -> None:
        super().__init__(context.store, context.options)
        self.jobs = context.jobs
        self.pager = Pager(context.options.clamp_page_size)

    @abstractmethod
    def routes(self) -> Routes: ...
