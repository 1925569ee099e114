"""What every API area shares: the store, the options, background jobs and pagination."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import flask

from lmsform.providers.skilljar.emulator.drf import Pager
from lmsform.providers.skilljar.emulator.jobs import BackgroundJobs
from lmsform.providers.skilljar.emulator.options import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator.store import SkilljarStore

Handler = Callable[..., flask.Response]
Routes = Sequence[tuple[str, Mapping[str, Handler]]]
"""URL rules (with the `domain` and `oid` converters) and the handler for each method."""


@dataclass(frozen=True)
class EmulatorContext:
    store: SkilljarStore
    options: SkilljarEmulatorOptions
    jobs: BackgroundJobs


class ApiArea(ABC):
    """A few related resources: one handler method per operation, each run inside one store transaction."""

    def __init__(self, context: EmulatorContext) -> None:
        self.store = context.store
        self.options = context.options
        self.jobs = context.jobs
        self.pager = Pager(context.options.clamp_page_size)

    @abstractmethod
    def routes(self) -> Routes: ...
