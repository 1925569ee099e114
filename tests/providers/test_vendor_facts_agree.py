"""Vendor facts both sides hold. The client side and an emulator never import each other, so a list
the vendor documents (Skilljar's webhook event types) stands in each; these tests keep the two the same."""

from __future__ import annotations

from lmsform.providers.skilljar.emulator import webhooks as skilljar_emulator
from lmsform.providers.skilljar.provider import EVENT_TYPES


def test_skilljar_provider_and_emulator_know_the_same_webhook_event_types() -> None:
    assert set(skilljar_emulator.EVENT_TYPES) == EVENT_TYPES
