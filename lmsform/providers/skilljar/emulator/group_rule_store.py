"""Group categories, and the sign-up field options a group's rule links to, in SQLite (skilljar.md D65)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
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

# Categories are made in Skilljar's dashboard (the API only lists them); the emulator seeds them.
GROUP_RULE_TABLES = (
    """CREATE TABLE IF NOT EXISTS group_categories (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL
    )""",
)
GROUP_RULE_RESET_ORDER = ("group_categories",)
GROUP_RULE_DUMPS = (table_dump("group_categories", "group_categories"),)


@dataclass(frozen=True)
class GroupCategoryRecord:
    id: str
    name: str


@dataclass(frozen=True)
class OptionLink:
    """A sign-up field option as a group's rule shows it (the spec's SignupFieldOptionLink)."""

    id: str
    value: str
    domain_name: str
    field_id: str


def _category_from_row(row: Sequence[Any]) -> GroupCategoryRecord:
    return GroupCategoryRecord(id=row[0], name=row[1])


class GroupRuleStore(Database):
    """Group categories, and sign-up field options looked up by id across every domain."""

    def add_group_category(self, name: str) -> GroupCategoryRecord:
        category_id = new_id()
        with self.transaction():
            self._run("INSERT INTO group_categories (id, name) VALUES (?, ?)", (category_id, name))
            return read_back(self.get_group_category(category_id))

    def get_group_category(self, category_id: str) -> GroupCategoryRecord | None:
        row = self._one("SELECT id, name FROM group_categories WHERE id = ?", (category_id,))
        return None if row is None else _category_from_row(row)

    def find_group_category(self, name: str) -> GroupCategoryRecord | None:
        row = self._one("SELECT id, name FROM group_categories WHERE name = ? ORDER BY seq", (name,))
        return None if row is None else _category_from_row(row)

    def list_group_categories(self, window: Window = ALL_ROWS) -> Slice[GroupCategoryRecord]:
        return self._slice("id, name", "group_categories", Conditions(), "seq", window, _category_from_row)

    def set_rule_email_domains(self, group_id: str, domains: Sequence[str]) -> None:
        """Replace a group's e-mail domain rule (the sub-resource's PATCH works out the new list)."""
        self._run(
            "UPDATE student_groups SET rule_email_domains = ? WHERE id = ?",
            (json.dumps(list(domains)), group_id),
        )

    def option_links(self, option_ids: Iterable[str]) -> dict[str, OptionLink]:
        """The sign-up field options of any domain with these ids, by id."""
        wanted = set(option_ids)
        found: dict[str, OptionLink] = {}
        if not wanted:
            return found
        for field_id, domain_name, options in self._all("SELECT id, domain_name, options FROM signup_fields"):
            for option in json.loads(options):
                if option["id"] in wanted:
                    found[option["id"]] = OptionLink(option["id"], option["value"], domain_name, field_id)
        return found
