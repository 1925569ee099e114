"""Webhooks in SQLite."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import Conditions, read_back
from lmsform.providers.skilljar.emulator.base_store import (
    ALL_ROWS,
    Database,
    Slice,
    Window,
    new_id,
    table_dump,
)

WEBHOOK_TABLES = (
    """CREATE TABLE IF NOT EXISTS webhooks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        target_url TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        event_type TEXT,
        basic_auth_username TEXT NOT NULL DEFAULT '',
        basic_auth_password TEXT NOT NULL DEFAULT '',
        additional_headers TEXT NOT NULL DEFAULT '{}',
        deactivate_reason TEXT
    )""",
)
WEBHOOK_RESET_ORDER = ("webhooks",)
WEBHOOK_DUMPS = (
    table_dump(
        "webhooks", "webhooks", booleans=frozenset({"active"}), json_columns=frozenset({"additional_headers"})
    ),
)
WEBHOOK_SETTINGS = (
    "target_url",
    "active",
    "event_type",
    "basic_auth_username",
    "basic_auth_password",
    "additional_headers",
)


@dataclass(frozen=True)
class WebhookRecord:
    id: str
    target_url: str
    active: bool
    event_type: str | None
    basic_auth_username: str
    basic_auth_password: str
    additional_headers: dict[str, str]
    deactivate_reason: str | None


_COLUMNS = "id, " + ", ".join(WEBHOOK_SETTINGS) + ", deactivate_reason"


def _webhook_from_row(row: Sequence[Any]) -> WebhookRecord:
    return WebhookRecord(
        id=row[0],
        target_url=row[1],
        active=bool(row[2]),
        event_type=row[3],
        basic_auth_username=row[4],
        basic_auth_password=row[5],
        additional_headers=json.loads(row[6]),
        deactivate_reason=row[7],
    )


def _encoded(settings: Mapping[str, Any]) -> dict[str, Any]:
    columns = dict(settings)
    if "additional_headers" in columns:
        columns["additional_headers"] = json.dumps(columns["additional_headers"])
    return columns


class WebhookStore(Database):
    def get_webhook(self, webhook_id: str) -> WebhookRecord | None:
        row = self._one(f"SELECT {_COLUMNS} FROM webhooks WHERE id = ?", (webhook_id,))
        return None if row is None else _webhook_from_row(row)

    def create_webhook(self, settings: Mapping[str, Any]) -> WebhookRecord:
        """A new webhook from the given settings (`target_url` and any of WEBHOOK_SETTINGS)."""
        webhook_id = new_id()
        with self.transaction():
            self._insert("webhooks", {"id": webhook_id}, _encoded(settings), WEBHOOK_SETTINGS)
            return read_back(self.get_webhook(webhook_id))

    def update_webhook(self, webhook_id: str, changes: Mapping[str, Any]) -> WebhookRecord | None:
        with self.transaction():
            self._update("webhooks", _encoded(changes), WEBHOOK_SETTINGS, {"id": webhook_id})
            return self.get_webhook(webhook_id)

    def delete_webhook(self, webhook_id: str) -> bool:
        return self._run("DELETE FROM webhooks WHERE id = ?", (webhook_id,)) > 0

    def list_webhooks(self, window: Window = ALL_ROWS) -> Slice[WebhookRecord]:
        return self._slice(_COLUMNS, "webhooks", Conditions(), "seq", window, _webhook_from_row)
