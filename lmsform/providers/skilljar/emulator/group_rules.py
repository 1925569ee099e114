"""A group's e-mail domain rule (its own sub-resource) and the group categories (skilljar.md D65-D67).

The sign-up field rule is written with the group itself (`people.py`); what it stores and answers
is worked out here: each option linked with its value and domain, as the spec's
SignupFieldOptionLink shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import json_response
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.errors import ValidationFailed, field_error, not_found
from lmsform.providers.skilljar.emulator.group_rule_store import GroupCategoryRecord
from lmsform.providers.skilljar.emulator.lookups import require_group
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    list_of,
    request_body,
    text,
    validate_object,
)
from lmsform.providers.skilljar.emulator.store import SkilljarStore

# The spec states no page size for categories: the default of the other lists (skilljar.md D5).
GROUP_CATEGORIES_PAGE_SIZE = 100
EMAIL_DOMAIN_RULE_PATCH: Schema = {
    "add": Field(list_of(text(allow_blank=False))),
    "remove": Field(list_of(text(allow_blank=False))),
}


def group_category_json(category: GroupCategoryRecord) -> dict[str, Any]:
    return {"id": category.id, "name": category.name}


def linked_rule(store: SkilljarStore, rule: Mapping[str, Any]) -> dict[str, Any]:
    """The rule to store: each option the id of a domain's sign-up field option gets its value and
    domain; an id the emulator does not know is kept as sent (skilljar.md D66)."""
    links = store.option_links(option["id"] for option in rule["options"])
    options = []
    for option in rule["options"]:
        link = links.get(option["id"])
        options.append(
            {"id": option["id"]}
            if link is None
            else {"id": link.id, "value": link.value, "domain_name": link.domain_name}
        )
    return {**rule, "options": options}


def check_category(store: SkilljarStore, category_id: str | None) -> None:
    """A group's category must be one of the organisation's (skilljar.md D67)."""
    if category_id is not None and store.get_group_category(category_id) is None:
        raise field_error("group_category_id", f'Invalid pk "{category_id}" - object does not exist.')


class GroupRuleApi(ApiArea):
    def routes(self) -> Routes:
        return (
            (
                "/v1/groups/<oid:group_id>/email-domain-rules",
                {"GET": self.list_email_domains, "PATCH": self.change_email_domains},
            ),
            ("/v1/group-categories", {"GET": self.list_group_categories}),
            ("/v1/group-categories/<oid:category_id>", {"GET": self.get_group_category}),
        )

    def list_email_domains(self, group_id: str) -> flask.Response:
        return json_response({"email_domains": require_group(self.store, group_id).rule_email_domains})

    def change_email_domains(self, group_id: str) -> flask.Response:
        """Adds, then removes; domains are lower-cased; adding a known or removing an unknown one
        changes nothing (the spec's text)."""
        group = require_group(self.store, group_id)
        clean = validate_object(request_body(), EMAIL_DOMAIN_RULE_PATCH)
        if "add" not in clean and "remove" not in clean:
            raise ValidationFailed(
                {"non_field_errors": ["At least one of 'add' or 'remove' must be provided."]}
            )
        added = [domain.lower() for domain in clean.get("add", [])]
        removed = [domain.lower() for domain in clean.get("remove", [])]
        domains = list(group.rule_email_domains)
        domains += [domain for domain in dict.fromkeys(added) if domain not in domains]
        domains = [domain for domain in domains if domain not in removed]
        self.store.set_rule_email_domains(group.id, domains)
        answer = {name: values for name, values in (("add", added), ("remove", removed)) if name in clean}
        return json_response(answer)

    def list_group_categories(self) -> flask.Response:
        page = self.pager.requested_page(GROUP_CATEGORIES_PAGE_SIZE)
        rows = self.store.list_group_categories(page.window)
        return json_response(self.pager.envelope(page, rows, group_category_json))

    def get_group_category(self, category_id: str) -> flask.Response:
        category = self.store.get_group_category(category_id)
        if category is None:
            raise not_found()
        return json_response(group_category_json(category))
