"""What a domain offers: published courses, published paths and plans (skilljar.md Publications, D22)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.skilljar.emulator.base_store import Slice
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.errors import field_error, not_found
from lmsform.providers.skilljar.emulator.lookups import require_domain
from lmsform.providers.skilljar.emulator.publication_store import (
    CourseSummary,
    PathRecord,
    PlanRecord,
    PublishedCourseRecord,
    PublishedPathRecord,
)
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    boolean,
    matching,
    nested,
    query_text,
    request_body,
    text,
    timestamp,
    validate_object,
)
from lmsform.providers.skilljar.emulator.shapes import domain_url, offer_json
from lmsform.providers.skilljar.emulator.slugs import (
    COURSE_SLUG_PATTERN,
    SLUG_MAX_LENGTH,
    SLUG_PATTERN,
    course_slug_from,
)
from lmsform.providers.skilljar.emulator.store import SkilljarStore

PUBLISHED_COURSES_PAGE_SIZE = 100
PUBLISHED_PATHS_PAGE_SIZE = 100
PLANS_PAGE_SIZE = 100

# PUT and PATCH are both partial (skilljar.md D15). The dates are not nullable in the spec, so once set they
# can be moved but not cleared.
PUBLISHED_COURSE_UPDATE: Schema = {
    "slug": Field(matching(COURSE_SLUG_PATTERN, SLUG_MAX_LENGTH)),
    "hidden": Field(boolean()),
    "strict_enforce_group_visibility": Field(boolean()),
    "registration_required": Field(boolean()),
    "registration_starts_at": Field(timestamp()),
    "registration_ends_at": Field(timestamp()),
    "restrict_access_start_end_dates": Field(boolean()),
    "allow_self_service_reenroll": Field(boolean()),
    "unique_progress_per_enrollment": Field(boolean()),
    "require_all_prerequisites": Field(boolean()),
}
PUBLISHED_COURSE_CREATE: Schema = {
    "course": Field(nested({"id": Field(text(allow_blank=False), required=True)}), required=True),
    **PUBLISHED_COURSE_UPDATE,
}
PATH_CREATE: Schema = {
    "title": Field(text(500, allow_blank=False), required=True),
    "short_description": Field(text(300)),
    "long_description_html": Field(text(100_000)),
    "header_html": Field(text(100_000)),
    "course_name_singular": Field(text(50, allow_blank=False)),
    "course_name_plural": Field(text(50, allow_blank=False)),
}
PUBLISHED_PATH_UPDATE: Schema = {
    "slug": Field(matching(SLUG_PATTERN, SLUG_MAX_LENGTH)),
    "hidden": Field(boolean()),
    "strict_enforce_group_visibility": Field(boolean()),
    "unique_progress_per_enrollment": Field(boolean()),
}
PUBLISHED_PATH_CREATE: Schema = {
    **PUBLISHED_PATH_UPDATE,
    "slug": Field(matching(SLUG_PATTERN, SLUG_MAX_LENGTH), required=True),
    "path": Field(nested(PATH_CREATE), required=True),
}


# --- response shapes ----------------------------------------------------------------------------------


def course_summary_json(course: CourseSummary) -> dict[str, Any]:
    """CourseSummary; the emulator's courses have no lessons."""
    return {"id": course.id, "title": course.title, "lesson_count": 0, "required_lesson_count": 0}


def course_detail_json(course: CourseSummary) -> dict[str, Any]:
    return {
        **course_summary_json(course),
        "short_description": course.short_description,
        "long_description_html": course.long_description_html,
    }


def published_course_json(publication: PublishedCourseRecord) -> dict[str, Any]:
    """PublishedCourse and PublishedCourseCreate."""
    return {
        "id": publication.id,
        "course": course_summary_json(publication.course),
        **_settings_json(publication),
    }


def published_course_detail_json(publication: PublishedCourseRecord) -> dict[str, Any]:
    return {
        "id": publication.id,
        "course": course_detail_json(publication.course),
        **_settings_json(publication),
    }


def _settings_json(publication: PublishedCourseRecord) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "slug": publication.slug,
        "course_url": domain_url(publication.domain_name, publication.slug),
        "hidden": publication.hidden,
        "strict_enforce_group_visibility": publication.strict_enforce_group_visibility,
        "registration_required": publication.registration_required,
        "restrict_access_start_end_dates": publication.restrict_access_start_end_dates,
        "allow_self_service_reenroll": publication.allow_self_service_reenroll,
        "unique_progress_per_enrollment": publication.unique_progress_per_enrollment,
        "require_all_prerequisites": publication.require_all_prerequisites,
        "timezone": None,
        "offer": offer_json(publication.domain_name, publication.offer_id),
    }
    # Unset dates are left out: the spec's date-times here are not nullable.
    for name in ("registration_starts_at", "registration_ends_at"):
        value = getattr(publication, name)
        if value is not None:
            settings[name] = value
    return settings


