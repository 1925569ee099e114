"""Test hooks under `/_emulator/` (not vendor surface, no credentials): dump, reset, seed, signup."""

from __future__ import annotations

from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.lookups import require_domain
from lmsform.providers.skilljar.emulator.people import Join, join_domain
from lmsform.providers.skilljar.emulator.people_store import UserRecord
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    email,
    list_of,
    request_body,
    text,
    validate_object,
)
from lmsform.providers.skilljar.emulator.seeding import seed
from lmsform.providers.skilljar.emulator.shapes import read_only_user_json

SIGNUP: Schema = {
    "domain": Field(text(allow_blank=False), required=True),
    "email": Field(email(), required=True),
    "first_name": Field(text(50)),
    "last_name": Field(text(50)),
    "signup_field_option_ids": Field(list_of(text(allow_blank=False))),
}


class HookApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/_emulator/state", {"GET": self.dump_state}),
            ("/_emulator/reset", {"POST": self.reset_state}),
            ("/_emulator/seed", {"POST": self.seed_state}),
            ("/_emulator/signup", {"POST": self.simulate_signup}),
        )

    def dump_state(self) -> flask.Response:
        return json_response(self.store.dump())

    def reset_state(self) -> flask.Response:
        """Every row but the domains goes, and so does work still waiting to run (a delayed bulk-create)."""
        self.jobs.cancel_all()
        self.store.reset()
        return empty_response(204)

    def seed_state(self) -> flask.Response:
        return json_response(seed(self.store, request_body()), 201)

    def simulate_signup(self) -> flask.Response:
        """A learner signs up; group rules then add (or, when enforced, remove) them (skilljar.md D19)."""
        clean = validate_object(request_body(), SIGNUP)
        domain = require_domain(self.store, clean["domain"])
        membership = join_domain(self.store, domain.name, Join.from_row(clean))
        chosen_options = set(clean.get("signup_field_option_ids", []))
        # The answers picked are the new member's sign-up field values, as on Skilljar's sign-up page.
        answers = {
            link.field_id: link.value
            for link in self.store.option_links(chosen_options).values()
            if link.domain_name == domain.name
        }
        self.store.set_signup_values(domain.name, membership.user.id, answers)
        added, removed = self._apply_group_rules(membership.user, chosen_options)
        return json_response(
            {"user": read_only_user_json(membership.user), "groups_added": added, "groups_removed": removed},
            201,
        )

    def _apply_group_rules(self, user: UserRecord, chosen_options: set[str]) -> tuple[list[str], list[str]]:
        email_domain = user.email.rpartition("@")[2].lower()
        added: list[str] = []
        removed: list[str] = []
        for group in self.store.list_groups().items:
            rule: dict[str, Any] = group.sign_up_field_rule
            rule_options = {option["id"] for option in rule["options"]}
            by_email = email_domain in group.rule_email_domains
            by_fields = _rule_matches(rule_options, chosen_options, require_all=rule["require_match_all"])
            is_member = self.store.get_group_member(group.id, user.id) is not None
            if (by_email or by_fields) and not is_member:
                self.store.add_group_member(group.id, user.id)
                added.append(group.id)
            elif is_member and rule["enforce"] and rule_options and not (by_email or by_fields):
                self.store.remove_group_member(group.id, user.id)
                removed.append(group.id)
        return added, removed


def _rule_matches(rule_options: set[str], chosen: set[str], *, require_all: bool) -> bool:
    if not rule_options:
        return False
    return rule_options <= chosen if require_all else bool(rule_options & chosen)
