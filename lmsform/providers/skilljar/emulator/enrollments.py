"""Enrollments in published courses, paths and plans, which all behave alike (skilljar.md Enrollments)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import json_response
from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.skilljar.emulator.base_store import new_id, now_timestamp
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.enrollment_store import EnrollmentRecord, Offering, OfferingKind
from lmsform.providers.skilljar.emulator.errors import not_found
from lmsform.providers.skilljar.emulator.lookups import referenced_member, require_domain
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
from lmsform.providers.skilljar.emulator.shapes import read_only_user_json
from lmsform.providers.skilljar.emulator.store import SkilljarStore

ENROLLMENTS_PAGE_SIZE = 1000
_DOMAIN = "/v1/domains/<domain:domain_name>"
# Each kind's collection; the item is `<collection>/<oid:enrollment_id>`.
_COLLECTIONS = {
    OfferingKind.COURSE: f"{_DOMAIN}/published-courses/<oid:offering_id>/enrollments",
    OfferingKind.PATH: f"{_DOMAIN}/published-paths/<oid:offering_id>/published-path-enrollments",
    OfferingKind.PLAN: f"{_DOMAIN}/plan/<oid:offering_id>/plan-enrollments",
}
_FREE = {"amount": "0.00", "currency_code": "USD"}
_PURCHASE_STATES = ("CREATED", "SUCCESS", "FAILED", "REFUNDED", "CANCELLED", "FLAGGED", "PENDING")

PRICE: Schema = {
    "amount": Field(text(allow_blank=False)),
    "currency_code": Field(text(allow_blank=False)),
}
PURCHASE: Schema = {
    "purchase_price": Field(nested(PRICE)),
    "purchase_state": Field(choice(_PURCHASE_STATES)),
    "purchased_at": Field(timestamp()),
    "tax_price_cents": Field(integer(0, 2_147_483_647), nullable=True),
}
ENROLLMENT_CREATE: Schema = {
    "user": Field(nested({"id": Field(text(allow_blank=False), required=True)}), required=True),
    "enrolled_at": Field(timestamp()),
    "expires_at": Field(timestamp()),
    "active": Field(boolean(), nullable=True),
    "purchase": Field(nested(PURCHASE), nullable=True),
}
# PUT and PATCH are both partial; `enrolled_at` and `user` cannot change.
ENROLLMENT_UPDATE: Schema = {
    "expires_at": Field(timestamp(), nullable=True),
    "active": Field(boolean()),
}


# --- response shapes ----------------------------------------------------------------------------------


def enrollment_json(enrollment: EnrollmentRecord, *, as_update: bool = False) -> dict[str, Any]:
    """Enrollment, PublishedPathEnrollment and PlanEnrollment, and their Create… and Update… forms.

    The spec allows a null `expires_at` only in the Update… forms, and a null `purchase` in none of
    the forms openapi-core reads (a nullable `allOf`), so unset values are left out elsewhere.
    """
    body: dict[str, Any] = {
        "id": enrollment.id,
        "user": read_only_user_json(enrollment.user),
        "enrolled_at": enrollment.enrolled_at,
    }
    if enrollment.expires_at is not None or as_update:
        body["expires_at"] = enrollment.expires_at
    body["active"] = enrollment.active
    if enrollment.purchase is not None:
        body["purchase"] = {
            **enrollment.purchase,
            "offer_price": _FREE,
            "quantity": 1,
            "payment_processor": "NONE",
        }
    if enrollment.offering.kind is OfferingKind.COURSE:
        body.update(rating=None, feedback=None)  # only course enrollments carry a rating
    return body


# --- rules shared with the seed hook ----------------------------------------------------------------


def enroll_user(
    store: SkilljarStore, domain_name: str, offering: Offering, clean: Mapping[str, Any]
) -> EnrollmentRecord:
    """Create from a checked ENROLLMENT_CREATE body, idempotent on (user, `enrolled_at`) (skilljar.md D10)."""
    user = referenced_member(store, domain_name, clean["user"]["id"])
    enrolled_at = clean.get("enrolled_at")
    if enrolled_at is not None:
        existing = store.find_enrollment(offering, user.id, enrolled_at)
        if existing is not None:
            return existing
    enrolled_at = enrolled_at or now_timestamp()
    active = clean.get("active")
    return store.create_enrollment(
        offering,
        user.id,
        enrolled_at=enrolled_at,
        expires_at=clean.get("expires_at"),
        active=True if active is None else active,
        purchase=None if clean.get("purchase") is None else _stored_purchase(clean["purchase"], enrolled_at),
    )


def _stored_purchase(clean: Mapping[str, Any], enrolled_at: str) -> dict[str, Any]:
    return {
        "order_id": new_id(),
        "purchase_id": new_id(),
        "purchase_price": {**_FREE, **clean.get("purchase_price", {})},
        "purchase_state": clean.get("purchase_state", "SUCCESS"),
        "purchased_at": clean.get("purchased_at", enrolled_at),
        "tax_price_cents": clean.get("tax_price_cents"),
    }


def require_offering(
    store: SkilljarStore, kind: OfferingKind, domain_name: str, offering_id: str
) -> Offering:
    domain = require_domain(store, domain_name)
    finders = {
        OfferingKind.COURSE: store.get_published_course,
        OfferingKind.PATH: store.get_published_path,
        OfferingKind.PLAN: store.get_plan,
    }
    if finders[kind](domain.name, offering_id) is None:
        raise not_found()
    return Offering(kind, offering_id)


# --- the API ----------------------------------------------------------------------------------------


class EnrollmentApi(ApiArea):
    """The same four handlers serve all three kinds; there is no DELETE (skilljar.md Enrollments)."""

    def routes(self) -> Routes:
        routes = []
        for kind, collection in _COLLECTIONS.items():
            update = partial(self.update_enrollment, kind)
            routes += [
                (
                    collection,
                    {"GET": partial(self.list_enrollments, kind), "POST": partial(self.enroll, kind)},
                ),
                (
                    f"{collection}/<oid:enrollment_id>",
                    {"GET": partial(self.get_enrollment, kind), "PUT": update, "PATCH": update},
                ),
            ]
        return routes

    def list_enrollments(self, kind: OfferingKind, domain_name: str, offering_id: str) -> flask.Response:
        offering = require_offering(self.store, kind, domain_name, offering_id)
        page = self.pager.requested_page(ENROLLMENTS_PAGE_SIZE)
        rows = self.store.list_enrollments(offering, page.window)
        return json_response(self.pager.envelope(page, rows, enrollment_json))

    def enroll(self, kind: OfferingKind, domain_name: str, offering_id: str) -> flask.Response:
        offering = require_offering(self.store, kind, domain_name, offering_id)
        clean = validate_object(request_body(), ENROLLMENT_CREATE)
        return json_response(enrollment_json(enroll_user(self.store, domain_name, offering, clean)), 201)

    def _enrollment(
        self, kind: OfferingKind, domain_name: str, offering_id: str, enrollment_id: str
    ) -> EnrollmentRecord:
        offering = require_offering(self.store, kind, domain_name, offering_id)
        enrollment = self.store.get_enrollment(offering, enrollment_id)
        if enrollment is None:
            raise not_found()
        return enrollment

    def get_enrollment(
        self, kind: OfferingKind, domain_name: str, offering_id: str, enrollment_id: str
    ) -> flask.Response:
        return json_response(enrollment_json(self._enrollment(kind, domain_name, offering_id, enrollment_id)))

    def update_enrollment(
        self, kind: OfferingKind, domain_name: str, offering_id: str, enrollment_id: str
    ) -> flask.Response:
        enrollment = self._enrollment(kind, domain_name, offering_id, enrollment_id)
        changes = validate_object(request_body(), ENROLLMENT_UPDATE)
        updated = read_back(self.store.update_enrollment(enrollment.offering, enrollment.id, changes))
        return json_response(enrollment_json(updated, as_update=True))
