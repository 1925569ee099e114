"""Domains, domain users (with bulk-create), global users, groups and group membership."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.skilljar.emulator.base_store import Slice, Window
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.domains import update_domain
from lmsform.providers.skilljar.emulator.errors import ValidationFailed, field_error, not_found
from lmsform.providers.skilljar.emulator.group_rules import check_category, linked_rule
from lmsform.providers.skilljar.emulator.lookups import require_domain, require_group
from lmsform.providers.skilljar.emulator.paging import decode_cursor, encode_cursor, link
from lmsform.providers.skilljar.emulator.people_store import (
    AccessCodeRecord,
    DomainRecord,
    DomainUserFilter,
    DomainUserRecord,
    GroupMemberRecord,
    GroupRecord,
    SignupFieldRecord,
    SignupValueRecord,
    UserFilter,
    UserRecord,
)
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    boolean,
    email,
    integer,
    list_of,
    many,
    nested,
    query_boolean,
    query_text,
    request_body,
    text,
    timestamp,
    validate_object,
)
from lmsform.providers.skilljar.emulator.shapes import read_only_user_json
from lmsform.providers.skilljar.emulator.store import SkilljarStore

DOMAINS_PAGE_SIZE = 100
DOMAIN_USERS_PAGE_SIZE = 1000
GROUPS_PAGE_SIZE = 1000
GROUP_USERS_PAGE_SIZE = 1000
USERS_PAGE_SIZE = 1000
BULK_CREATE_MAX_ROWS = 1000


SIGNUP_FIELDS_PAGE_SIZE = 100
ACCESS_CODE_POOLS_PAGE_SIZE = 100
ACCESS_CODES_PAGE_SIZE = 1000
_REFERENCE: Schema = {"id": Field(text(allow_blank=False), required=True)}


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
    "access_code": Field(nested(_REFERENCE), nullable=True),
}
SIGNUP_VALUE_SET: Schema = {
    "signup_field": Field(nested(_REFERENCE), required=True),
    "value": Field(text(allow_blank=False), required=True),
}
SIGNUP_VALUES_BULK: Schema = {
    "signup_fields": Field(
        many(
            {
                "id": Field(text(allow_blank=False), required=True),
                "value": Field(text(allow_blank=False), required=True),
            }
        ),
        required=True,
    ),
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
# PUT and PATCH are both partial (skilljar.md D15); rule_email_domains is read-only on update.
GROUP_UPDATE: Schema = {"name": Field(text(100, allow_blank=False)), **_GROUP_FIELDS}
GROUP_USER_CREATE: Schema = {
    "user": Field(nested({"id": Field(text(allow_blank=False), required=True)}), required=True),
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


def access_code_json(code: AccessCodeRecord) -> dict[str, Any]:
    return {"id": code.id, "code": code.code, "pool": {"id": code.pool_id, "name": code.pool_name}}


def domain_user_list_item_json(membership: DomainUserRecord) -> dict[str, Any]:
    # Without a code, `access_code` is left out rather than null: the spec's schemas (an `allOf` of
    # the non-nullable AccessCode) reject null, though the older reference's example shows it.
    item = {
        "user": user_json(membership.user),
        "active": membership.active,
        "marketing_optin": membership.marketing_optin,
        "enrolled_at": membership.enrolled_at,
        "expires_at": membership.expires_at,
    }
    if membership.access_code is not None:
        item["access_code"] = access_code_json(membership.access_code)
    return item


def signup_value_json(value: SignupValueRecord) -> dict[str, Any]:
    return {"signup_field": {"id": value.field.id, "label": value.field.label}, "value": value.value}


def domain_user_detail_json(membership: DomainUserRecord) -> dict[str, Any]:
    """DomainUserCreate, DomainUserDetail and DomainUserUpdate (no SSO domains, so no `login_token`)."""
    values = [signup_value_json(value) for value in membership.signup_values]
    return {**domain_user_list_item_json(membership), "signup_fields": values}


def signup_field_json(field: SignupFieldRecord) -> dict[str, Any]:
    return {
        "id": field.id,
        "type": field.type,
        "label": field.label,
        "required": field.required,
        "active": field.active,
        "order": field.order,
        "options": field.options,
    }


def access_code_pool_json(pool: tuple[str, str, bool]) -> dict[str, Any]:
    return {"id": pool[0], "name": pool[1], "active": pool[2]}


def access_code_item_json(code: AccessCodeRecord) -> dict[str, Any]:
    return {"id": code.id, "code": code.code, "active": code.active}


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


# --- rules shared with the test hooks ---------------------------------------------------------------


def sign_up_field_rule(clean: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored (and answered) rule; an unset rule enforces nothing and has no options."""
    clean = clean or {"options": []}
    return {
        "enforce": clean.get("enforce", False),
        "require_match_all": clean.get("require_match_all", False),
        "options": [{"id": option["id"]} for option in clean["options"]],
    }


