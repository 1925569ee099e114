"""Skilljar's v1 REST API as a Flask app, for the parts lmsform needs.

Paths, field names and success codes follow Skilljar's own OpenAPI spec
(`tests/oracles/skilljar-v1-openapi.yml`); error behaviour follows Django REST Framework
conventions and the emulator decisions in the vendor reference (§5). State lives in a
`SkilljarStore` (SQLite), so an emulator can be stopped and restarted on the same file.

Test hooks live under `/_emulator/` and need no credentials.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter

from lmsform.providers.skilljar.drf import (
    ApiError,
    Authenticator,
    Field,
    FieldInvalid,
    Pager,
    Parser,
    Schema,
    boolean,
    decode_cursor,
    email,
    empty_response,
    encode_cursor,
    field_error,
    integer,
    json_response,
    link,
    list_of,
    many,
    nested,
    not_found,
    query_boolean,
    query_text,
    request_body,
    text,
    timestamp,
    validate_object,
)
from lmsform.providers.skilljar.store import (
    DomainRecord,
    DomainUserFilter,
    DomainUserRecord,
    GroupMemberRecord,
    GroupRecord,
    SkilljarStore,
    Slice,
    UserFilter,
    UserRecord,
    Window,
    now_timestamp,
)

DOMAINS_PAGE_SIZE = 100
DOMAIN_USERS_PAGE_SIZE = 1000
GROUPS_PAGE_SIZE = 1000
GROUP_USERS_PAGE_SIZE = 1000
USERS_PAGE_SIZE = 1000
BULK_CREATE_MAX_ROWS = 1000

_STORE_EXTENSION = "lmsform_skilljar_store"
_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_DOMAIN_NAME_PATTERN = re.compile(r"[-:.0-9a-z]+")


@dataclass(frozen=True)
class SkilljarEmulatorOptions:
    domains: tuple[str, ...] = ("acme.skilljar.com",)
    """Domains that exist; created in the store at startup if missing."""
    clamp_page_size: bool = True
    """`page_size` is honoured only up to the list's default page size (§5 #5)."""
    accept_trailing_slash: bool = False
    """Serve `/v1/groups/` like `/v1/groups` instead of answering 404 (§5 #1)."""
    bulk_create_status: int = 202
    """202 answers `{}`; 200 answers the first row as a DomainUserDetail (§5 #8)."""
    users_list_bare_array: bool = False
    """`GET /v1/users` returns one bare JSON array instead of an envelope (§5 #7)."""


def access_code_reference() -> Parser:
    """`access_code` on a domain-user update: the emulator has no access codes, so only null is valid."""
    reference = nested({"id": Field(text(allow_blank=False), required=True)})

    def parse(value: Any) -> None:
        reference(value)
        raise FieldInvalid({"id": ["Invalid access code id."]})

    return parse


USER_CREATE: Schema = {
    "email": Field(email(), required=True),
    "first_name": Field(text(50)),
    "last_name": Field(text(50)),
}
DOMAIN_USER_CREATE: Schema = {
    "user": Field(nested(USER_CREATE), required=True),
    "active": Field(boolean()),
    "marketing_optin": Field(boolean(), nullable=True),
    "expires_at": Field(timestamp(), nullable=True),
}
BULK_USER_ROW: Schema = {
    "email": Field(email(), required=True),
    "first_name": Field(text(150)),
    "last_name": Field(text(150)),
    "active": Field(boolean()),
    "marketing_optin": Field(boolean(), nullable=True),
    "expires_at": Field(timestamp(), nullable=True),
}
BULK_CREATE: Schema = {
    "users": Field(many(BULK_USER_ROW, min_items=1, max_items=BULK_CREATE_MAX_ROWS), required=True),
}
DOMAIN_USER_UPDATE: Schema = {
    "active": Field(boolean()),
    "expires_at": Field(timestamp(), nullable=True),
    "access_code": Field(access_code_reference(), nullable=True),
}
USER_UPDATE: Schema = {
    "email": Field(email()),
    "first_name": Field(text(50)),
    "last_name": Field(text(50)),
}
SIGN_UP_FIELD_RULE: Schema = {
    "enforce": Field(boolean()),
    "require_match_all": Field(boolean()),
    "options": Field(many({"id": Field(text(allow_blank=False), required=True)}), required=True),
}
_GROUP_FIELDS: Schema = {
    "discount_percent": Field(integer(0, 100), nullable=True),
    "group_category_id": Field(text(allow_blank=False), nullable=True),
    "sign_up_field_rule": Field(nested(SIGN_UP_FIELD_RULE)),
}
GROUP_CREATE: Schema = {
    "name": Field(text(100, allow_blank=False), required=True),
    **_GROUP_FIELDS,
    "rule_email_domains": Field(list_of(text(allow_blank=False))),
}
# PUT and PATCH are both partial (§5 #15); rule_email_domains is read-only on update.
GROUP_UPDATE: Schema = {"name": Field(text(100, allow_blank=False)), **_GROUP_FIELDS}
GROUP_USER_CREATE: Schema = {
    "user": Field(nested({"id": Field(text(allow_blank=False), required=True)}), required=True),
}

