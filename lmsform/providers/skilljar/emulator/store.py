"""The emulator's whole state: every area's tables in one SQLite file.

Each area keeps its tables, records and queries in its own module (`people_store`, `course_store`,
`publication_store`, `enrollment_store`, `webhook_store`, `manager_store`); `SkilljarStore` puts them
together and owns what spans all of them: creating the schema, resetting and dumping the state.

Tables are created with `CREATE TABLE IF NOT EXISTS`, so a state file written by an older schema
version opens and gains the newer tables.
"""

from __future__ import annotations

import os
from typing import Any

from lmsform.providers.emulation.sqlite import TableDump
from lmsform.providers.skilljar.emulator.catalogue_rule_store import (
    CATALOGUE_RULE_DUMPS,
    CATALOGUE_RULE_RESET_ORDER,
    CATALOGUE_RULE_TABLES,
    CatalogueRuleStore,
)
from lmsform.providers.skilljar.emulator.course_store import (
    COURSE_DUMPS,
    COURSE_RESET_ORDER,
    COURSE_TABLES,
    CourseStore,
)
from lmsform.providers.skilljar.emulator.domain_store import DomainSettingsStore
from lmsform.providers.skilljar.emulator.enrollment_store import (
    ENROLLMENT_DUMPS,
    ENROLLMENT_RESET_ORDER,
    ENROLLMENT_TABLES,
    EnrollmentStore,
)
from lmsform.providers.skilljar.emulator.group_rule_store import (
    GROUP_RULE_DUMPS,
    GROUP_RULE_RESET_ORDER,
    GROUP_RULE_TABLES,
    GroupRuleStore,
)
from lmsform.providers.skilljar.emulator.ilt_store import (
    ILT_DUMPS,
    ILT_RESET_ORDER,
    ILT_TABLES,
    IltStore,
)
from lmsform.providers.skilljar.emulator.manager_store import (
    MANAGER_DUMPS,
    MANAGER_RESET_ORDER,
    MANAGER_TABLES,
    ManagerAccessStore,
)
from lmsform.providers.skilljar.emulator.path_store import (
    PATH_DUMPS,
    PATH_RESET_ORDER,
    PATH_TABLES,
    PathStore,
)
from lmsform.providers.skilljar.emulator.people_store import (
    PEOPLE_DUMPS,
    PEOPLE_RESET_ORDER,
    PEOPLE_TABLES,
    PeopleStore,
)
from lmsform.providers.skilljar.emulator.publication_store import (
    PUBLICATION_DUMPS,
    PUBLICATION_RESET_ORDER,
    PUBLICATION_TABLES,
    PublicationStore,
)
from lmsform.providers.skilljar.emulator.webhook_store import (
    WEBHOOK_DUMPS,
    WEBHOOK_RESET_ORDER,
    WEBHOOK_TABLES,
    WebhookStore,
)

SCHEMA_VERSION = 2
"""1: people only. 2: courses, labels, publications, paths, plans, enrollments, webhooks, manager access."""

_TABLES = (
    *PEOPLE_TABLES,
    *COURSE_TABLES,
    *PUBLICATION_TABLES,
    *CATALOGUE_RULE_TABLES,
    *PATH_TABLES,
    *ENROLLMENT_TABLES,
    *WEBHOOK_TABLES,
    *MANAGER_TABLES,
    *GROUP_RULE_TABLES,
    *ILT_TABLES,
)
# Tables that point at others come first, so no delete trips a foreign key.
_RESET_ORDER = (
    *ILT_RESET_ORDER,
    *ENROLLMENT_RESET_ORDER,
    *MANAGER_RESET_ORDER,
    *PATH_RESET_ORDER,
    *CATALOGUE_RULE_RESET_ORDER,
    *PUBLICATION_RESET_ORDER,
    *COURSE_RESET_ORDER,
    *WEBHOOK_RESET_ORDER,
    *PEOPLE_RESET_ORDER,
    *GROUP_RULE_RESET_ORDER,
)
_DUMPS: tuple[TableDump, ...] = (
    *PEOPLE_DUMPS,
    *COURSE_DUMPS,
    *PUBLICATION_DUMPS,
    *CATALOGUE_RULE_DUMPS,
    *PATH_DUMPS,
    *ENROLLMENT_DUMPS,
    *WEBHOOK_DUMPS,
    *MANAGER_DUMPS,
    *GROUP_RULE_DUMPS,
    *ILT_DUMPS,
)


class SkilljarStore(
    PeopleStore,
    DomainSettingsStore,
    CourseStore,
    PublicationStore,
    CatalogueRuleStore,
    PathStore,
    EnrollmentStore,
    WebhookStore,
    ManagerAccessStore,
    GroupRuleStore,
    IltStore,
):
    """All emulator state in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._migrate(_TABLES, SCHEMA_VERSION)

    def reset(self) -> None:
        """Remove every row except the domains."""
        self._delete_rows(_RESET_ORDER)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table's rows in creation order, as plain JSON-ready dicts."""
        return self._dump_tables(_DUMPS)
