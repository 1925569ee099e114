"""Put a whole starting state into the store in one go: the `/_emulator/seed` hook, callable in-process.

Known e-mails, group names, course titles, path slugs (per domain) and plan names (per domain) are
reused, so seeding the same document twice changes nothing; webhooks, and enrollments without an
`enrolled_at`, are created anew each time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lmsform.providers.skilljar.emulator.base_store import now_timestamp
from lmsform.providers.skilljar.emulator.courses import LABEL_NAME, add_course
from lmsform.providers.skilljar.emulator.enrollment_store import EnrollmentRecord, Offering, OfferingKind
from lmsform.providers.skilljar.emulator.enrollments import enroll_user
from lmsform.providers.skilljar.emulator.errors import field_error
from lmsform.providers.skilljar.emulator.people import Join, join_domain, sign_up_field_rule
from lmsform.providers.skilljar.emulator.people_store import (
    AccessCodeRecord,
    GroupRecord,
    SignupFieldRecord,
    UserRecord,
)
from lmsform.providers.skilljar.emulator.publication_store import PlanRecord, PublishedPathRecord
from lmsform.providers.skilljar.emulator.publications import publish_course, publish_path
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    boolean,
    choice,
    email,
    list_of,
    many,
    matching,
    text,
    timestamp,
    validate_object,
)
from lmsform.providers.skilljar.emulator.slugs import SLUG_MAX_LENGTH, SLUG_PATTERN, slug_from
from lmsform.providers.skilljar.emulator.store import SkilljarStore
from lmsform.providers.skilljar.emulator.webhooks import WEBHOOK_CREATE, add_webhook

_NAME = text(allow_blank=False)
_SLUG = matching(SLUG_PATTERN, SLUG_MAX_LENGTH)

SEED_MEMBERSHIP: Schema = {
    "name": Field(_NAME, required=True),
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
SEED_COURSE: Schema = {
    "title": Field(_NAME, required=True),
    "short_description": Field(_NAME),
    "labels": Field(list_of(LABEL_NAME)),
    "published_on": Field(list_of(_NAME)),
    # Lessons are authored in the dashboard; the seed makes them, reused by title (skilljar.md D80).
    "lessons": Field(list_of(text(500, allow_blank=False))),
}
SEED_PATH: Schema = {
    "domain": Field(_NAME, required=True),
    "slug": Field(_SLUG, required=True),
    "title": Field(text(500, allow_blank=False), required=True),
}
SEED_PLAN: Schema = {
    "domain": Field(_NAME, required=True),
    "name": Field(text(500, allow_blank=False), required=True),
    "slug": Field(_SLUG),
    "hidden": Field(boolean()),
    "short_description": Field(text(300), nullable=True),
}
SEED_ENROLLMENT: Schema = {
    "domain": Field(_NAME, required=True),
    "course": Field(_NAME),
    "path": Field(_NAME),
    "plan": Field(_NAME),
    "email": Field(email(), required=True),
    "active": Field(boolean()),
    "enrolled_at": Field(timestamp()),
    "expires_at": Field(timestamp(), nullable=True),
}
SEED_SIGNUP_FIELD: Schema = {
    "domain": Field(_NAME, required=True),
    "label": Field(_NAME, required=True),
    "type": Field(choice(("TEXT", "PICKLIST", "CHECKBOX"))),
    "required": Field(boolean()),
    "options": Field(list_of(text(100, allow_blank=False))),
}
SEED_ACCESS_CODE: Schema = {
    "domain": Field(_NAME, required=True),
    "pool": Field(text(255, allow_blank=False), required=True),
    "code": Field(text(40, allow_blank=False), required=True),
}
SEED: Schema = {
    "group_categories": Field(list_of(text(allow_blank=False))),
    "signup_fields": Field(many(SEED_SIGNUP_FIELD)),
    "access_codes": Field(many(SEED_ACCESS_CODE)),
    "users": Field(many(SEED_USER)),
    "groups": Field(many(SEED_GROUP)),
    "courses": Field(many(SEED_COURSE)),
    "paths": Field(many(SEED_PATH)),
    "plans": Field(many(SEED_PLAN)),
    "enrollments": Field(many(SEED_ENROLLMENT)),
    "webhooks": Field(many(WEBHOOK_CREATE)),
}


def seed(store: SkilljarStore, document: Any) -> dict[str, Any]:
    """Validate `document` against SEED and insert it in one transaction; answers the ids made or reused.

    Raises `ValidationFailed` (nothing written) for a malformed document or one that names an unknown
    domain, member, course, path or plan.
    """
    clean = validate_object(document, SEED)
    with store.transaction():
        # Categories, like sign-up fields, are made in the dashboard; reused by name.
        categories = [
            store.find_group_category(name) or store.add_group_category(name)
            for name in clean.get("group_categories", [])
        ]
        signup_fields = [_seed_signup_field(store, entry) for entry in clean.get("signup_fields", [])]
        access_codes = [_seed_access_code(store, entry) for entry in clean.get("access_codes", [])]
        users = [_seed_user(store, entry) for entry in clean.get("users", [])]
        groups = [_seed_group(store, entry) for entry in clean.get("groups", [])]
        courses = [_seed_course(store, entry) for entry in clean.get("courses", [])]
        paths = [_seed_path(store, entry) for entry in clean.get("paths", [])]
        plans = [_seed_plan(store, entry) for entry in clean.get("plans", [])]
        enrollments = [_seed_enrollment(store, entry) for entry in clean.get("enrollments", [])]
        webhooks = [add_webhook(store, entry) for entry in clean.get("webhooks", [])]
    return {
        "group_categories": [{"id": category.id, "name": category.name} for category in categories],
        "signup_fields": [{"id": field.id, "label": field.label} for field in signup_fields],
        "access_codes": [
            {"id": code.id, "code": code.code, "pool_id": code.pool_id} for code in access_codes
        ],
        "users": [{"id": user.id, "email": user.email} for user in users],
        "groups": [{"id": group.id, "name": group.name} for group in groups],
        "courses": courses,
        "paths": [
            {"id": path.id, "path_id": path.path.id, "domain": path.domain_name, "slug": path.slug}
            for path in paths
        ],
        "plans": [{"id": plan.id, "domain": plan.domain_name, "name": plan.name} for plan in plans],
        "enrollments": [
            {"id": enrollment.id, "user_id": enrollment.user.id, "enrolled_at": enrollment.enrolled_at}
            for enrollment in enrollments
        ],
        "webhooks": [{"id": webhook.id, "target_url": webhook.target_url} for webhook in webhooks],
    }


def _known_domain(store: SkilljarStore, name: str, section: str) -> str:
    if store.get_domain(name) is None:
        raise field_error(section, f"Unknown domain {name!r}.")
    return name


def _seed_signup_field(store: SkilljarStore, entry: Mapping[str, Any]) -> SignupFieldRecord:
    """A sign-up field, reused by label: Skilljar's API cannot create them (the dashboard does)."""
    domain_name = _known_domain(store, entry["domain"], "signup_fields")
    return store.find_signup_field(domain_name, entry["label"]) or store.add_signup_field(
        domain_name,
        entry["label"],
        type_=entry.get("type", "TEXT"),
        required=entry.get("required", False),
        options=entry.get("options", []),
    )


