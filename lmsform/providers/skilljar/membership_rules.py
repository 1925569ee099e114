"""A Skilljar group's membership rules and category as lmsform reads, checks and writes them.

A group's `rule_email_domains` and `sign_up_field_rule` put learners in it server-side, and its
`group_category_id` files it under a category (skilljar.md D65-D69). The manifests name a category
and sign-up answers by their text; Skilljar takes ids. Members a rule brings are not drift: each
live member the group's rule matches is protected from removal, with the rule as the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lmsform.errors import ProviderError
from lmsform.kinds import GROUPS, Key
from lmsform.state import Resource

# What an option of another domain's sign-up field shows as: lmsform reads only its own domain's
# fields, so it knows the option's text but not its field's label (skilljar.md D66).
OTHER_DOMAIN = "(a sign-up field of {domain})"
NO_RULE: dict[str, Any] = {"options": [], "require_match_all": False, "enforce": False}

# A sign-up option's (label, answer) by the option's id, for the provider's domain.
Options = Mapping[str, tuple[str, str]]


def options_by_id(signup_fields: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """The domain's pick-list options: id → (the field's label, the option's text)."""
    return {
        str(option["id"]): (str(field["label"]), str(option["value"]))
        for field in signup_fields
        for option in field.get("options") or []
        if option.get("id") is not None and option.get("value") is not None
    }


