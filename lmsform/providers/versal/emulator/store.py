"""The emulator's whole state: every table in one SQLite file.

Each area keeps its tables and queries in its own module (`org_store`, `user_store`, `course_store`,
`learner_store`); `VersalStore` puts them together and owns what spans them: creating the schema, the
primary organisation, resetting and dumping the state. Tables are created with
`CREATE TABLE IF NOT EXISTS`, so reopening a file keeps its rows.
"""

from __future__ import annotations

import os
from typing import Any

from lmsform.providers.emulation.sqlite import COUNTER_TABLE, TableDump
from lmsform.providers.versal.emulator.course_store import (
    COURSE_DUMPS,
    COURSE_RESET_ORDER,
    COURSE_TABLES,
    CourseStore,
)
from lmsform.providers.versal.emulator.learner_store import (
    LEARNER_DUMPS,
    LEARNER_RESET_ORDER,
    LEARNER_TABLES,
    LearnerStore,
)
from lmsform.providers.versal.emulator.org_store import ORG_DUMPS, ORG_TABLES, OrgStore
from lmsform.providers.versal.emulator.user_store import USER_DUMPS, USER_TABLES, UserStore

_TABLES = (COUNTER_TABLE, *ORG_TABLES, *USER_TABLES, *COURSE_TABLES, *LEARNER_TABLES)
# Tables that point at others come first, so no delete trips a foreign key.
_RESET_ORDER = (*LEARNER_RESET_ORDER, *COURSE_RESET_ORDER, "sessions", "memberships", "users")
_DUMPS: tuple[TableDump, ...] = (*ORG_DUMPS, *USER_DUMPS, *COURSE_DUMPS, *LEARNER_DUMPS)


class VersalStore(OrgStore, UserStore, CourseStore, LearnerStore):
    """All emulator state in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._create_tables(_TABLES)

    def reset(self) -> None:
        """Empty the state but the primary organisation; id counters are kept, so no id is reused."""
        with self.transaction():
            self._delete_rows(_RESET_ORDER)
            self.delete_seeded_orgs()

    def dump(self) -> dict[str, Any]:
        """Every table's rows, as plain JSON-ready dicts."""
        return self._dump_tables(_DUMPS)