def _seed_access_code(store: SkilljarStore, entry: Mapping[str, Any]) -> AccessCodeRecord:
    """An access code in the named pool (made when missing), reused by code."""
    domain_name = _known_domain(store, entry["domain"], "access_codes")
    known = store.find_access_code(domain_name, entry["code"])
    if known is not None:
        return known
    pool_id = store.find_access_code_pool(domain_name, entry["pool"]) or store.add_access_code_pool(
        domain_name, entry["pool"]
    )
    return store.add_access_code(pool_id, entry["code"])


def _seed_user(store: SkilljarStore, entry: Mapping[str, Any]) -> UserRecord:
    user = store.find_user_by_email(entry["email"]) or store.create_user(
        entry["email"], entry.get("first_name", ""), entry.get("last_name", "")
    )
    if entry.get("inactive") is not None:
        store.update_user(user.id, {"inactive_at": now_timestamp() if entry["inactive"] else None})
    for membership in entry.get("domains", []):
        domain_name = _known_domain(store, membership["name"], "users")
        if store.get_domain_user(domain_name, user.id) is None:
            join_domain(store, domain_name, Join.from_row({**membership, "email": user.email}))
        elif "active" in membership:
            store.update_domain_user(domain_name, user.id, {"active": membership["active"]})
    return user