def path_json(path: PathRecord, item_count: int = 0) -> dict[str, Any]:
    """CreatePath and Path."""
    return {
        "id": path.id,
        "title": path.title,
        "promo_image_url": "",
        "short_description": path.short_description,
        "long_description_html": path.long_description_html,
        "header_html": path.header_html,
        "course_name_singular": path.course_name_singular,
        "course_name_plural": path.course_name_plural,
        "path_item_count": item_count,
    }


def published_path_json(published: PublishedPathRecord) -> dict[str, Any]:
    """PublishedPath and UpdatePublishedPath."""
    return {
        "id": published.id,
        "slug": published.slug,
        "path": path_json(published.path),
        "path_url": domain_url(published.domain_name, "path", published.slug),
        "hidden": published.hidden,
        "strict_enforce_group_visibility": published.strict_enforce_group_visibility,
        "offer": offer_json(published.domain_name, published.offer_id),
        "unique_progress_per_enrollment": published.unique_progress_per_enrollment,
        "created_at": published.created_at,
        "modified_at": published.modified_at,
    }


def plan_json(plan: PlanRecord) -> dict[str, Any]:
    return {
        "id": plan.id,
        "name": plan.name,
        "slug": plan.slug,
        "plan_url": domain_url(plan.domain_name, "plan", plan.slug),
        "offer": offer_json(plan.domain_name, plan.offer_id),
        "hidden": plan.hidden,
        "short_description": plan.short_description,
    }


# --- rules shared with the seed hook ----------------------------------------------------------------


def publish_course(
    store: SkilljarStore, domain_name: str, course_id: str, settings: Mapping[str, Any]
) -> PublishedCourseRecord:
    """Publish a course on a domain, from validated settings; the slug defaults to the title's."""
    course = store.get_course(course_id)
    if course is None:
        raise field_error("course", "Invalid course id.")
    if store.find_publication_of_course(domain_name, course.id) is not None:
        raise field_error("non_field_errors", "Course is already published to this domain.")
    slug = settings.get("slug") or course_slug_from(course.title)
    _ensure_free_course_slug(store, domain_name, slug)
    return store.publish_course(domain_name, course.id, {**settings, "slug": slug})


def _ensure_free_course_slug(
    store: SkilljarStore, domain_name: str, slug: str, published_course_id: str | None = None
) -> None:
    if store.course_slug_taken(domain_name, slug, published_course_id):
        raise field_error("slug", "A published course with this slug already exists on this domain.")


def publish_path(store: SkilljarStore, domain_name: str, clean: Mapping[str, Any]) -> PublishedPathRecord:
    """A new Path published on the domain, from a validated PUBLISHED_PATH_CREATE body."""
    _ensure_free_path_slug(store, domain_name, clean["slug"])
    settings = {name: value for name, value in clean.items() if name != "path"}
    return store.publish_path(domain_name, clean["path"], settings)


def _ensure_free_path_slug(
    store: SkilljarStore, domain_name: str, slug: str, published_path_id: str | None = None
) -> None:
    other = store.find_published_path_by_slug(domain_name, slug)
    if other is not None and other.id != published_path_id:
        raise field_error("slug", "A published path with this slug already exists on this domain.")


# --- the API ----------------------------------------------------------------------------------------


