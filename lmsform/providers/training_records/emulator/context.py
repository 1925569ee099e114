"""What the route modules share: the store, the options, the request counts and the route table's shape.

The request counts answer `GET /_emulator/requests` (training-records.md D13): every request to a known
API path counts, failed ones included; test hooks and unknown paths do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lmsform.providers.emulation import flask_kit
from lmsform.providers.emulation.flask_kit import Handler, RouteCounts
from lmsform.providers.training_records.emulator.options import TrainingRecordsEmulatorOptions
from lmsform.providers.training_records.emulator.store import TrainingRecordsStore


@dataclass(frozen=True)
class Route:
    rule: str
    """Flask syntax, relative to where the area is mounted (`/training/record/<api_id>/`)."""
    name: str
    """What `OPTIONS` calls the resource, as DRF names a view."""
    operations: Mapping[str, Handler]

    @property
    def template(self) -> str:
        """The path as the reference writes it: `/training/record/{api_id}/`."""
        return self.rule.replace("<", "{").replace(">", "}")


Routes = Sequence[Route]


@dataclass(frozen=True)
class EmulatorContext(flask_kit.EmulatorContext[TrainingRecordsStore, TrainingRecordsEmulatorOptions]):
    counts: RouteCounts


class ApiArea(flask_kit.ApiArea[TrainingRecordsStore, TrainingRecordsEmulatorOptions, Route]):
    def __init__(self, context: EmulatorContext) -> None:
        super().__init__(context)
        self.counts = context.counts