@dataclass(frozen=True)
class Join:
    """What it takes to put an e-mail address on a domain (single create, bulk row, seed, signup)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    active: bool = True
    marketing_optin: bool | None = None
    expires_at: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Join:
        return cls(
            email=row["email"],
            first_name=row.get("first_name", ""),
            last_name=row.get("last_name", ""),
            active=row.get("active", True),
            marketing_optin=row.get("marketing_optin"),
            expires_at=row.get("expires_at"),
        )


def join_domain(store: SkilljarStore, domain_name: str, join: Join) -> DomainUserRecord:
    """Single-create semantics (skilljar.md Users, D4, D11): names of a known user are never changed."""
    user = store.find_user_by_email(join.email) or store.create_user(
        join.email, join.first_name, join.last_name
    )
    existing = store.get_domain_user(domain_name, user.id)
    if existing is not None:
        return existing
    return store.create_domain_user(
        domain_name,
        user.id,
        active=join.active,
        marketing_optin=join.marketing_optin,
        expires_at=join.expires_at,
    )


def join_all(store: SkilljarStore, domain_name: str, joins: Sequence[Join]) -> list[DomainUserRecord]:
    with store.transaction():
        return [join_domain(store, domain_name, join) for join in joins]


# --- the API ----------------------------------------------------------------------------------------


class PeopleApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/v1/ping", {"GET": self.ping}),
            ("/v1/domains", {"GET": self.list_domains}),
            (
                "/v1/domains/<domain:domain_name>",
                {"GET": self.get_domain, "PUT": self.update_domain, "PATCH": self.update_domain},
            ),
            (
                "/v1/domains/<domain:domain_name>/users",
                {"GET": self.list_domain_users, "POST": self.create_domain_user},
            ),
            ("/v1/domains/<domain:domain_name>/users/bulk-create", {"POST": self.bulk_create_domain_users}),
            (
                "/v1/domains/<domain:domain_name>/users/<oid:user_id>",
                {
                    "GET": self.get_domain_user,
                    "PUT": self.update_domain_user,
                    "PATCH": self.update_domain_user,
                },
            ),
            (
                "/v1/domains/<domain:domain_name>/users/<oid:user_id>/signup-fields",
                {"GET": self.list_signup_values, "POST": self.set_signup_value},
            ),
            (
                "/v1/domains/<domain:domain_name>/users/<oid:user_id>/signup-fields-bulk",
                {"POST": self.set_signup_values},
            ),
            (
                "/v1/domains/<domain:domain_name>/users/<oid:user_id>/signup-fields/<oid:signup_field_id>",
                {"GET": self.get_signup_value},
            ),
            ("/v1/domains/<domain:domain_name>/signup-fields", {"GET": self.list_signup_fields}),
            ("/v1/domains/<domain:domain_name>/access-code-pools", {"GET": self.list_access_code_pools}),
            (
                "/v1/domains/<domain:domain_name>/access-code-pools/<oid:pool_id>/access-codes",
                {"GET": self.list_access_codes},
            ),
            ("/v1/users", {"GET": self.list_users}),
            (
                "/v1/users/<oid:user_id>",
                {"GET": self.get_user, "PUT": self.update_user, "PATCH": self.update_user},
            ),
            ("/v1/groups", {"GET": self.list_groups, "POST": self.create_group}),
            (
                "/v1/groups/<oid:group_id>",
                {
                    "GET": self.get_group,
                    "PUT": self.update_group,
                    "PATCH": self.update_group,
                    "DELETE": self.delete_group,
                },
            ),
            ("/v1/groups/<oid:group_id>/users", {"GET": self.list_group_users, "POST": self.add_group_user}),
            (
                "/v1/groups/<oid:group_id>/users/<oid:user_id>",
                {"GET": self.get_group_user, "DELETE": self.remove_group_user},
            ),
        )

    # --- ping and domains --------------------------------------------------------------------------

    def ping(self) -> flask.Response:
        return empty_response(200)

    def list_domains(self) -> flask.Response:
        page = self.pager.requested_page(DOMAINS_PAGE_SIZE, size_param=False)
        return json_response(self.pager.envelope(page, self.store.list_domains(page.window), domain_json))

    def get_domain(self, domain_name: str) -> flask.Response:
        return json_response(domain_json(require_domain(self.store, domain_name)))

    def update_domain(self, domain_name: str) -> flask.Response:
        return json_response(domain_json(update_domain(self.store, domain_name)))

    # --- domain users ------------------------------------------------------------------------------

    def list_domain_users(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        filters = DomainUserFilter(
            email=query_text("user__email"),
            first_name=query_text("user__first_name"),
            last_name=query_text("user__last_name"),
            active=query_boolean("active"),
            without_access_code=self._without_access_code(),
            access_code=query_text("access_code__code"),
            access_code_id=query_text("access_code__id"),
            access_code_pool_id=query_text("access_code__pool__id"),
            signup_field_id=query_text("signup_field_id"),
            signup_field_label=query_text("signup_field_label"),
            signup_field_value=query_text("signup_field_value"),
        )
        render = domain_user_list_item_json
        if query_boolean("include_signup_field_data"):
            render = domain_user_detail_json
        page = self.pager.requested_page(DOMAIN_USERS_PAGE_SIZE)
        rows = self.store.list_domain_users(domain.name, filters, page.window)
        return json_response(self.pager.envelope(page, rows, render))

    @staticmethod
    def _without_access_code() -> bool:
        access_code = query_text("access_code")
        if access_code is not None and access_code != "null":
            raise field_error("access_code", 'Only the value "null" is accepted.')
        return access_code == "null"

    def create_domain_user(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        clean = validate_object(request_body(), DOMAIN_USER_CREATE)
        join = Join.from_row({**clean, **clean["user"]})
        return json_response(domain_user_detail_json(join_domain(self.store, domain.name, join)), 201)

    def bulk_create_domain_users(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        rows = validate_object(request_body(), BULK_CREATE)["users"]
        joins = [Join.from_row(row) for row in rows]
        if self.options.bulk_create_delay_s > 0:
            self.jobs.later(
                self.options.bulk_create_delay_s, lambda: join_all(self.store, domain.name, joins)
            )
            return json_response({}, 202)
        memberships = join_all(self.store, domain.name, joins)
        if self.options.bulk_create_status == 200:
            return json_response(domain_user_detail_json(memberships[0]), 200)
        return json_response({}, self.options.bulk_create_status)

    def _domain_user(self, domain_name: str, user_id: str) -> DomainUserRecord:
        membership = self.store.get_domain_user(require_domain(self.store, domain_name).name, user_id)
        if membership is None:
            raise not_found()
        return membership

    def get_domain_user(self, domain_name: str, user_id: str) -> flask.Response:
        return json_response(domain_user_detail_json(self._domain_user(domain_name, user_id)))

    def update_domain_user(self, domain_name: str, user_id: str) -> flask.Response:
        self._domain_user(domain_name, user_id)
        changes = validate_object(request_body(), DOMAIN_USER_UPDATE)
        with self.store.transaction():
            if "access_code" in changes:
                reference = changes.pop("access_code")
                code_id = None if reference is None else self._access_code_id(domain_name, reference["id"])
                self.store.set_access_code(domain_name, user_id, code_id)
            updated = read_back(self.store.update_domain_user(domain_name, user_id, changes))
        return json_response(domain_user_detail_json(updated))

    def _access_code_id(self, domain_name: str, code_id: str) -> str:
        """An access code of one of this domain's pools (skilljar.md D52)."""
        code = self.store.get_access_code(code_id.lower())
        pools = {pool[0] for pool in self.store.list_access_code_pools(domain_name).items}
        if code is None or code.pool_id not in pools:
            raise ValidationFailed({"access_code": {"id": ["Invalid access code id."]}})
        return code.id

    # --- sign-up fields and their values (skilljar.md Attributes, D51) -----------------------------

    def list_signup_fields(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        page = self.pager.requested_page(SIGNUP_FIELDS_PAGE_SIZE, size_param=False)
        rows = self.store.list_signup_fields(domain.name, page.window)
        return json_response(self.pager.envelope(page, rows, signup_field_json))

    def list_signup_values(self, domain_name: str, user_id: str) -> flask.Response:
        membership = self._domain_user(domain_name, user_id)
        page = self.pager.requested_page(SIGNUP_FIELDS_PAGE_SIZE, size_param=False)
        values = list(membership.signup_values)
        end = None if page.window.limit is None else page.window.offset + page.window.limit
        rows = Slice(len(values), values[page.window.offset : end])
        return json_response(self.pager.envelope(page, rows, signup_value_json))

    def get_signup_value(self, domain_name: str, user_id: str, signup_field_id: str) -> flask.Response:
        membership = self._domain_user(domain_name, user_id)
        for value in membership.signup_values:
            if value.field.id == signup_field_id:
                return json_response(signup_value_json(value))
        raise not_found()

    def set_signup_value(self, domain_name: str, user_id: str) -> flask.Response:
        self._domain_user(domain_name, user_id)
        clean = validate_object(request_body(), SIGNUP_VALUE_SET)
        field_id = clean["signup_field"]["id"]
        self._check_signup_values(domain_name, {field_id: clean["value"]}, "signup_field")
        self.store.set_signup_values(domain_name, user_id, {field_id: clean["value"]})
        stored = self._domain_user(domain_name, user_id).signup_values
        return json_response(
            next(signup_value_json(value) for value in stored if value.field.id == field_id), 201
        )

    def set_signup_values(self, domain_name: str, user_id: str) -> flask.Response:
        self._domain_user(domain_name, user_id)
        rows = validate_object(request_body(), SIGNUP_VALUES_BULK)["signup_fields"]
        values = {row["id"]: row["value"] for row in rows}
        self._check_signup_values(domain_name, values, "signup_fields")
        changed = set(self.store.set_signup_values(domain_name, user_id, values))
        stored = self._domain_user(domain_name, user_id).signup_values
        results = [
            {"signup_field": {"id": value.field.id, "label": value.field.label}, "value": value.value}
            for value in stored
            if value.field.id in changed
        ]
        response = json_response({"results": results}, 201)
        response.headers["Location"] = flask.url_for(
            flask.request.endpoint or "", domain_name=domain_name, user_id=user_id
        ).removesuffix("-bulk")
        return response

    def _check_signup_values(self, domain_name: str, values: Mapping[str, str], where: str) -> None:
        """Each field must be one of the domain's; a pick-list takes one of its options, a checkbox
        true or false (skilljar.md D51)."""
        problems: dict[str, list[str]] = {}
        for field_id, value in values.items():
            field = self.store.get_signup_field(domain_name, field_id.lower())
            if field is None:
                problems[field_id] = ["Invalid signup field id."]
            elif field.type == "PICKLIST" and value not in {option["value"] for option in field.options}:
                problems[field_id] = [f'"{value}" is not a valid choice.']
            elif field.type == "CHECKBOX" and value not in ("true", "false"):
                problems[field_id] = ['Must be "true" or "false".']
        if problems:
            raise ValidationFailed({where: problems})

    # --- access codes (read here; the codes' own writes are not emulated) --------------------------

    def list_access_code_pools(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        page = self.pager.requested_page(ACCESS_CODE_POOLS_PAGE_SIZE, size_param=False)
        rows = self.store.list_access_code_pools(domain.name, page.window)
        name = query_text("name")
        if name is not None:
            matching = [
                pool for pool in self.store.list_access_code_pools(domain.name).items if pool[1] == name
            ]
            rows = Slice(len(matching), matching)
        return json_response(self.pager.envelope(page, rows, access_code_pool_json))

    def list_access_codes(self, domain_name: str, pool_id: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        if pool_id not in {pool[0] for pool in self.store.list_access_code_pools(domain.name).items}:
            raise not_found()
        page = self.pager.requested_page(ACCESS_CODES_PAGE_SIZE)
        rows = self.store.list_access_codes(pool_id, page.window)
        return json_response(self.pager.envelope(page, rows, access_code_item_json))

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
        updated = read_back(self.store.update_user(user_id, changes))
        return json_response(user_update_json(updated))

    def _ensure_unique_email(self, email_address: str, user_id: str) -> None:
        other = self.store.find_user_by_email(email_address)
        if other is not None and other.id != user_id:
            raise field_error("email", "user with this email address already exists.")

    # --- groups --------------------------------------------------------------------------------------

    def list_groups(self) -> flask.Response:
        page = self.pager.requested_page(GROUPS_PAGE_SIZE)
        rows = self.store.list_groups(query_text("name"), page.window)
        return json_response(self.pager.envelope(page, rows, group_json))

    def create_group(self) -> flask.Response:
        clean = validate_object(request_body(), GROUP_CREATE)
        self._ensure_unique_group_name(clean["name"])
        check_category(self.store, clean.get("group_category_id"))
        group = self.store.create_group(
            clean["name"],
            discount_percent=clean.get("discount_percent"),
            group_category_id=clean.get("group_category_id"),
            sign_up_field_rule=linked_rule(self.store, sign_up_field_rule(clean.get("sign_up_field_rule"))),
            # E-mail domains are compared case-insensitively, so they are kept lower-cased.
            rule_email_domains=[domain.lower() for domain in clean.get("rule_email_domains", [])],
        )
        return json_response(group_json(group), 201)

    def get_group(self, group_id: str) -> flask.Response:
        return json_response(group_json(require_group(self.store, group_id)))

    def update_group(self, group_id: str) -> flask.Response:
        require_group(self.store, group_id)
        changes = validate_object(request_body(), GROUP_UPDATE)
        if "name" in changes:
            self._ensure_unique_group_name(changes["name"], group_id)
        check_category(self.store, changes.get("group_category_id"))
        if "sign_up_field_rule" in changes:
            rule = sign_up_field_rule(changes["sign_up_field_rule"])
            changes["sign_up_field_rule"] = linked_rule(self.store, rule)
        updated = read_back(self.store.update_group(group_id, changes))
        return json_response(group_json(updated))

    def delete_group(self, group_id: str) -> flask.Response:
        if not self.store.delete_group(group_id):
            raise not_found()
        return empty_response(204)

    def _ensure_unique_group_name(self, name: str, group_id: str | None = None) -> None:
        other = self.store.find_group_by_name(name)
        if other is not None and other.id != group_id:
            raise field_error("name", "group with this name already exists.")

    # --- group membership ----------------------------------------------------------------------------

    def list_group_users(self, group_id: str) -> flask.Response:
        group = require_group(self.store, group_id)
        page = self.pager.requested_page(GROUP_USERS_PAGE_SIZE)
        rows = self.store.list_group_members(group.id, page.window)
        return json_response(self.pager.envelope(page, rows, group_user_json))

    def add_group_user(self, group_id: str) -> flask.Response:
        group = require_group(self.store, group_id)
        user_id = validate_object(request_body(), GROUP_USER_CREATE)["user"]["id"]
        if self.store.get_user(user_id) is None:
            raise field_error("user", "Invalid user id.")
        if self.store.get_group_member(group.id, user_id) is not None:
            raise field_error("non_field_errors", "User is already a member of this group.")
        return json_response(group_user_json(self.store.add_group_member(group.id, user_id)), 201)

    def get_group_user(self, group_id: str, user_id: str) -> flask.Response:
        member = self.store.get_group_member(require_group(self.store, group_id).id, user_id)
        if member is None:
            raise not_found()
        return json_response(group_user_json(member))

    def remove_group_user(self, group_id: str, user_id: str) -> flask.Response:
        if not self.store.remove_group_member(require_group(self.store, group_id).id, user_id):
            raise not_found()
        return empty_response(204)