SEED_MEMBERSHIP: Schema = {
    "name": Field(text(allow_blank=False), required=True),
    "active": Field(boolean()),
    "marketing_optin": Field(boolean(), nullable=True),
    "expires_at": Field(timestamp(), nullable=True),
}
SEED_USER: Schema = {
    "email": Field(email(), required=True),
    "first_name": Field(text(50)),
    "last_name": Field(text(50)),
    "inactive": Field(boolean()),
    "domains": Field(many(SEED_MEMBERSHIP)),
}
SEED_GROUP: Schema = {
    "name": Field(text(100, allow_blank=False), required=True),
    "members": Field(list_of(email())),
}
SEED: Schema = {"users": Field(many(SEED_USER)), "groups": Field(many(SEED_GROUP))}
SIGNUP: Schema = {
    "domain": Field(text(allow_blank=False), required=True),
    "email": Field(email(), required=True),
    "first_name": Field(text(50)),
    "last_name": Field(text(50)),
    "signup_field_option_ids": Field(list_of(text(allow_blank=False))),
}


# --- response shapes (spec schema names in the function names) ------------------------------------


def domain_json(domain: DomainRecord) -> dict[str, Any]:
    return {
        "id": domain.id,
        "name": domain.name,
        "catalog_title": domain.catalog_title,
        "private": domain.access != "PUBLIC",
        "access": domain.access,
        "access_code_message_html": domain.access_code_message_html,
        "marketing_message": domain.marketing_message,
    }


def user_json(user: UserRecord) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "full_name": f"{user.first_name} {user.last_name}".strip(),
    }


def read_only_user_json(user: UserRecord) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "first_name": user.first_name, "last_name": user.last_name}


def domain_user_list_item_json(membership: DomainUserRecord) -> dict[str, Any]:
    # `access_code` is left out rather than null: no member of an emulated domain joined with a code,
    # and the spec's schemas (an `allOf` of the non-nullable AccessCode) reject null.
    return {
        "user": user_json(membership.user),
        "active": membership.active,
        "marketing_optin": membership.marketing_optin,
        "enrolled_at": membership.enrolled_at,
        "expires_at": membership.expires_at,
    }


def domain_user_detail_json(membership: DomainUserRecord) -> dict[str, Any]:
    """DomainUserCreate, DomainUserDetail and DomainUserUpdate (no SSO domains, so no `login_token`)."""
    return {**domain_user_list_item_json(membership), "signup_fields": []}


def user_overview_json(user: UserRecord) -> dict[str, Any]:
    # `latest_activity` is left out: the emulator has no course activity and the spec does not allow null.
    return {
        "user": read_only_user_json(user),
        "registration_count": 0,
        "completion_count": 0,
        "signed_up_at": user.signed_up_at,
        "inactive_at": user.inactive_at,
    }


def user_update_json(user: UserRecord) -> dict[str, Any]:
    return {**read_only_user_json(user), "inactive_at": user.inactive_at}