def answer_ids(signup_fields: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """The domain's pick-list options: (label, answer) → the option's id."""
    return {labelled: option_id for option_id, labelled in options_by_id(signup_fields).items()}


def email_domains(item: Mapping[str, Any]) -> list[str]:
    return sorted({str(domain).lower() for domain in item.get("rule_email_domains") or []})


def live_rule(item: Mapping[str, Any], options: Options) -> dict[str, Any] | None:
    """A group's sign-up rule as a manifest writes it, or None when it has no options."""
    rule = item.get("sign_up_field_rule") or {}
    answers: dict[str, set[str]] = {}
    for option in rule.get("options") or []:
        known = options.get(str(option.get("id")))
        if known is None:
            where = str(option.get("domain_name") or "another domain")
            known = (OTHER_DOMAIN.format(domain=where), str(option.get("value") or option.get("id")))
        answers.setdefault(known[0], set()).add(known[1])
    if not answers:
        return None
    return {
        "answers": {label: sorted(answers[label]) for label in sorted(answers)},
        "require_match_all": bool(rule.get("require_match_all")),
        "enforce": bool(rule.get("enforce")),
    }


def rule_fields(
    item: Mapping[str, Any], categories: Mapping[str, str] | None, options: Options | None
) -> dict[str, Any]:
    """The group's rule fields; `category` and `sign_up_field_rule` only where the names they need
    were read (the categories, the domain's sign-up fields)."""
    fields: dict[str, Any] = {"rule_email_domains": email_domains(item)}
    if categories is not None:
        category_id = item.get("group_category_id")
        fields["category"] = None if category_id is None else categories.get(str(category_id), category_id)
    if options is not None:
        fields["sign_up_field_rule"] = live_rule(item, options)
    return fields


# --- members a rule brings ------------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipRule:
    """What puts learners in one group: the declared rule where the manifests declare it (what the
    group will have after the apply), else the live one."""

    group: str
    domains: tuple[str, ...] = ()
    # label → answers; None: no sign-up rule.
    answers: Mapping[str, tuple[str, ...]] | None = None
    require_match_all: bool = False
    enforce: bool = False
    # False: the group has a sign-up rule whose answers lmsform did not read (its labels).
    readable: bool = True

    @classmethod
    def of(
        cls, live: Mapping[str, Any], declared: Mapping[str, Any] | None, options: Options | None
    ) -> MembershipRule:
        """`live` is the group's item as Skilljar answers it, `declared` the desired group's fields,
        `options` the domain's sign-up options when they were read."""
        wanted = declared or {}
        domains = wanted["rule_email_domains"] if "rule_email_domains" in wanted else email_domains(live)
        name = str(live["name"])
        if "sign_up_field_rule" in wanted:
            rule = wanted["sign_up_field_rule"]
        elif not (live.get("sign_up_field_rule") or {}).get("options"):
            rule = None
        elif options is None:
            return cls(
                name,
                tuple(domains),
                {},
                enforce=bool(live["sign_up_field_rule"].get("enforce")),
                readable=False,
            )
        else:
            rule = live_rule(live, options)
        if rule is None:
            return cls(name, tuple(domains))
        answers = {label: tuple(values) for label, values in rule["answers"].items()}
        return cls(name, tuple(domains), answers, bool(rule["require_match_all"]), bool(rule["enforce"]))

    def protection(self, email: str, answers: Mapping[str, str] | None) -> str | None:
        """Why this member is the rule's, not drift; None when the rule does not bring them.
        `answers` are the member's sign-up values by label, None where lmsform did not read them."""
        if email.rpartition("@")[2].lower() in self.domains:
            return (
                f"Skilljar adds members to group {self.group!r} by e-mail domains {', '.join(self.domains)}"
            )
        if self.answers is None:
            return None
        enforced = " and removes those who stop matching" if self.enforce else ""
        if answers is None or not self.readable:
            return f"Skilljar adds members to group {self.group!r} by sign-up field answers{enforced}"
        given = [answers.get(label) == answer for label, values in self.answers.items() for answer in values]
        if all(given) if self.require_match_all else any(given):
            shown = "; ".join(f"{label}: {', '.join(values)}" for label, values in self.answers.items())
            return (
                f"Skilljar adds members to group {self.group!r} by sign-up field answers ({shown}){enforced}"
            )
        return None


# --- names the manifests give, checked before any write -------------------------------------------


def check_names(
    vendor: str,
    domain: str,
    declared: Iterable[Resource],
    categories: Iterable[str] | None,
    signup_fields: Iterable[Mapping[str, Any]] | None,
) -> None:
    """Every category and sign-up answer the declared groups name exists, or the plan stops before
    any write, naming the ones there are (skilljar.md D66, D67)."""
    known_answers = set(answer_ids(signup_fields)) if signup_fields is not None else set()
    known_categories = sorted(set(categories or ()))
    for group in declared:
        category = group.fields.get("category")
        if categories is not None and category is not None and category not in known_categories:
            _stop(
                vendor,
                group,
                f"Skilljar has no group category {category!r} "
                f"(its categories: {', '.join(known_categories) or 'none'})",
            )
        rule = group.fields.get("sign_up_field_rule")
        if signup_fields is None or not rule:
            continue
        unknown = [
            f"{label}: {answer}"
            for label, answers in rule["answers"].items()
            for answer in answers
            if (label, answer) not in known_answers
        ]
        if unknown:
            offered = ", ".join(f"{label}: {answer}" for label, answer in sorted(known_answers)) or "none"
            _stop(
                vendor,
                group,
                f"domain {domain!r} has no sign-up answer {', '.join(map(repr, unknown))} "
                f"(the answers of its pick-list fields: {offered})",
            )


def _stop(vendor: str, group: Resource, message: str) -> None:
    where = f"{group.source}: " if group.source is not None else ""
    raise ProviderError(vendor=vendor, message=f"{where}{message}", kind=GROUPS.name, key=group.address)


def declared_groups(desired: Iterable[Resource], field: str) -> list[Resource]:
    """The desired groups that declare `field`."""
    return [group for group in desired if field in group.fields]


def declared_by_live_key(groups: Mapping[Key, Resource]) -> dict[Key, Resource]:
    """The desired groups by the keys a live group may have: their own and their former names."""
    found = dict(groups)
    for group in groups.values():
        for old in group.previously:
            found.setdefault(old, group)
    return found


# --- what a write sends ---------------------------------------------------------------------------


def rule_body(rule: Mapping[str, Any] | None, ids: Mapping[tuple[str, str], str]) -> dict[str, Any]:
    """The SignUpFieldRuleRequest for a declared rule (None: no rule, which has no options)."""
    if rule is None:
        return dict(NO_RULE)
    return {
        "options": [
            {"id": ids[(label, answer)]} for label, answers in rule["answers"].items() for answer in answers
        ],
        "require_match_all": bool(rule["require_match_all"]),
        "enforce": bool(rule["enforce"]),
    }