class PublicationApi(ApiArea):
    def routes(self) -> Routes:
        return (
            (
                "/v1/domains/<domain:domain_name>/published-courses",
                {"GET": self.list_published_courses, "POST": self.publish_course},
            ),
            (
                "/v1/domains/<domain:domain_name>/published-courses/<oid:published_course_id>",
                {
                    "GET": self.get_published_course,
                    "PUT": self.update_published_course,
                    "PATCH": self.update_published_course,
                    "DELETE": self.unpublish_course,
                },
            ),
            (
                "/v1/domains/<domain:domain_name>/published-paths",
                {"GET": self.list_published_paths, "POST": self.publish_path},
            ),
            (
                "/v1/domains/<domain:domain_name>/published-paths/<oid:published_path_id>",
                {
                    "GET": self.get_published_path,
                    "PUT": self.update_published_path,
                    "PATCH": self.update_published_path,
                    "DELETE": self.delete_published_path,
                },
            ),
            ("/v1/domains/<domain:domain_name>/plan", {"GET": self.list_plans}),
            ("/v1/domains/<domain:domain_name>/plan/<oid:plan_id>", {"GET": self.get_plan}),
        )

    # --- published courses -------------------------------------------------------------------------

    def _published_course(self, domain_name: str, published_course_id: str) -> PublishedCourseRecord:
        domain = require_domain(self.store, domain_name)
        publication = self.store.get_published_course(domain.name, published_course_id)
        if publication is None:
            raise not_found()
        return publication

    def list_published_courses(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        page = self.pager.requested_page(PUBLISHED_COURSES_PAGE_SIZE, size_param=False)
        rows = self.store.list_published_courses(
            domain.name, query_text("course__id"), query_text("search"), page.window
        )
        return json_response(self.pager.envelope(page, rows, published_course_json))

    def publish_course(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        clean = validate_object(request_body(), PUBLISHED_COURSE_CREATE)
        settings = {name: value for name, value in clean.items() if name != "course"}
        publication = publish_course(self.store, domain.name, clean["course"]["id"], settings)
        return json_response(published_course_json(publication), 201)

    def get_published_course(self, domain_name: str, published_course_id: str) -> flask.Response:
        return json_response(
            published_course_detail_json(self._published_course(domain_name, published_course_id))
        )

    def update_published_course(self, domain_name: str, published_course_id: str) -> flask.Response:
        publication = self._published_course(domain_name, published_course_id)
        changes = validate_object(request_body(), PUBLISHED_COURSE_UPDATE)
        if "slug" in changes:
            _ensure_free_course_slug(self.store, publication.domain_name, changes["slug"], publication.id)
        updated = read_back(
            self.store.update_published_course(publication.domain_name, publication.id, changes)
        )
        return json_response(published_course_json(updated))

    def unpublish_course(self, domain_name: str, published_course_id: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        if not self.store.unpublish_course(domain.name, published_course_id):
            raise not_found()
        return empty_response(204)

    # --- published paths ----------------------------------------------------------------------------

    def _published_path(self, domain_name: str, published_path_id: str) -> PublishedPathRecord:
        domain = require_domain(self.store, domain_name)
        published = self.store.get_published_path(domain.name, published_path_id)
        if published is None:
            raise not_found()
        return published

    def list_published_paths(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        page = self.pager.requested_page(PUBLISHED_PATHS_PAGE_SIZE, size_param=False)
        label = query_text("label__name")
        rows = self.store.list_published_paths(domain.name, query_text("search"), page.window)
        if label is not None:  # few paths carry labels: filtered after the window, unlike the real API
            labelled = self.store.paths_labelled(label)
            rows = Slice(0, [path for path in rows.items if path.id in labelled])
        return json_response(self.pager.envelope(page, rows, published_path_json))

    def publish_path(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        clean = validate_object(request_body(), PUBLISHED_PATH_CREATE)
        return json_response(published_path_json(publish_path(self.store, domain.name, clean)), 201)

    def get_published_path(self, domain_name: str, published_path_id: str) -> flask.Response:
        return json_response(published_path_json(self._published_path(domain_name, published_path_id)))

    def update_published_path(self, domain_name: str, published_path_id: str) -> flask.Response:
        published = self._published_path(domain_name, published_path_id)
        changes = validate_object(request_body(), PUBLISHED_PATH_UPDATE)
        if "slug" in changes:
            _ensure_free_path_slug(self.store, published.domain_name, changes["slug"], published.id)
        updated = read_back(self.store.update_published_path(published.domain_name, published.id, changes))
        return json_response(published_path_json(updated))

    def delete_published_path(self, domain_name: str, published_path_id: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        if not self.store.delete_published_path(domain.name, published_path_id):
            raise not_found()
        return empty_response(204)

    # --- plans ---------------------------------------------------------------------------------------

    def list_plans(self, domain_name: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        page = self.pager.requested_page(PLANS_PAGE_SIZE, size_param=False)
        return json_response(
            self.pager.envelope(page, self.store.list_plans(domain.name, page.window), plan_json)
        )

    def get_plan(self, domain_name: str, plan_id: str) -> flask.Response:
        plan = self.store.get_plan(require_domain(self.store, domain_name).name, plan_id)
        if plan is None:
            raise not_found()
        return json_response(plan_json(plan))
