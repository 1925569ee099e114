"""Skilljar's v1 REST API: one method per endpoint, dicts in and out, paths exactly as the spec has them.

Query parameters are sent only where the spec declares them (`page_size` is not declared on every
list), so every request validates against the vendor's spec.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from lmsform.errors import ProviderError
from lmsform.providers.http import HttpClient
from lmsform.providers.paging import follow_next

# The page size the vendor documents for these lists; a server may honour less, so we follow `next`.
LIST_PAGE_SIZE = 1000
BULK_CREATE_LIMIT = 1000
GROUP_FIELDS = ("id", "name")  # what every group in a list must hold
# What carries catalogue rules, by its collection under the domain (skilljar.md D70, D85), and the
# kind its errors are told as.
PUBLISHED_COURSES = "published-courses"
PUBLISHED_PATHS = "published-paths"
_RULE_PARENT_KINDS = {PUBLISHED_COURSES: "publications", PUBLISHED_PATHS: "paths"}
# A publication's rule lists (skilljar.md D70); the spec declares `page_size` on all but prerequisites.
PREREQUISITES = "published-course-prerequisites"
GROUP_PREREQUISITES = "student-group-prerequisites"
VISIBILITY_OVERRIDES = "visibility-overrides"
TAGS = "tags"
RULE_LISTS_WITH_PAGE_SIZE = frozenset({GROUP_PREREQUISITES, VISIBILITY_OVERRIDES, TAGS})
# What every item of each rule list must hold: the id of what it names.
RULE_ITEM_FIELDS = {
    PREREQUISITES: ("published_course.id",),
    GROUP_PREREQUISITES: ("student_group.id",),
    VISIBILITY_OVERRIDES: ("student_group.id",),
    TAGS: ("tag.id",),
}
REENROLLMENT_RULE = "reenrollment_rule"
REENROLLMENT_FIELDS = ("starts_at", "cycle_duration")  # what a re-enrollment rule must hold

# Enrollment collections by target type: (collection under the domain, enrollment collection).
_ENROLLMENT_PATHS = {
    "course": ("published-courses", "enrollments"),
    "path": ("published-paths", "published-path-enrollments"),
    "plan": ("plan", "plan-enrollments"),
}


def _segment(value: str) -> str:
    return quote(value, safe="")


class SkilljarClient:
    def __init__(self, http: HttpClient, domain: str) -> None:
        self.http = http
        self.domain = domain
        self._domain_path = f"/v1/domains/{_segment(domain)}"

    def _json(
        self, method: str, path: str, body: Any = None, *, kind: str, key: str, fields: Sequence[str] = ()
    ) -> dict[str, Any]:
        """An answer that is one object (holding `fields`), as every Skilljar create, read and update is."""
        result: dict[str, Any] = self.http.json(
            method, path, json_body=body, kind=kind, key=key, fields=fields
        )
        return result

    def _delete(self, path: str, *, kind: str, key: str) -> None:
        """Delete; an object that is already gone counts as deleted (a retried DELETE answers 404)."""
        try:
            self.http.request("DELETE", path, kind=kind, key=key)
        except ProviderError as error:
            if error.status != 404:
                raise

    # Domains

    def get_domain(self) -> dict[str, Any]:
        return self._json("GET", self._domain_path, kind="domain", key=self.domain)

    def update_domain(self, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        """Changes only the settings sent (PATCH is partial: skilljar.md Domain)."""
        return self._json("PATCH", self._domain_path, dict(fields), kind="domain", key=key)

    # Domain users: a user's membership of this domain

    def list_domain_users(self, *, signup_fields: bool = False) -> Iterator[dict[str, Any]]:
        """Every member of the domain; with `signup_fields`, each with its sign-up field values (the
        same requests: skilljar.md Attributes)."""
        params: dict[str, Any] = {"page_size": LIST_PAGE_SIZE}
        if signup_fields:
            params["include_signup_field_data"] = "true"
        return follow_next(
            self.http,
            f"{self._domain_path}/users",
            params=params,
            kind="users",
            item_fields=("user.id", "user.email"),
        )

    def list_signup_fields(self) -> Iterator[dict[str, Any]]:
        """The domain's sign-up fields (takes `page` only)."""
        return follow_next(
            self.http, f"{self._domain_path}/signup-fields", kind="users", item_fields=("id", "label")
        )

    def set_signup_fields(self, user_id: str, values: Mapping[str, str], *, key: str) -> None:
        """Sets (creates or overwrites) the user's values of these sign-up fields, by id: one request."""
        body = {"signup_fields": [{"id": field_id, "value": value} for field_id, value in values.items()]}
        path = f"{self._domain_path}/users/{_segment(user_id)}/signup-fields-bulk"
        self._json("POST", path, body, kind="users", key=key)

    def list_access_code_pools(self) -> Iterator[dict[str, Any]]:
        return follow_next(
            self.http, f"{self._domain_path}/access-code-pools", kind="users", item_fields=("id",)
        )

    def list_access_codes(self, pool_id: str) -> Iterator[dict[str, Any]]:
        return follow_next(
            self.http,
            f"{self._domain_path}/access-code-pools/{_segment(pool_id)}/access-codes",
            params={"page_size": LIST_PAGE_SIZE},
            kind="users",
            item_fields=("id", "code"),
        )

    def create_domain_user(
        self, user: Mapping[str, Any], *, active: bool, key: str, expires_at: str | None = None
    ) -> dict[str, Any]:
        """Adds the user to the domain; for a known e-mail, Skilljar returns the existing user unchanged.

        That makes the create idempotent, keyed by e-mail (the spec: "if the provided email address
        already exists, the user will be added to the domain and their existing details will be
        returned"), so it is re-sent after a lost answer: the second send returns the user the first
        one made. The caller then sets what differs, as for any known e-mail.
        """
        body: dict[str, Any] = {"user": dict(user), "active": active}
        if expires_at is not None:
            body["expires_at"] = expires_at
        result: dict[str, Any] = self.http.json(
            "POST",
            f"{self._domain_path}/users",
            json_body=body,
            kind="users",
            key=key,
            idempotent=True,
            fields=("user.id", "user.email"),
        )
        return result

    def bulk_create_domain_users(self, rows: Sequence[Mapping[str, Any]], *, key: str) -> None:
        """Queues up to 1000 users; Skilljar answers before they exist (202), without their ids.

        Never re-sent after a lost answer: the provider re-reads the list and single-creates the rest.
        """
        self.http.request(
            "POST",
            f"{self._domain_path}/users/bulk-create",
            json_body={"users": list(rows)},
            kind="users",
            key=key,
        )

    def update_domain_user(self, user_id: str, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        path = f"{self._domain_path}/users/{_segment(user_id)}"
        return self._json("PATCH", path, dict(fields), kind="users", key=key)

    def grant_manager_access(self, user_id: str, grant: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        path = f"{self._domain_path}/users/{_segment(user_id)}/manager-access"
        return self._json("PUT", path, dict(grant), kind="supervisors", key=key)

    def revoke_manager_access(self, user_id: str, *, key: str) -> None:
        self._delete(
            f"{self._domain_path}/users/{_segment(user_id)}/manager-access", kind="supervisors", key=key
        )

    # Global users: identity (e-mail, names) across all domains

    def update_user(self, user_id: str, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        return self._json("PATCH", f"/v1/users/{_segment(user_id)}", dict(fields), kind="users", key=key)

    # Groups and membership

    def list_groups(self) -> Iterator[dict[str, Any]]:
        return follow_next(
            self.http,
            "/v1/groups",
            params={"page_size": LIST_PAGE_SIZE},
            kind="groups",
            item_fields=GROUP_FIELDS,
        )

    def create_group(self, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        return self._json("POST", "/v1/groups", dict(fields), kind="groups", key=key, fields=("id",))

    def find_group(self, name: str) -> dict[str, Any] | None:
        """The group of exactly this name (names are unique on Skilljar), or None: one request."""
        for item in follow_next(
            self.http, "/v1/groups", params={"name": name}, kind="groups", item_fields=GROUP_FIELDS
        ):
            if item.get("name") == name:
                return item
        return None

    def update_group(self, group_id: str, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        return self._json("PATCH", f"/v1/groups/{_segment(group_id)}", dict(fields), kind="groups", key=key)

    def delete_group(self, group_id: str, *, key: str) -> None:
        self._delete(f"/v1/groups/{_segment(group_id)}", kind="groups", key=key)

    def change_group_email_domains(
        self, group_id: str, *, add: Sequence[str], remove: Sequence[str], key: str
    ) -> None:
        """Adds and removes e-mail domains of the group's rule (skilljar.md D65): one request."""
        body = {name: list(domains) for name, domains in (("add", add), ("remove", remove)) if domains}
        path = f"/v1/groups/{_segment(group_id)}/email-domain-rules"
        self._json("PATCH", path, body, kind="groups", key=key)

    def list_group_categories(self) -> Iterator[dict[str, Any]]:
        """The organisation's group categories (made in Skilljar's dashboard; skilljar.md D67)."""
        return follow_next(self.http, "/v1/group-categories", kind="groups", item_fields=("id", "name"))

    def list_group_users(self, group_id: str) -> Iterator[dict[str, Any]]:
        return follow_next(
            self.http,
            f"/v1/groups/{_segment(group_id)}/users",
            params={"page_size": LIST_PAGE_SIZE},
            kind="memberships",
            item_fields=("user.id", "user.email"),
        )

    def add_group_user(self, group_id: str, user_id: str, *, key: str) -> dict[str, Any]:
        body = {"user": {"id": user_id}}
        return self._json("POST", f"/v1/groups/{_segment(group_id)}/users", body, kind="memberships", key=key)

    def get_group_user(self, group_id: str, user_id: str, *, key: str) -> dict[str, Any] | None:
        """The membership, or None when the user is not in the group: one request."""
        path = f"/v1/groups/{_segment(group_id)}/users/{_segment(user_id)}"
        try:
            return self._json("GET", path, kind="memberships", key=key)
        except ProviderError as error:
            if error.status == 404:
                return None
            raise

    def group_user_exists(self, group_id: str, user_id: str, *, key: str) -> bool:
        return self.get_group_user(group_id, user_id, key=key) is not None

    def remove_group_user(self, group_id: str, user_id: str, *, key: str) -> None:
        self._delete(
            f"/v1/groups/{_segment(group_id)}/users/{_segment(user_id)}", kind="memberships", key=key
        )

    # Courses (organisation-wide definitions)

    def list_courses(self, *, label: str | None = None) -> Iterator[dict[str, Any]]:
        """Every course, or only those carrying the label of that exact name."""
        params: dict[str, Any] = {"page_size": LIST_PAGE_SIZE}
        if label is not None:
            params["label__name"] = label
        return follow_next(
            self.http, "/v1/courses", params=params, kind="courses", item_fields=("id", "title")
        )

    def create_course(self, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        return self._json("POST", "/v1/courses", dict(fields), kind="courses", key=key, fields=("id",))

    def update_course(self, course_id: str, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        return self._json(
            "PATCH", f"/v1/courses/{_segment(course_id)}", dict(fields), kind="courses", key=key
        )

    def delete_course(self, course_id: str, *, key: str) -> None:
        self._delete(f"/v1/courses/{_segment(course_id)}", kind="courses", key=key)

    # Publications: a course on this domain

    def list_publications(self, *, course_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every publication on this domain, or only the course's (at most one)."""
        params = None if course_id is None else {"course__id": course_id}
        return follow_next(
            self.http,
            f"{self._domain_path}/published-courses",
            params=params,
            kind="publications",
            item_fields=("id", "course.id"),
        )

    def publish_course(self, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        path = f"{self._domain_path}/published-courses"
        return self._json("POST", path, dict(fields), kind="publications", key=key, fields=("id",))

    def update_publication(
        self, publication_id: str, fields: Mapping[str, Any], *, key: str
    ) -> dict[str, Any]:
        path = f"{self._domain_path}/published-courses/{_segment(publication_id)}"
        return self._json("PATCH", path, dict(fields), kind="publications", key=key)

    def unpublish_course(self, publication_id: str, *, key: str) -> None:
        path = f"{self._domain_path}/published-courses/{_segment(publication_id)}"
        self._delete(path, kind="publications", key=key)

    # Catalogue rules (skilljar.md D70, D85): each a list under a publication or a published path
    # (`parent`: PUBLISHED_COURSES or PUBLISHED_PATHS), or one rule

    def _rules_path(self, parent: str, parent_id: str, rule: str) -> str:
        return f"{self._domain_path}/{parent}/{_segment(parent_id)}/{rule}"

    def list_catalogue_rule(self, parent: str, parent_id: str, rule: str) -> Iterator[dict[str, Any]]:
        """One of the rule lists; `page_size` only where the spec declares it."""
        params = {"page_size": LIST_PAGE_SIZE} if rule in RULE_LISTS_WITH_PAGE_SIZE else None
        return follow_next(
            self.http,
            self._rules_path(parent, parent_id, rule),
            params=params,
            kind=_RULE_PARENT_KINDS[parent],
            item_fields=RULE_ITEM_FIELDS[rule],
        )

    def add_catalogue_rule(
        self, parent: str, parent_id: str, rule: str, body: Mapping[str, Any], *, key: str
    ) -> dict[str, Any]:
        path = self._rules_path(parent, parent_id, rule)
        return self._json("POST", path, dict(body), kind=_RULE_PARENT_KINDS[parent], key=key)

    def holds_catalogue_rule(self, parent: str, parent_id: str, rule: str, item_id: str, *, key: str) -> bool:
        """Whether the list holds the item (a group or tag; prerequisites have no single read)."""
        path = f"{self._rules_path(parent, parent_id, rule)}/{_segment(item_id)}"
        try:
            self._json("GET", path, kind=_RULE_PARENT_KINDS[parent], key=key)
        except ProviderError as error:
            if error.status == 404:
                return False
            raise
        return True

    def remove_catalogue_rule(
        self, parent: str, parent_id: str, rule: str, item_id: str, *, key: str
    ) -> None:
        path = f"{self._rules_path(parent, parent_id, rule)}/{_segment(item_id)}"
        self._delete(path, kind=_RULE_PARENT_KINDS[parent], key=key)

    def get_reenrollment_rule(self, publication_id: str, *, key: str) -> dict[str, Any] | None:
        """The publication's re-enrollment rule, or None when it has none (404)."""
        try:
            path = self._rules_path(PUBLISHED_COURSES, publication_id, REENROLLMENT_RULE)
            return self._json("GET", path, kind="publications", key=key, fields=REENROLLMENT_FIELDS)
        except ProviderError as error:
            if error.status == 404:
                return None
            raise

    def write_reenrollment_rule(
        self, publication_id: str, method: str, body: Mapping[str, Any], *, key: str
    ) -> dict[str, Any]:
        """POST a new rule or PATCH the one there."""
        path = self._rules_path(PUBLISHED_COURSES, publication_id, REENROLLMENT_RULE)
        return self._json(method, path, dict(body), kind="publications", key=key)

    def delete_reenrollment_rule(self, publication_id: str, *, key: str) -> None:
        path = self._rules_path(PUBLISHED_COURSES, publication_id, REENROLLMENT_RULE)
        self._delete(path, kind="publications", key=key)

    def list_tags(self) -> Iterator[dict[str, Any]]:
        """The organisation's catalogue tags (1000 per page)."""
        return follow_next(
            self.http,
            "/v1/tags",
            params={"page_size": LIST_PAGE_SIZE},
            kind="tags",
            item_fields=("id", "name"),
        )

    def create_tag(self, name: str, *, key: str) -> dict[str, Any]:
        return self._json("POST", "/v1/tags", {"name": name}, kind="tags", key=key, fields=("id",))

    # Learning paths (published paths, their items and labels: skilljar.md D60 to D64) and plans

    def list_paths(self) -> Iterator[dict[str, Any]]:
        return follow_next(
            self.http, f"{self._domain_path}/published-paths", kind="paths", item_fields=("id", "slug")
        )

    def _published_path(self, published_path_id: str) -> str:
        return f"{self._domain_path}/published-paths/{_segment(published_path_id)}"

    def create_path(self, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        path = f"{self._domain_path}/published-paths"
        return self._json("POST", path, dict(fields), kind="paths", key=key, fields=("id", "path.id"))

    def update_published_path(self, published_path_id: str, fields: Mapping[str, Any], *, key: str) -> None:
        self._json("PATCH", self._published_path(published_path_id), dict(fields), kind="paths", key=key)

    def update_path_definition(self, path_id: str, fields: Mapping[str, Any], *, key: str) -> None:
        """The Path's own fields (title, descriptions), which the published path's PATCH cannot change."""
        self._json("PATCH", f"/v1/paths/{_segment(path_id)}", dict(fields), kind="paths", key=key)

    def delete_path(self, published_path_id: str, *, key: str) -> None:
        self._delete(self._published_path(published_path_id), kind="paths", key=key)

    def list_path_items(self, published_path_id: str) -> Iterator[dict[str, Any]]:
        """The path's items in their order (takes `page` only)."""
        return follow_next(
            self.http,
            f"{self._published_path(published_path_id)}/path-items",
            kind="paths",
            item_fields=("id", "order", "published_course.id"),
        )

    def add_path_item(self, published_path_id: str, publication_id: str, order: int, *, key: str) -> None:
        body = {"order": order, "published_course": {"id": publication_id}}
        path = f"{self._published_path(published_path_id)}/path-items"
        self._json("POST", path, body, kind="paths", key=key, fields=("id",))

    def move_path_item(self, published_path_id: str, item_id: str, order: int, *, key: str) -> None:
        path = f"{self._published_path(published_path_id)}/path-items/{_segment(item_id)}"
        self._json("PATCH", path, {"order": order}, kind="paths", key=key)

    def delete_path_item(self, published_path_id: str, item_id: str, *, key: str) -> None:
        self._delete(
            f"{self._published_path(published_path_id)}/path-items/{_segment(item_id)}", kind="paths", key=key
        )

    def list_path_labels(self, published_path_id: str) -> Iterator[dict[str, Any]]:
        return follow_next(
            self.http,
            f"{self._published_path(published_path_id)}/labels",
            kind="paths",
            item_fields=("label.id", "label.name"),
        )

    def add_path_label(self, published_path_id: str, label_id: str, *, key: str) -> None:
        path = f"{self._published_path(published_path_id)}/labels"
        self._json("POST", path, {"label": {"id": label_id}}, kind="paths", key=key)

    def remove_path_label(self, published_path_id: str, label_id: str, *, key: str) -> None:
        self._delete(
            f"{self._published_path(published_path_id)}/labels/{_segment(label_id)}", kind="paths", key=key
        )

    def list_labels(self) -> Iterator[dict[str, Any]]:
        """The organisation's labels (1000 per page)."""
        return follow_next(
            self.http,
            "/v1/labels",
            params={"page_size": LIST_PAGE_SIZE},
            kind="labels",
            item_fields=("id", "name"),
        )

    def create_label(self, name: str, *, key: str) -> dict[str, Any]:
        return self._json("POST", "/v1/labels", {"name": name}, kind="labels", key=key, fields=("id",))

    def list_plans(self) -> Iterator[dict[str, Any]]:
        return follow_next(self.http, f"{self._domain_path}/plan", kind="plans", item_fields=("id", "name"))

    # Enrollments in a published course, a published path or a plan

    def _enrollments_path(self, target_type: str, target_id: str) -> str:
        collection, enrollments = _ENROLLMENT_PATHS[target_type]
        return f"{self._domain_path}/{collection}/{_segment(target_id)}/{enrollments}"

    def list_enrollments(self, target_type: str, target_id: str) -> Iterator[dict[str, Any]]:
        path = self._enrollments_path(target_type, target_id)
        return follow_next(
            self.http,
            path,
            params={"page_size": LIST_PAGE_SIZE},
            kind="enrollments",
            item_fields=("id", "user.id", "user.email"),
        )

    def enroll(
        self, target_type: str, target_id: str, body: Mapping[str, Any], *, key: str
    ) -> dict[str, Any]:
        """Creates an enrollment; with an explicit `enrolled_at` Skilljar makes this safe to repeat."""
        path = self._enrollments_path(target_type, target_id)
        result: dict[str, Any] = self.http.json(
            "POST", path, json_body=dict(body), kind="enrollments", key=key, idempotent=True, fields=()
        )
        return result

    def update_enrollment(
        self, target_type: str, target_id: str, enrollment_id: str, fields: Mapping[str, Any], *, key: str
    ) -> dict[str, Any]:
        path = f"{self._enrollments_path(target_type, target_id)}/{_segment(enrollment_id)}"
        return self._json("PATCH", path, dict(fields), kind="enrollments", key=key)

    # Webhooks

    def list_webhooks(self) -> Iterator[dict[str, Any]]:
        return follow_next(self.http, "/v1/webhooks", kind="webhooks", item_fields=("id", "target_url"))

    def create_webhook(self, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        return self._json("POST", "/v1/webhooks", dict(fields), kind="webhooks", key=key, fields=("id",))

    def update_webhook(self, webhook_id: str, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        return self._json(
            "PATCH", f"/v1/webhooks/{_segment(webhook_id)}", dict(fields), kind="webhooks", key=key
        )

    def delete_webhook(self, webhook_id: str, *, key: str) -> None:
        self._delete(f"/v1/webhooks/{_segment(webhook_id)}", kind="webhooks", key=key)

    # Instructor-led training (skilljar.md D79 to D83)

    def list_lessons(self, course_id: str) -> Iterator[dict[str, Any]]:
        """One course's lessons (`course_id` is required)."""
        params = {"course_id": course_id, "page_size": LIST_PAGE_SIZE}
        return follow_next(
            self.http, "/v1/lessons", params=params, kind="lessons", item_fields=("id", "title")
        )

    def list_instructors(self, email: str | None = None) -> Iterator[dict[str, Any]]:
        """The instructors (answered without their ids: skilljar.md D80), or the one with `email`."""
        params: dict[str, Any] = {"page_size": LIST_PAGE_SIZE}
        if email is not None:
            params["email"] = email
        return follow_next(
            self.http, "/v1/ilt-instructors", params=params, kind="instructors", item_fields=("email",)
        )

    def create_instructor(self, email: str, *, key: str) -> dict[str, Any]:
        body = {"email": email}
        return self._json("POST", "/v1/ilt-instructors", body, kind="instructors", key=key, fields=("email",))

    def list_sessions(self) -> Iterator[dict[str, Any]]:
        params = {"page_size": LIST_PAGE_SIZE}
        return follow_next(self.http, "/v1/ilt-sessions", params=params, kind="sessions", item_fields=("id",))

    def create_session(self, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        return self._json("POST", "/v1/ilt-sessions", dict(fields), kind="sessions", key=key, fields=("id",))

    def replace_session(self, session_id: str, fields: Mapping[str, Any], *, key: str) -> None:
        """Every field of the session (PUT: skilljar.md D79)."""
        self._json("PUT", f"/v1/ilt-sessions/{_segment(session_id)}", dict(fields), kind="sessions", key=key)
