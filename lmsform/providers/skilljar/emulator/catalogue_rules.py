"""Catalogue tags (`/v1/tags`), a published course's rules: prerequisites, group prerequisites,
visibility overrides, tags and the re-enrollment rule (skilljar.md D70 to D74), and a published path's
tags and visibility overrides, which answer as a course's do (skilljar.md D85)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.skilljar.emulator.catalogue_rule_store import (
    COURSE_RULES,
    PATH_RULES,
    GroupRuleRecord,
    ReenrollmentRecord,
    RuleTables,
    TagRecord,
)
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.errors import field_error, not_found
from lmsform.providers.skilljar.emulator.lookups import require_domain
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    boolean,
    choice,
    integer,
    nested,
    request_body,
    text,
    timestamp,
    validate_object,
)
from lmsform.providers.skilljar.emulator.slugs import slug_from

TAGS_PAGE_SIZE = 1000  # the spec: "1000 results per page"
RULES_PAGE_SIZE = 100  # skilljar.md D70
_PUBLISHED = "/v1/domains/<domain:domain_name>/published-courses/<oid:published_course_id>"
_PUBLISHED_PATH = "/v1/domains/<domain:domain_name>/published-paths/<oid:published_path_id>"
_ID: Schema = {"id": Field(text(allow_blank=False), required=True)}
TAG_CREATE: Schema = {"name": Field(text(255, allow_blank=False), required=True)}
TAG_UPDATE: Schema = {"name": Field(text(255, allow_blank=False))}
PREREQUISITE_CREATE: Schema = {"published_course": Field(nested(_ID), required=True)}
PUBLICATION_TAG_CREATE: Schema = {"tag": Field(nested(_ID), required=True)}
GROUP_PREREQUISITE_CREATE: Schema = {"student_group": Field(nested(_ID), required=True)}
VISIBILITY_CREATE: Schema = {
    "student_group": Field(nested(_ID), required=True),
    "is_visible": Field(boolean(), required=True),
}
REENROLLMENT_UPDATE: Schema = {
    "starts_at": Field(timestamp()),
    "cycle_duration": Field(integer(minimum=1)),
    "cycle_duration_unit": Field(choice(("MONTHS", "DAYS"))),
}
REENROLLMENT_CREATE: Schema = {
    **REENROLLMENT_UPDATE,
    "starts_at": Field(timestamp(), required=True),
    "cycle_duration": Field(integer(minimum=1), required=True),
}
_VISIBILITY = "visibility-overrides"


@dataclass(frozen=True)
class _Parent:
    """What carries tags and group rules: its route, the URL parameter that names one, the tables of
    its rules, its group-rule lists (URL segment → table) and what an answer calls it."""

    route: str
    id_param: str
    tables: RuleTables
    group_rules: Mapping[str, str]
    noun: str


_COURSE = _Parent(
    _PUBLISHED,
    "published_course_id",
    COURSE_RULES,
    {"student-group-prerequisites": "group_prerequisites", _VISIBILITY: COURSE_RULES.visibility_overrides},
    "published course",
)
# A published path has tags and visibility overrides only (skilljar.md D85).
_PATH = _Parent(
    _PUBLISHED_PATH,
    "published_path_id",
    PATH_RULES,
    {_VISIBILITY: PATH_RULES.visibility_overrides},
    "published path",
)


def tag_json(tag: TagRecord) -> dict[str, Any]:
    return {"id": tag.id, "name": tag.name, "slug": tag.slug}


def _group_rule_json(rule: GroupRuleRecord, *, visibility: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {"student_group": {"id": rule.group_id, "name": rule.group_name}}
    if visibility:
        shown["is_visible"] = rule.is_visible
    return shown


def reenrollment_json(rule: ReenrollmentRecord) -> dict[str, Any]:
    # The next run is the start until a cycle has run; the emulator runs no cycles (D72).
    return {
        "id": rule.id,
        "starts_at": rule.starts_at,
        "next_run_at": rule.starts_at,
        "cycle_duration": rule.cycle_duration,
        "cycle_duration_unit": rule.cycle_duration_unit,
    }


def _check_start(value: str) -> None:
    """The spec: "Must be in the future and at the top of the hour"."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.minute or moment.second or moment.microsecond:
        raise field_error("starts_at", "Must be at the top of the hour.")
    if moment <= datetime.now(UTC):
        raise field_error("starts_at", "Must be in the future.")


class CatalogueRuleApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/v1/tags", {"GET": self.list_tags, "POST": self.create_tag}),
            (
                "/v1/tags/<oid:tag_id>",
                {
                    "GET": self.get_tag,
                    "PUT": self.update_tag,
                    "PATCH": self.update_tag,
                    "DELETE": self.delete_tag,
                },
            ),
            (
                f"{_PUBLISHED}/published-course-prerequisites",
                {"GET": self.list_prerequisites, "POST": self.add_prerequisite},
            ),
            (
                f"{_PUBLISHED}/published-course-prerequisites/<oid:prerequisite_published_course_id>",
                {"DELETE": self.remove_prerequisite},
            ),
            (
                f"{_PUBLISHED}/reenrollment_rule",
                {
                    "GET": self.get_reenrollment_rule,
                    "POST": self.create_reenrollment_rule,
                    "PUT": self.update_reenrollment_rule,
                    "PATCH": self.update_reenrollment_rule,
                    "DELETE": self.delete_reenrollment_rule,
                },
            ),
            *(route for parent in (_COURSE, _PATH) for route in self._parent_routes(parent)),
        )

    def _parent_routes(self, parent: _Parent) -> Routes:
        """The tags and group-rule lists of one kind of parent, each list and its items."""
        tags = (
            (
                f"{parent.route}/tags",
                {"GET": self._bound(self.list_tags_of, parent), "POST": self._bound(self.add_tag_to, parent)},
            ),
            (
                f"{parent.route}/tags/<oid:tag_id>",
                {
                    "GET": self._bound(self.get_tag_of, parent),
                    "DELETE": self._bound(self.remove_tag_from, parent),
                },
            ),
        )
        groups = tuple(
            route
            for segment in parent.group_rules
            for route in (
                (
                    f"{parent.route}/{segment}",
                    {
                        "GET": self._bound(self.list_group_rules, parent, segment),
                        "POST": self._bound(self.add_group_rule, parent, segment),
                    },
                ),
                (
                    f"{parent.route}/{segment}/<oid:student_group_id>",
                    {
                        "GET": self._bound(self.get_group_rule, parent, segment),
                        "DELETE": self._bound(self.remove_group_rule, parent, segment),
                    },
                ),
            )
        )
        return (*tags, *groups)

    def _bound(self, handler: Callable[..., flask.Response], parent: _Parent, *extra: str) -> Any:
        """The handler, given the parent the URL names (404 when the domain has none) and `extra`."""

        def bound(domain_name: str, **params: str) -> flask.Response:
            parent_id = self._holder(parent, domain_name, params.pop(parent.id_param))
            return handler(parent, *extra, parent_id, **params)

        return bound

    def _holder(self, parent: _Parent, domain_name: str, parent_id: str) -> str:
        domain = require_domain(self.store, domain_name)
        found = (
            self.store.get_published_course(domain.name, parent_id)
            if parent is _COURSE
            else self.store.get_published_path(domain.name, parent_id)
        )
        if found is None:
            raise not_found()
        return parent_id

    def _publication(self, domain_name: str, published_course_id: str) -> str:
        domain = require_domain(self.store, domain_name)
        if self.store.get_published_course(domain.name, published_course_id) is None:
            raise not_found()
        return published_course_id

    # --- tags ----------------------------------------------------------------------------------

    def _tag(self, tag_id: str) -> TagRecord:
        tag = self.store.get_tag(tag_id)
        if tag is None:
            raise not_found()
        return tag

    def list_tags(self) -> flask.Response:
        page = self.pager.requested_page(TAGS_PAGE_SIZE)
        return json_response(self.pager.envelope(page, self.store.list_tags(page.window), tag_json))

    def create_tag(self) -> flask.Response:
        name = validate_object(request_body(), TAG_CREATE)["name"]
        if self.store.tag_named(name):
            raise field_error("name", "tag with this name already exists.")
        return json_response(tag_json(self.store.create_tag(name, slug_from(name, fallback="tag"))), 201)

    def get_tag(self, tag_id: str) -> flask.Response:
        return json_response(tag_json(self._tag(tag_id)))

    def update_tag(self, tag_id: str) -> flask.Response:
        tag = self._tag(tag_id)
        name = validate_object(request_body(), TAG_UPDATE).get("name")
        if name is not None:
            if self.store.tag_named(name, other_than=tag.id):
                raise field_error("name", "tag with this name already exists.")
            self.store.rename_tag(tag.id, name, slug_from(name, fallback="tag"))
        return json_response(tag_json(self._tag(tag_id)))

    def delete_tag(self, tag_id: str) -> flask.Response:
        if not self.store.delete_tag(tag_id):
            raise not_found()
        return empty_response(204)

    # --- a publication's or a path's tags ---------------------------------------------------------

    def list_tags_of(self, parent: _Parent, parent_id: str) -> flask.Response:
        page = self.pager.requested_page(RULES_PAGE_SIZE)
        rows = self.store.tags_of(parent.tables, parent_id, page.window)
        return json_response(self.pager.envelope(page, rows, lambda tag: {"tag": tag_json(tag)}))

    def add_tag_to(self, parent: _Parent, parent_id: str) -> flask.Response:
        tag_id = validate_object(request_body(), PUBLICATION_TAG_CREATE)["tag"]["id"]
        tag = self.store.get_tag(tag_id)
        if tag is None:
            raise field_error("tag", "Invalid tag id.")
        tables = parent.tables
        if not self.store.add_link(tables.tags, "tag_id", parent_id, tag.id, tables.column):
            raise field_error("non_field_errors", f"The tag is on this {parent.noun} already.")
        return json_response({"tag": tag_json(tag)}, 201)

    def get_tag_of(self, parent: _Parent, parent_id: str, tag_id: str) -> flask.Response:
        found = next(
            (tag for tag in self.store.tags_of(parent.tables, parent_id).items if tag.id == tag_id), None
        )
        if found is None:
            raise not_found()
        return json_response({"tag": tag_json(found)})

    def remove_tag_from(self, parent: _Parent, parent_id: str, tag_id: str) -> flask.Response:
        tables = parent.tables
        if not self.store.remove_link(tables.tags, "tag_id", parent_id, tag_id, tables.column):
            raise not_found()
        return empty_response(204)

    # --- prerequisites -------------------------------------------------------------------------

    def list_prerequisites(self, domain_name: str, published_course_id: str) -> flask.Response:
        publication = self._publication(domain_name, published_course_id)
        page = self.pager.requested_page(RULES_PAGE_SIZE, size_param=False)
        rows = self.store.prerequisites(publication, page.window)
        return json_response(
            self.pager.envelope(page, rows, lambda other: {"published_course": {"id": other}})
        )

    def add_prerequisite(self, domain_name: str, published_course_id: str) -> flask.Response:
        publication = self._publication(domain_name, published_course_id)
        other = validate_object(request_body(), PREREQUISITE_CREATE)["published_course"]["id"]
        if other == publication or self.store.get_published_course(domain_name, other) is None:
            raise field_error("published_course", "Invalid published course id.")
        if not self.store.add_link("published_course_prerequisites", "prerequisite_id", publication, other):
            raise field_error("non_field_errors", "The course is a prerequisite already.")
        return json_response({"published_course": {"id": other}}, 201)

    def remove_prerequisite(
        self, domain_name: str, published_course_id: str, prerequisite_published_course_id: str
    ) -> flask.Response:
        publication = self._publication(domain_name, published_course_id)
        other = prerequisite_published_course_id
        if not self.store.remove_link(
            "published_course_prerequisites", "prerequisite_id", publication, other
        ):
            raise not_found()
        return empty_response(204)

    # --- group prerequisites and visibility overrides -------------------------------------------

    def list_group_rules(self, parent: _Parent, segment: str, parent_id: str) -> flask.Response:
        page = self.pager.requested_page(RULES_PAGE_SIZE)
        table = parent.group_rules[segment]
        rows = self.store.group_rules(table, parent_id, page.window, parent=parent.tables.column)
        visibility = segment == _VISIBILITY
        return json_response(
            self.pager.envelope(page, rows, lambda rule: _group_rule_json(rule, visibility=visibility))
        )

    def add_group_rule(self, parent: _Parent, segment: str, parent_id: str) -> flask.Response:
        visibility = segment == _VISIBILITY
        clean = validate_object(
            request_body(), VISIBILITY_CREATE if visibility else GROUP_PREREQUISITE_CREATE
        )
        group = self.store.get_group(clean["student_group"]["id"])
        if group is None:
            raise field_error("student_group", "Invalid student group id.")
        is_visible = clean["is_visible"] if visibility else None
        table = parent.group_rules[segment]
        if not self.store.add_group_rule(table, parent_id, group.id, is_visible, parent.tables.column):
            raise field_error("non_field_errors", f"The group has this rule on this {parent.noun} already.")
        rule = GroupRuleRecord(group.id, group.name, bool(is_visible))
        return json_response(_group_rule_json(rule, visibility=visibility), 201)

    def get_group_rule(
        self, parent: _Parent, segment: str, parent_id: str, student_group_id: str
    ) -> flask.Response:
        table = parent.group_rules[segment]
        rows = self.store.group_rules(
            table, parent_id, group_id=student_group_id, parent=parent.tables.column
        ).items
        if not rows:
            raise not_found()
        return json_response(_group_rule_json(rows[0], visibility=segment == _VISIBILITY))

    def remove_group_rule(
        self, parent: _Parent, segment: str, parent_id: str, student_group_id: str
    ) -> flask.Response:
        table = parent.group_rules[segment]
        if not self.store.remove_group_rule(table, parent_id, student_group_id, parent.tables.column):
            raise not_found()
        return empty_response(204)

    # --- the re-enrollment rule ------------------------------------------------------------------

    def _rule(self, publication: str) -> ReenrollmentRecord:
        rule = self.store.get_reenrollment_rule(publication)
        if rule is None:
            raise not_found()
        return rule

    def get_reenrollment_rule(self, domain_name: str, published_course_id: str) -> flask.Response:
        return json_response(
            reenrollment_json(self._rule(self._publication(domain_name, published_course_id)))
        )

    def create_reenrollment_rule(self, domain_name: str, published_course_id: str) -> flask.Response:
        publication = self._publication(domain_name, published_course_id)
        clean = validate_object(request_body(), REENROLLMENT_CREATE)
        _check_start(clean["starts_at"])
        if self.store.get_reenrollment_rule(publication) is not None:
            raise field_error("non_field_errors", "The published course has a reenrollment rule already.")
        self.store.create_reenrollment_rule(publication, {"cycle_duration_unit": "MONTHS", **clean})
        return json_response(reenrollment_json(self._rule(publication)), 200)

    def update_reenrollment_rule(self, domain_name: str, published_course_id: str) -> flask.Response:
        publication = self._publication(domain_name, published_course_id)
        self._rule(publication)
        changes = validate_object(request_body(), REENROLLMENT_UPDATE)
        if "starts_at" in changes:
            _check_start(changes["starts_at"])
        self.store.update_reenrollment_rule(publication, changes)
        return json_response(reenrollment_json(self._rule(publication)))

    def delete_reenrollment_rule(self, domain_name: str, published_course_id: str) -> flask.Response:
        publication = self._publication(domain_name, published_course_id)
        if not self.store.delete_reenrollment_rule(publication):
            raise not_found()
        return empty_response(204)