def _seed_group(store: SkilljarStore, entry: Mapping[str, Any]) -> GroupRecord:
    group = store.find_group_by_name(entry["name"]) or store.create_group(
        entry["name"], sign_up_field_rule=sign_up_field_rule(None)
    )
    for member_email in entry.get("members", []):
        user = store.find_user_by_email(member_email)
        if user is None:
            raise field_error("groups", f"Unknown member e-mail {member_email!r}.")
        if store.get_group_member(group.id, user.id) is None:
            store.add_group_member(group.id, user.id)
    return group


def _seed_course(store: SkilljarStore, entry: Mapping[str, Any]) -> dict[str, Any]:
    """The course (and its publications) as `{id, title, published: {domain: published_course_id}}`."""
    known = store.find_courses_by_title(entry["title"])
    course = known[0] if known else add_course(store, _course_body(entry))
    published: dict[str, str] = {}
    for domain_name in entry.get("published_on", []):
        _known_domain(store, domain_name, "courses")
        publication = store.find_publication_of_course(domain_name, course.id) or publish_course(
            store, domain_name, course.id, {}
        )
        published[domain_name] = publication.id
    lessons = {
        title: (store.find_lesson(course.id, title) or store.add_lesson(course.id, title)).id
        for title in entry.get("lessons", [])
    }
    return {"id": course.id, "title": course.title, "published": published, "lessons": lessons}


def _course_body(entry: Mapping[str, Any]) -> dict[str, Any]:
    body = {
        "title": entry["title"],
        "short_description": entry.get("short_description", entry["title"]),
        "enforce_sequential_navigation": False,
    }
    if "labels" in entry:
        body["labels"] = entry["labels"]
    return body


def _seed_path(store: SkilljarStore, entry: Mapping[str, Any]) -> PublishedPathRecord:
    domain_name = _known_domain(store, entry["domain"], "paths")
    return store.find_published_path_by_slug(domain_name, entry["slug"]) or publish_path(
        store, domain_name, {"slug": entry["slug"], "path": {"title": entry["title"]}}
    )


def _seed_plan(store: SkilljarStore, entry: Mapping[str, Any]) -> PlanRecord:
    domain_name = _known_domain(store, entry["domain"], "plans")
    return store.find_plan_by_name(domain_name, entry["name"]) or store.create_plan(
        domain_name,
        entry["name"],
        entry.get("slug") or slug_from(entry["name"], fallback="plan"),
        hidden=entry.get("hidden", False),
        short_description=entry.get("short_description"),
    )


def _seed_enrollment(store: SkilljarStore, entry: Mapping[str, Any]) -> EnrollmentRecord:
    domain_name = _known_domain(store, entry["domain"], "enrollments")
    offering = _seeded_offering(store, domain_name, entry)
    user = store.find_user_by_email(entry["email"])
    if user is None or store.get_domain_user(domain_name, user.id) is None:
        raise field_error("enrollments", f"{entry['email']} is not a member of {domain_name}.")
    body = {name: entry[name] for name in ("active", "enrolled_at", "expires_at") if name in entry}
    return enroll_user(store, domain_name, offering, {**body, "user": {"id": user.id}})


def _seeded_offering(store: SkilljarStore, domain_name: str, entry: Mapping[str, Any]) -> Offering:
    """The course (by title), path (by slug) or plan (by name) an enrollment entry names."""
    named = [name for name in ("course", "path", "plan") if name in entry]
    if len(named) != 1:
        raise field_error("enrollments", "Name exactly one of course, path or plan.")
    kind, key = named[0], entry[named[0]]
    if kind == "course":
        publications = [
            publication
            for course in store.find_courses_by_title(key)
            if (publication := store.find_publication_of_course(domain_name, course.id)) is not None
        ]
        if len(publications) == 1:
            return Offering(OfferingKind.COURSE, publications[0].id)
    elif kind == "path":
        path = store.find_published_path_by_slug(domain_name, key)
        if path is not None:
            return Offering(OfferingKind.PATH, path.id)
    else:
        plan = store.find_plan_by_name(domain_name, key)
        if plan is not None:
            return Offering(OfferingKind.PLAN, plan.id)
    raise field_error("enrollments", f"No single {kind} {key!r} on {domain_name}.")
