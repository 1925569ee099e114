"""The domain's settings: the columns of the `domains` table (people_store) that the API changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lmsform.providers.skilljar.emulator.base_store import Database

UPDATABLE_DOMAIN_COLUMNS = frozenset(
    {"catalog_title", "access", "access_code_message_html", "marketing_message"}
)


class DomainSettingsStore(Database):
    def update_domain_settings(self, name: str, changes: Mapping[str, Any]) -> None:
        """Set the given settings of the domain called `name`; the others stay as they are."""
        with self.transaction():
            self._update("domains", changes, UPDATABLE_DOMAIN_COLUMNS, {"name": name})
