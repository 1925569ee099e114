"""The emulator's whole state: every area's tables in one SQLite file.

Each area keeps its tables and queries in its own module (`organisation_store`, `user_store`,
`group_store`, `lesson_store`, `schedule_store`, `session_store`); `DamstraStore` puts them together and
owns what spans them: creating the schema, the OWNER user, resetting and dumping the state.

The OWNER (damstra.md Roles: exactly one per organisation) is created with a new state file: userName from the
options, name "Account Owner", e-mail `<userName>@example.com`, roles [3, 7] (ADMIN and OWNER; decision:
the owner can manage the organisation), active. API actions are attributed to it (damstra.md A11). Reopening
a file with other options takes the new organisation name and time zone; the owner is never re-created
or renamed. Tables are created with `CREATE TABLE IF NOT EXISTS`, so an older file gains newer tables.
"""

from __future__ import annotations

import os
from typing import Any

from lmsform.providers.damstra.emulator.group_store import (
    GROUP_DUMPS,
    GROUP_RESET_ORDER,
    GROUP_TABLES,
    GroupStore,
)
from lmsform.providers.damstra.emulator.lesson_store import (
    LESSON_DUMPS,
    LESSON_RESET_ORDER,
    LESSON_TABLES,
    LessonStore,
)
from lmsform.providers.damstra.emulator.organisation_store import (
    ORGANISATION_DUMPS,
    ORGANISATION_RESET_ORDER,
    ORGANISATION_TABLES,
    OrganisationStore,
)
from lmsform.providers.damstra.emulator.schedule_store import (
    SCHEDULE_DUMPS,
    SCHEDULE_RESET_ORDER,
    SCHEDULE_TABLES,
    ScheduleStore,
)
from lmsform.providers.damstra.emulator.session_store import (
    SESSION_DUMPS,
    SESSION_RESET_ORDER,
    SESSION_TABLES,
    SessionStore,
)
from lmsform.providers.damstra.emulator.user_store import (
    ACTIVE_STATUS,
    USER_DUMPS,
    USER_TABLES,
    UserRecord,
    UserStore,
    encode_roles,
)
from lmsform.providers.emulation.sqlite import COUNTER_TABLE, TableDump

OWNER_ROLE = 7
OWNER_ROLES = (3, OWNER_ROLE)

_TABLES = (
    COUNTER_TABLE,
    *ORGANISATION_TABLES,
    *USER_TABLES,
    *GROUP_TABLES,
    *LESSON_TABLES,
    *SCHEDULE_TABLES,
    *SESSION_TABLES,
)
# Tables that point at others come first, so no delete trips a foreign key. Users go last, separately.
_RESET_ORDER = (
    *SESSION_RESET_ORDER,
    *SCHEDULE_RESET_ORDER,
    *LESSON_RESET_ORDER,
    *GROUP_RESET_ORDER,
    *ORGANISATION_RESET_ORDER,
)
_DUMPS: tuple[TableDump, ...] = (
    *ORGANISATION_DUMPS,
    *USER_DUMPS,
    *GROUP_DUMPS,
    *LESSON_DUMPS,
    *SCHEDULE_DUMPS,
    *SESSION_DUMPS,
)


def owner_columns(user_name: str, time_zone: str) -> dict[str, Any]:
    """The owner's fields as a new state file (or a reset) has them."""
    return {
        "user_name": user_name,
        "first_name": "Account",
        "last_name": "Owner",
        "email_address": f"{user_name}@example.com",
        "phone_number": "",
        "mobile_number": "",
        "employee_number": "",
        "password_hash": None,
        "roles": encode_roles(OWNER_ROLES),
        "time_zone": time_zone,
        "client_status_id": ACTIVE_STATUS,
    }


class DamstraStore(OrganisationStore, UserStore, GroupStore, LessonStore, ScheduleStore, SessionStore):
    """All emulator state in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._create_tables(_TABLES)

    def open_organisation(self, name: str, time_zone: str, owner_user_name: str) -> None:
        """Set up the organisation, and its owner when the file has none yet."""
        with self.transaction():
            self.configure_organisation(name, time_zone)
            if self.organisation().owner_id is None:
                now = self.now_stored()
                columns = {**owner_columns(owner_user_name, time_zone), "created_at": now, "modified_at": now}
                owner = self.insert_user(self.next_id("user"), columns)
                self.set_owner(owner.id, owner.user_name)

    def owner(self) -> UserRecord:
        owner_id = self.organisation().owner_id
        assert owner_id is not None
        return self.require_user(owner_id)

    def reset(self) -> None:
        """Remove everything but the owner (restored to its first state), and let the clock run again.
        Id counters are kept, so no id is ever handed out twice."""
        with self.transaction():
            self._delete_rows(_RESET_ORDER)
            self.fix_clock(None)
            organisation = self.organisation()
            self.delete_users_except(organisation.owner_id)
            assert organisation.owner_id is not None and organisation.owner_user_name is not None
            now = self.now_stored()
            columns = owner_columns(organisation.owner_user_name, organisation.time_zone)
            self.update_user(organisation.owner_id, {**columns, "modified_at": now})

    def dump(self) -> dict[str, Any]:
        """Every table's rows, as plain JSON-ready dicts, and the outbox."""
        with self.transaction():
            tables: dict[str, Any] = self._dump_tables(_DUMPS)
            tables["organisation"] = tables["organisation"][0]
            tables["outbox"] = self.outbox()
            return tables
