"""Planned changes of groups → Skilljar API calls: the group with its category and sign-up rule, and
its e-mail domain rule (skilljar.md Groups, D65-D69).

A create sends everything in `POST /v1/groups`. An update sends the changed group fields in one
`PATCH /v1/groups/{g}` and, when the e-mail domains differ, one `PATCH …/email-domain-rules` with
only the domains to add and to remove: `rule_email_domains` is read-only on the group's update.
Categories and sign-up answers are named in manifests and sent as ids, looked up once per phase
and only when a change needs them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from lmsform.errors import ProviderError
from lmsform.kinds import GROUPS
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext, Work
from lmsform.providers.safe_writes import create_once
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.providers.skilljar.membership_rules import answer_ids, rule_body

# Fields sent as they are; `category` and `sign_up_field_rule` go by id.
PLAIN_FIELDS = ("name", "discount_percent")


class GroupLookups:
    """The category ids by name and the domain's sign-up option ids by (label, answer), each read
    when a change first needs it and then shared by the phase's changes."""

    def __init__(self, client: SkilljarClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._categories: dict[str, str] | None = None
        self._answers: dict[tuple[str, str], str] | None = None

    def category_id(self, name: str, *, key: str) -> str:
        with self._lock:
            if self._categories is None:  # `GET /v1/group-categories`: one request per page
                self._categories = {
                    str(item["name"]): str(item["id"]) for item in self._client.list_group_categories()
                }
            known = self._categories
        if name not in known:
            raise self._unknown(f"Skilljar has no group category {name!r}", key)
        return known[name]

    def answer_ids(self, rule: Mapping[str, Any], *, key: str) -> dict[tuple[str, str], str]:
        with self._lock:
            if self._answers is None:  # `GET …/signup-fields`: one request per page of 100
                self._answers = answer_ids(self._client.list_signup_fields())
            known = self._answers
        for label, answers in rule["answers"].items():
            for answer in answers:
                if (label, answer) not in known:
                    raise self._unknown(
                        f"domain {self._client.domain!r} has no sign-up answer {label}: {answer}", key
                    )
        return known

    def _unknown(self, message: str, key: str) -> ProviderError:
        return ProviderError(vendor=self._client.http.vendor, message=message, kind=GROUPS.name, key=key)


def _after(change: Change) -> Mapping[str, Any]:
    assert change.after is not None, f"{change.action} of {change.address} has no target state"
    return change.after


def _group_body(change: Change, names: Sequence[str], lookups: GroupLookups) -> dict[str, Any]:
    """These fields of the change's target state, as Skilljar's group create and update take them."""
    after = _after(change)
    body = {name: after[name] for name in PLAIN_FIELDS if name in names}
    if "category" in names:
        category = after["category"]
        body["group_category_id"] = (
            None if category is None else lookups.category_id(category, key=change.address)
        )
    if "sign_up_field_rule" in names:
        rule = after["sign_up_field_rule"]
        ids = {} if rule is None else lookups.answer_ids(rule, key=change.address)
        body["sign_up_field_rule"] = rule_body(rule, ids)
    return body


def create_group(
    client: SkilljarClient, change: Change, context: ApplyContext, *, lookups: GroupLookups | None = None
) -> None:
    after = _after(change)
    body = _group_body(
        change, [name for name in after if after[name] is not None], lookups or GroupLookups(client)
    )
    if after.get("rule_email_domains"):
        body["rule_email_domains"] = list(after["rule_email_domains"])

    def find() -> str | None:  # group names are unique: `GET /v1/groups?name=`, one request
        found = client.find_group(after["name"])
        return None if found is None else str(found["id"])

    group_id = create_once(
        lambda: str(client.create_group(body, key=change.address)["id"]),
        find,
        what=change.address,
        vendor_unique=True,
        attempts=client.http.attempts,
    )
    context.record(GROUPS.name, change.key, group_id)


def update_group(
    client: SkilljarClient, change: Change, context: ApplyContext, *, lookups: GroupLookups | None = None
) -> None:
    group_id = change.ids["id"]
    body = _group_body(change, change.changed, lookups or GroupLookups(client))
    if body:
        client.update_group(group_id, body, key=change.address)
    if "rule_email_domains" in change.changed:
        before = set((change.before or {}).get("rule_email_domains") or ())
        after = set(_after(change)["rule_email_domains"])
        client.change_group_email_domains(
            group_id, add=sorted(after - before), remove=sorted(before - after), key=change.address
        )


def work(client: SkilljarClient, action: Action, changes: Sequence[Change]) -> list[Work] | None:
    """One look-up of categories and sign-up options for a phase of group creates or updates that
    name them (None: one call per change, as usual)."""
    if action not in (Action.CREATE, Action.UPDATE) or not any(_looks_up(change) for change in changes):
        return None
    write = create_group if action is Action.CREATE else update_group
    shared = GroupLookups(client)
    return [Work((change,), partial(write, client, change, lookups=shared)) for change in changes]


def _looks_up(change: Change) -> bool:
    after = change.after or {}
    return after.get("category") is not None or bool(after.get("sign_up_field_rule"))
