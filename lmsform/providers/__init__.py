"""Vendors lmsform can manage, by the name used in `provider.type`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lmsform.providers.base import Provider


def registry() -> Mapping[str, type[Provider]]:
    from lmsform.providers.damstra.provider import DamstraProvider
    from lmsform.providers.skilljar.provider import SkilljarProvider
    from lmsform.providers.training_records.provider import TrainingRecordsProvider
    from lmsform.providers.versal.provider import VersalProvider

    providers = (SkilljarProvider, DamstraProvider, VersalProvider, TrainingRecordsProvider)
    return {provider.name: provider for provider in providers}
