"""The emulator's whole state: the registries and the records, in one SQLite file.

`registry_store` and `record_store` keep their own tables and queries; `TrainingRecordsStore` puts them
together and owns what spans them: creating the schema, resetting and dumping the state. Tables are
created with `CREATE TABLE IF NOT EXISTS`, so reopening a file keeps its rows.
"""

from __future__ import annotations

import os
from typing import Any

from lmsform.providers.training_records.emulator.record_store import (
    RECORD_DUMPS,
    RECORD_RESET_ORDER,
    RECORD_TABLES,
    RecordStore,
)
from lmsform.providers.training_records.emulator.registry_store import (
    REGISTRY_DUMPS,
    REGISTRY_RESET_ORDER,
    REGISTRY_TABLES,
    RegistryStore,
)

_TABLES = (*REGISTRY_TABLES, *RECORD_TABLES)
# Records point at people and packages, so they go first.
_RESET_ORDER = (*RECORD_RESET_ORDER, *REGISTRY_RESET_ORDER)
_DUMPS = (*REGISTRY_DUMPS, *RECORD_DUMPS)


class TrainingRecordsStore(RegistryStore, RecordStore):
    """All emulator state in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._create_tables(_TABLES)

    def reset(self) -> None:
        """Empty every table; the record sequence is not rewound."""
        self._delete_rows(_RESET_ORDER)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table's rows, as plain JSON-ready dicts."""
        return self._dump_tables(_DUMPS)