def group_json(group: GroupRecord) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "user_count": group.user_count,
        "discount_percent": group.discount_percent,
        "group_category_id": group.group_category_id,
        "sign_up_field_rule": group.sign_up_field_rule,
        "rule_email_domains": group.rule_email_domains,
    }


def group_user_json(member: GroupMemberRecord) -> dict[str, Any]:
    return {"user": read_only_user_json(member.user), "created_at": member.created_at}


def sign_up_field_rule(clean: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored (and answered) rule; an unset rule enforces nothing and has no options."""
    clean = clean or {"options": []}
    return {
        "enforce": clean.get("enforce", False),
        "require_match_all": clean.get("require_match_all", False),
        "options": [{"id": option["id"]} for option in clean["options"]],
    }


class _DomainNameConverter(BaseConverter):
    regex = r"[-:.0-9a-z]+"


class _ObjectIdConverter(BaseConverter):
    regex = r"[0-9a-z]+"


@dataclass(frozen=True)
class _Join:
    """What it takes to put an e-mail address on a domain (single create, bulk row, seed, signup)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    active: bool = True
    marketing_optin: bool | None = None
    expires_at: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> _Join:
        return cls(
            email=row["email"],
            first_name=row.get("first_name", ""),
            last_name=row.get("last_name", ""),
            active=row.get("active", True),
            marketing_optin=row.get("marketing_optin"),
            expires_at=row.get("expires_at"),
        )


# --- the API ----------------------------------------------------------------------------------------

Handler = Callable[..., flask.Response]


class _SkilljarApi:
    """One method per operation; each runs inside one store transaction."""

    def __init__(self, store: SkilljarStore, options: SkilljarEmulatorOptions) -> None:
        self.store = store
        self.options = options
        self.pager = Pager(options.clamp_page_size)

    # --- shared steps ----------------------------------------------------------------------------

    def _domain(self, domain_name: str) -> DomainRecord:
        domain = self.store.get_domain(domain_name)
        if domain is None:
            raise not_found()
        return domain

    def _group(self, group_id: str) -> GroupRecord:
        group = self.store.get_group(group_id)
        if group is None:
            raise not_found()
        return group

    def _join_domain(self, domain_name: str, join: _Join) -> DomainUserRecord:
        """Single-create semantics (§2.2.6, §5 #4, #11): names of a known user are never changed."""
        user = self.store.find_user_by_email(join.email) or self.store.create_user(
            join.email, join.first_name, join.last_name
        )
        existing = self.store.get_domain_user(domain_name, user.id)
        if existing is not None:
            return existing
        return self.store.create_domain_user(
            domain_name,
            user.id,
            active=join.active,
            marketing_optin=join.marketing_optin,
            expires_at=join.expires_at,
        )

    def _ensure_unique_email(self, email_address: str, user_id: str | None = None) -> None:
        other = self.store.find_user_by_email(email_address)
        if other is not None and other.id != user_id:
            raise field_error("email", "user with this email address already exists.")

    def _ensure_unique_group_name(self, name: str, group_id: str | None = None) -> None:
        other = self.store.find_group_by_name(name)
        if other is not None and other.id != group_id:
            raise field_error("name", "group with this name already exists.")

    # --- ping and domains --------------------------------------------------------------------------

    def ping(self) -> flask.Response:
        return empty_response(200)

    def list_domains(self) -> flask.Response:
        page = self.pager.requested_page(DOMAINS_PAGE_SIZE, size_param=False)
        return json_response(self.pager.envelope(page, self.store.list_domains(page.window), domain_json))

    def get_domain(self, domain_name: str) -> flask.Response:
        return json_response(domain_json(self._domain(domain_name)))

    # --- domain users ------------------------------------------------------------------------------

    _UNSUPPORTED_MEMBER_FILTERS = (
        "access_code__code",
        "access_code__id",
        "access_code__pool__id",
        "signup_field_id",
        "signup_field_label",
        "signup_field_value",
    )

    def list_domain_users(self, domain_name: str) -> flask.Response:
        domain = self._domain(domain_name)
        filters = DomainUserFilter(
            email=query_text("user__email"),
            first_name=query_text("user__first_name"),
            last_name=query_text("user__last_name"),
            active=query_boolean("active"),
        )
        access_code = query_text("access_code")
        if access_code is not None and access_code != "null":
            raise field_error("access_code", 'Only the value "null" is accepted.')
        render = domain_user_list_item_json
        if query_boolean("include_signup_field_data"):
            render = domain_user_detail_json
        page = self.pager.requested_page(DOMAIN_USERS_PAGE_SIZE)
        rows = self.store.list_domain_users(domain.name, filters, page.window)
        # No member has an access code or sign-up field values, so these filters match nobody.
        if any(query_text(name) is not None for name in self._UNSUPPORTED_MEMBER_FILTERS):
            rows = Slice(0, [])
        return json_response(self.pager.envelope(page, rows, render))

    def create_domain_user(self, domain_name: str) -> flask.Response:
        domain = self._domain(domain_name)
        clean = validate_object(request_body(), DOMAIN_USER_CREATE)
        join = _Join.from_row({**clean, **clean["user"]})
        return json_response(domain_user_detail_json(self._join_domain(domain.name, join)), 201)

    def bulk_create_domain_users(self, domain_name: str) -> flask.Response:
        domain = self._domain(domain_name)
        rows = validate_object(request_body(), BULK_CREATE)["users"]
        memberships = [self._join_domain(domain.name, _Join.from_row(row)) for row in rows]
        if self.options.bulk_create_status == 200:
            return json_response(domain_user_detail_json(memberships[0]), 200)
        return json_response({}, self.options.bulk_create_status)

    def _domain_user(self, domain_name: str, user_id: str) -> DomainUserRecord:
        membership = self.store.get_domain_user(self._domain(domain_name).name, user_id)
        if membership is None:
            raise not_found()
        return membership

    def get_domain_user(self, domain_name: str, user_id: str) -> flask.Response:
        return json_response(domain_user_detail_json(self._domain_user(domain_name, user_id)))

    def update_domain_user(self, domain_name: str, user_id: str) -> flask.Response:
        self._domain_user(domain_name, user_id)
        changes = validate_object(request_body(), DOMAIN_USER_UPDATE)
        changes.pop("access_code", None)  # only null gets through, and nobody has a code to clear
        updated = self.store.update_domain_user(domain_name, user_id, changes)
        assert updated is not None
        return json_response(domain_user_detail_json(updated))

    # --- global users ------------------------------------------------------------------------------

    def list_users(self) -> flask.Response:
        filters = UserFilter(
            email=query_text("email"),
            first_name=query_text("first_name"),
            last_name=query_text("last_name"),
            is_inactive=query_boolean("is_inactive"),
        )
        if self.options.users_list_bare_array:
            return json_response([user_overview_json(user) for user in self.store.list_users(filters).items])
        if "page" in flask.request.args:
            page = self.pager.requested_page(USERS_PAGE_SIZE, size_param=False)
            rows = self.store.list_users(filters, page.window)
            return json_response(self.pager.envelope(page, rows, user_overview_json))
        return json_response(self._users_cursor_envelope(filters))

    def _users_cursor_envelope(self, filters: UserFilter) -> dict[str, Any]:
        """Cursor pagination: `{next, previous, results}` without a count."""
        cursor = flask.request.args.get("cursor")
        offset = 0 if cursor is None else decode_cursor(cursor)
        rows = self.store.list_users(filters, Window(offset, USERS_PAGE_SIZE))
        next_offset = offset + USERS_PAGE_SIZE
        previous: str | None = None
        if offset > 0:
            previous_offset = max(0, offset - USERS_PAGE_SIZE)
            previous = link(cursor=encode_cursor(previous_offset) if previous_offset else None)
        return {
            "next": link(cursor=encode_cursor(next_offset)) if next_offset < rows.total else None,
            "previous": previous,
            "results": [user_overview_json(user) for user in rows.items],
        }

    def _user(self, user_id: str) -> UserRecord:
        user = self.store.get_user(user_id)
        if user is None:
            raise not_found()
        return user

    def get_user(self, user_id: str) -> flask.Response:
        return json_response(user_overview_json(self._user(user_id)))

    def update_user(self, user_id: str) -> flask.Response:
        self._user(user_id)
        changes = validate_object(request_body(), USER_UPDATE)
        if "email" in changes:
            self._ensure_unique_email(changes["email"], user_id)
        updated = self.store.update_user(user_id, changes)
        assert updated is not None
        return json_response(user_update_json(updated))

    # --- groups --------------------------------------------------------------------------------------

    def list_groups(self) -> flask.Response:
        page = self.pager.requested_page(GROUPS_PAGE_SIZE)
        rows = self.store.list_groups(query_text("name"), page.window)
        return json_response(self.pager.envelope(page, rows, group_json))

    def create_group(self) -> flask.Response:
        clean = validate_object(request_body(), GROUP_CREATE)
        self._ensure_unique_group_name(clean["name"])
        group = self.store.create_group(
            clean["name"],
            discount_percent=clean.get("discount_percent"),
            group_category_id=clean.get("group_category_id"),
            sign_up_field_rule=sign_up_field_rule(clean.get("sign_up_field_rule")),
            # E-mail domains are compared case-insensitively, so they are kept lower-cased.
            rule_email_domains=[domain.lower() for domain in clean.get("rule_email_domains", [])],
        )
        return json_response(group_json(group), 201)

    def get_group(self, group_id: str) -> flask.Response:
        return json_response(group_json(self._group(group_id)))

    def update_group(self, group_id: str) -> flask.Response:
        self._group(group_id)
        changes = validate_object(request_body(), GROUP_UPDATE)
        if "name" in changes:
            self._ensure_unique_group_name(changes["name"], group_id)
        if "sign_up_field_rule" in changes:
            changes["sign_up_field_rule"] = sign_up_field_rule(changes["sign_up_field_rule"])
        updated = self.store.update_group(group_id, changes)
        assert updated is not None
        return json_response(group_json(updated))

    def delete_group(self, group_id: str) -> flask.Response:
        if not self.store.delete_group(group_id):
            raise not_found()
        return empty_response(204)

    # --- group membership ----------------------------------------------------------------------------

    def list_group_users(self, group_id: str) -> flask.Response:
        group = self._group(group_id)
        page = self.pager.requested_page(GROUP_USERS_PAGE_SIZE)
        rows = self.store.list_group_members(group.id, page.window)
        return json_response(self.pager.envelope(page, rows, group_user_json))

    def add_group_user(self, group_id: str) -> flask.Response:
        group = self._group(group_id)
        user_id = validate_object(request_body(), GROUP_USER_CREATE)["user"]["id"]
        if self.store.get_user(user_id) is None:
            raise field_error("user", "Invalid user id.")
        if self.store.get_group_member(group.id, user_id) is not None:
            raise field_error("non_field_errors", "User is already a member of this group.")
        return json_response(group_user_json(self.store.add_group_member(group.id, user_id)), 201)

    def get_group_user(self, group_id: str, user_id: str) -> flask.Response:
        member = self.store.get_group_member(self._group(group_id).id, user_id)
        if member is None:
            raise not_found()
        return json_response(group_user_json(member))

    def remove_group_user(self, group_id: str, user_id: str) -> flask.Response:
        if not self.store.remove_group_member(self._group(group_id).id, user_id):
            raise not_found()
        return empty_response(204)

    # --- test hooks (/_emulator/...) -----------------------------------------------------------------

    def dump_state(self) -> flask.Response:
        return json_response(self.store.dump())

    def reset_state(self) -> flask.Response:
        self.store.reset()
        return empty_response(204)

    def seed_state(self) -> flask.Response:
        """Insert users, memberships and groups directly; known e-mails and group names are reused."""
        clean = validate_object(request_body(), SEED)
        users = [self._seed_user(entry) for entry in clean.get("users", [])]
        groups = [self._seed_group(entry) for entry in clean.get("groups", [])]
        return json_response(
            {
                "users": [{"id": user.id, "email": user.email} for user in users],
                "groups": [{"id": group.id, "name": group.name} for group in groups],
            },
            201,
        )

    def _seed_user(self, entry: Mapping[str, Any]) -> UserRecord:
        user = self.store.find_user_by_email(entry["email"]) or self.store.create_user(
            entry["email"], entry.get("first_name", ""), entry.get("last_name", "")
        )
        if entry.get("inactive") is not None:
            inactive_at = now_timestamp() if entry["inactive"] else None
            self.store.update_user(user.id, {"inactive_at": inactive_at})
        for membership in entry.get("domains", []):
            self._seed_membership(user, membership)
        return user

    def _seed_membership(self, user: UserRecord, membership: Mapping[str, Any]) -> None:
        domain_name = membership["name"]
        if self.store.get_domain(domain_name) is None:
            raise field_error("users", f"Unknown domain {domain_name!r}.")
        if self.store.get_domain_user(domain_name, user.id) is None:
            self._join_domain(domain_name, _Join.from_row({**membership, "email": user.email}))
        elif "active" in membership:
            self.store.update_domain_user(domain_name, user.id, {"active": membership["active"]})

    def _seed_group(self, entry: Mapping[str, Any]) -> GroupRecord:
        group = self.store.find_group_by_name(entry["name"]) or self.store.create_group(
            entry["name"], sign_up_field_rule=sign_up_field_rule(None)
        )
        for member_email in entry.get("members", []):
            user = self.store.find_user_by_email(member_email)
            if user is None:
                raise field_error("groups", f"Unknown member e-mail {member_email!r}.")
            if self.store.get_group_member(group.id, user.id) is None:
                self.store.add_group_member(group.id, user.id)
        return group

    def simulate_signup(self) -> flask.Response:
        """A learner signs up on a domain; group rules then add (or, when enforced, remove) them (§5 #19)."""
        clean = validate_object(request_body(), SIGNUP)
        domain = self._domain(clean["domain"])
        membership = self._join_domain(domain.name, _Join.from_row(clean))
        chosen_options = set(clean.get("signup_field_option_ids", []))
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
            rule = group.sign_up_field_rule
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


# --- the app ------------------------------------------------------------------------------------------


def _routes(api: _SkilljarApi) -> Sequence[tuple[str, Mapping[str, Handler]]]:
    return (
        ("/v1/ping", {"GET": api.ping}),
        ("/v1/domains", {"GET": api.list_domains}),
        ("/v1/domains/<domain:domain_name>", {"GET": api.get_domain}),
        (
            "/v1/domains/<domain:domain_name>/users",
            {"GET": api.list_domain_users, "POST": api.create_domain_user},
        ),
        ("/v1/domains/<domain:domain_name>/users/bulk-create", {"POST": api.bulk_create_domain_users}),
        (
            "/v1/domains/<domain:domain_name>/users/<oid:user_id>",
            {"GET": api.get_domain_user, "PUT": api.update_domain_user, "PATCH": api.update_domain_user},
        ),
        ("/v1/users", {"GET": api.list_users}),
        ("/v1/users/<oid:user_id>", {"GET": api.get_user, "PUT": api.update_user, "PATCH": api.update_user}),
        ("/v1/groups", {"GET": api.list_groups, "POST": api.create_group}),
        (
            "/v1/groups/<oid:group_id>",
            {
                "GET": api.get_group,
                "PUT": api.update_group,
                "PATCH": api.update_group,
                "DELETE": api.delete_group,
            },
        ),
        ("/v1/groups/<oid:group_id>/users", {"GET": api.list_group_users, "POST": api.add_group_user}),
        (
            "/v1/groups/<oid:group_id>/users/<oid:user_id>",
            {"GET": api.get_group_user, "DELETE": api.remove_group_user},
        ),
    )


def _hook_routes(api: _SkilljarApi) -> Sequence[tuple[str, Mapping[str, Handler]]]:
    return (
        ("/_emulator/state", {"GET": api.dump_state}),
        ("/_emulator/reset", {"POST": api.reset_state}),
        ("/_emulator/seed", {"POST": api.seed_state}),
        ("/_emulator/signup", {"POST": api.simulate_signup}),
    )


def _method_not_allowed(method: str, allowed: Sequence[str]) -> ApiError:
    return ApiError(405, {"detail": f'Method "{method}" not allowed.'}, {"Allow": ", ".join(allowed)})


def _view(
    store: SkilljarStore, handlers: Mapping[str, Handler], authenticator: Authenticator | None
) -> Handler:
    allowed = [*handlers, *(["HEAD"] if "GET" in handlers else [])]

    def view(**path_params: str) -> flask.Response:
        # As in DRF: credentials are checked before the method.
        if authenticator is not None:
            authenticator.check(flask.request.headers.get("Authorization"))
        method = "GET" if flask.request.method == "HEAD" else flask.request.method
        handler = handlers.get(method)
        if handler is None:
            raise _method_not_allowed(flask.request.method, allowed)
        with store.transaction():
            return handler(**path_params)

    return view


def _strip_trailing_slash(wsgi_app: Any) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if len(path) > 1 and path.endswith("/"):
            environ = {**environ, "PATH_INFO": path.rstrip("/") or "/"}
        return wsgi_app(environ, start_response)

    return app


def _register_error_handlers(app: flask.Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> flask.Response:
        return json_response(error.body, error.status, error.headers)

    @app.errorhandler(NotFound)
    def not_found(_: NotFound) -> flask.Response:
        return json_response({"detail": "Not found."}, 404)

    @app.errorhandler(MethodNotAllowed)
    def method_not_allowed(error: MethodNotAllowed) -> flask.Response:
        return json_response(
            {"detail": f'Method "{flask.request.method}" not allowed.'},
            405,
            {"Allow": ", ".join(error.valid_methods or [])},
        )

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> flask.Response:
        return json_response({"detail": error.description}, error.code or 500)


def _check_options(options: SkilljarEmulatorOptions) -> None:
    if options.bulk_create_status not in (200, 202):
        raise ValueError("bulk_create_status must be 200 or 202")
    for name in options.domains:
        if not _DOMAIN_NAME_PATTERN.fullmatch(name):
            raise ValueError(f"not a Skilljar domain name: {name!r}")


def create_app(
    state_path: str | os.PathLike[str],
    *,
    api_key: str | None = None,
    options: SkilljarEmulatorOptions = SkilljarEmulatorOptions(),
) -> flask.Flask:
    """The emulator as a WSGI app on the SQLite state at `state_path` (created if missing).

    `api_key=None` accepts any non-empty key. The store is reachable through `emulator_store(app)`,
    so whoever runs the app can close it.
    """
    _check_options(options)
    store = SkilljarStore(state_path)
    for domain_name in options.domains:
        store.ensure_domain(domain_name)
    api = _SkilljarApi(store, options)

    app = flask.Flask(__name__)
    app.url_map.converters["domain"] = _DomainNameConverter
    app.url_map.converters["oid"] = _ObjectIdConverter
    app.extensions[_STORE_EXTENSION] = store
    authenticator = Authenticator(api_key)
    for routes, auth in ((_routes(api), authenticator), (_hook_routes(api), None)):
        for rule, handlers in routes:
            app.add_url_rule(
                rule,
                endpoint=rule,
                view_func=_view(store, handlers, auth),
                methods=list(_HTTP_METHODS),
                provide_automatic_options=False,
            )
    _register_error_handlers(app)
    if options.accept_trailing_slash:
        app.wsgi_app = _strip_trailing_slash(app.wsgi_app)  # type: ignore[method-assign]
    return app


def emulator_store(app: flask.Flask) -> SkilljarStore:
    """The store behind an app made by `create_app`."""
    store = app.extensions[_STORE_EXTENSION]
    assert isinstance(store, SkilljarStore)
    return store
