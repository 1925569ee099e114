"""Skilljar's endpoints, as its OpenAPI spec spells them, and what lmsform does with each (see
lmsform.providers.endpoints; docs/coverage.md is generated from this)."""

from __future__ import annotations

from lmsform.kinds import (
    COURSES,
    DOMAIN,
    ENROLLMENTS,
    GROUPS,
    INSTRUCTORS,
    LESSONS,
    MEMBERSHIPS,
    PATHS,
    PLANS,
    PUBLICATIONS,
    SESSIONS,
    SUPERVISORS,
    USERS,
    WEBHOOKS,
)
from lmsform.plan import Action
from lmsform.providers.endpoints import Handling, Unmanaged, VendorEndpoints

_DOMAIN = "/v1/domains/{domain_name}"
_DOMAIN_USER = f"PATCH {_DOMAIN}/users/{{user_id}}"
_USER = "PATCH /v1/users/{user_id}"
_PUBLICATION = f"{_DOMAIN}/published-courses/{{published_course_id}}"
_ENROLLMENTS = (
    f"{_PUBLICATION}/enrollments",
    f"{_DOMAIN}/published-paths/{{published_path_id}}/published-path-enrollments",
    f"{_DOMAIN}/plan/{{plan_id}}/plan-enrollments",
)
_ENROLLMENT_ITEMS = (
    f"{_ENROLLMENTS[0]}/{{enrollment_id}}",
    f"{_ENROLLMENTS[1]}/{{published_path_enrollment_id}}",
    f"{_ENROLLMENTS[2]}/{{plan_enrollment_id}}",
)
_SIGNUP_VALUES = f"POST {_DOMAIN}/users/{{user_id}}/signup-fields-bulk"
_PUBLISHED_PATH = f"{_DOMAIN}/published-paths/{{published_path_id}}"
_PATH_ITEMS = f"{_PUBLISHED_PATH}/path-items"
_PATH_LABELS = f"{_PUBLISHED_PATH}/labels"
# What a path's items and labels take (skilljar.md D60 to D62): labels by id, made when missing.
_PATH_CONTENTS = (
    f"POST {_PATH_ITEMS}",
    f"PATCH {_PATH_ITEMS}/{{path_item_id}}",
    f"DELETE {_PATH_ITEMS}/{{path_item_id}}",
    f"POST {_PATH_LABELS}",
    f"DELETE {_PATH_LABELS}/{{label_id}}",
    "GET /v1/labels",
    "POST /v1/labels",
    # Its catalogue tags and visibility overrides, as a publication's (skilljar.md D85).
    f"POST {_PUBLISHED_PATH}/tags",
    f"DELETE {_PUBLISHED_PATH}/tags/{{tag_id}}",
    f"POST {_PUBLISHED_PATH}/visibility-overrides",
    f"DELETE {_PUBLISHED_PATH}/visibility-overrides/{{student_group_id}}",
    "POST /v1/tags",
)
_MANAGER_ACCESS = f"{_DOMAIN}/users/{{user_id}}/manager-access"
# A publication's catalogue rules (skilljar.md D70): what apply may call to make them what is declared.
_RULE_LISTS = (
    f"{_PUBLICATION}/published-course-prerequisites",
    f"{_PUBLICATION}/student-group-prerequisites",
    f"{_PUBLICATION}/visibility-overrides",
    f"{_PUBLICATION}/tags",
)
_RULE_ITEMS = (
    f"{_RULE_LISTS[0]}/{{prerequisite_published_course_id}}",
    f"{_RULE_LISTS[1]}/{{student_group_id}}",
    f"{_RULE_LISTS[2]}/{{student_group_id}}",
    f"{_RULE_LISTS[3]}/{{tag_id}}",
)
_REENROLLMENT_RULE = f"{_PUBLICATION}/reenrollment_rule"
_RULE_WRITES = (
    *(f"POST {path}" for path in _RULE_LISTS),
    *(f"DELETE {path}" for path in _RULE_ITEMS),
    f"POST {_REENROLLMENT_RULE}",
    f"PATCH {_REENROLLMENT_RULE}",
    f"DELETE {_REENROLLMENT_RULE}",
    "POST /v1/tags",
)

_CONTENT = (
    "course content and catalogue pages are authored in Skilljar's dashboard: lmsform manages who may "
    "learn what, not what a course contains"
)
_COMMERCE = (
    "selling access (offers, promotions, codes, licences) is out of lmsform's scope: it manages people, "
    "groups, courses and access"
)
_ACTIVITY = "a learner's progress, registrations or purchases: records of what happened, not desired state"

ENDPOINTS = VendorEndpoints(
    spec="skilljar-v1-openapi.yml",
    calls={
        (USERS.name, Action.CREATE): (
            f"POST {_DOMAIN}/users",
            f"POST {_DOMAIN}/users/bulk-create",
            _USER,
            _DOMAIN_USER,
            _SIGNUP_VALUES,
        ),
        (USERS.name, Action.UPDATE): (_USER, _DOMAIN_USER, _SIGNUP_VALUES),
        (USERS.name, Action.DEACTIVATE): (_DOMAIN_USER,),
        (GROUPS.name, Action.CREATE): ("POST /v1/groups",),
        (GROUPS.name, Action.UPDATE): (
            "PATCH /v1/groups/{group_id}",
            "PATCH /v1/groups/{group_id}/email-domain-rules",
        ),
        (GROUPS.name, Action.DELETE): ("DELETE /v1/groups/{group_id}",),
        (MEMBERSHIPS.name, Action.CREATE): ("POST /v1/groups/{group_id}/users",),
        (MEMBERSHIPS.name, Action.DELETE): ("DELETE /v1/groups/{group_id}/users/{user_id}",),
        (COURSES.name, Action.CREATE): ("POST /v1/courses",),
        (COURSES.name, Action.UPDATE): ("PATCH /v1/courses/{course_id}",),
        (COURSES.name, Action.DELETE): ("DELETE /v1/courses/{course_id}",),
        (PUBLICATIONS.name, Action.CREATE): (f"POST {_DOMAIN}/published-courses", *_RULE_WRITES),
        (PUBLICATIONS.name, Action.UPDATE): (f"PATCH {_PUBLICATION}", *_RULE_WRITES),
        (PUBLICATIONS.name, Action.DELETE): (f"DELETE {_PUBLICATION}",),
        (ENROLLMENTS.name, Action.CREATE): tuple(f"POST {path}" for path in _ENROLLMENTS),
        (ENROLLMENTS.name, Action.UPDATE): tuple(f"PATCH {path}" for path in _ENROLLMENT_ITEMS),
        (ENROLLMENTS.name, Action.DEACTIVATE): tuple(f"PATCH {path}" for path in _ENROLLMENT_ITEMS),
        (SUPERVISORS.name, Action.REASSERT): (f"PUT {_MANAGER_ACCESS}", f"DELETE {_MANAGER_ACCESS}"),
        (PATHS.name, Action.CREATE): (f"POST {_DOMAIN}/published-paths", *_PATH_CONTENTS),
        (PATHS.name, Action.UPDATE): (
            f"PATCH {_PUBLISHED_PATH}",
            "PATCH /v1/paths/{path_id}",
            *_PATH_CONTENTS,
        ),
        (PATHS.name, Action.DELETE): (f"DELETE {_PUBLISHED_PATH}",),
        (WEBHOOKS.name, Action.CREATE): ("POST /v1/webhooks",),
        (WEBHOOKS.name, Action.UPDATE): ("PATCH /v1/webhooks/{webhook_id}",),
        (WEBHOOKS.name, Action.DELETE): ("DELETE /v1/webhooks/{webhook_id}",),
        (DOMAIN.name, Action.UPDATE): (f"PATCH {_DOMAIN}",),
        (INSTRUCTORS.name, Action.CREATE): ("POST /v1/ilt-instructors",),
        (SESSIONS.name, Action.CREATE): ("POST /v1/ilt-sessions",),
        (SESSIONS.name, Action.UPDATE): ("PUT /v1/ilt-sessions/{ilt_session_id}",),
    },
    reads={
        USERS.name: (
            "GET /v1/users",
            f"GET {_DOMAIN}/signup-fields",
            f"GET {_DOMAIN}/access-code-pools",
            f"GET {_DOMAIN}/access-code-pools/{{access_code_pool_id}}/access-codes",
        ),
        GROUPS.name: ("GET /v1/group-categories", "GET /v1/group-categories/{group_category_id}"),
        MEMBERSHIPS.name: ("GET /v1/users/{user_id}/groups",),
        ENROLLMENTS.name: (
            "GET /v1/users/{user_id}/plan-enrollments",
            "GET /v1/users/{user_id}/published-path-enrollments",
        ),
        PATHS.name: (
            f"GET {_DOMAIN}/published-paths",
            f"GET {_PATH_ITEMS}",
            f"GET {_PATH_LABELS}",
            f"GET {_PUBLISHED_PATH}/tags",
            f"GET {_PUBLISHED_PATH}/tags/{{tag_id}}",
            f"GET {_PUBLISHED_PATH}/visibility-overrides",
            f"GET {_PUBLISHED_PATH}/visibility-overrides/{{student_group_id}}",
        ),
        PLANS.name: (f"GET {_DOMAIN}/plan", f"GET {_DOMAIN}/plan/{{plan_id}}"),
        LESSONS.name: ("GET /v1/lessons",),
        INSTRUCTORS.name: ("GET /v1/ilt-instructors",),
        SESSIONS.name: ("GET /v1/ilt-sessions",),
        PUBLICATIONS.name: (
            *(f"GET {path}" for path in _RULE_LISTS),
            *(f"GET {path}" for path in _RULE_ITEMS[1:]),
            f"GET {_REENROLLMENT_RULE}",
            "GET /v1/tags",
        ),
    },
    unmanaged=(
        Unmanaged(
            Handling.OPERATIONAL,
            ("POST /v1/users/{user_id}/anonymize",),
            "erases a person's data for good: a one-off request, never something to reconcile",
        ),
        Unmanaged(
            Handling.OPERATIONAL,
            (f"{_DOMAIN}/users/{{user_id}}/invites*",),
            "sends an invitation e-mail: an action, not a state",
        ),
        Unmanaged(
            Handling.OPERATIONAL,
            ("POST /v1/webhooks/{webhook_id}/ping", "GET /v1/webhooks/sample-*", "GET /v1/ping"),
            "a test call or a sample answer: nothing is kept",
        ),
        Unmanaged(
            Handling.OPERATIONAL,
            (
                "/v1/users/{user_id}/published-courses*",
                "/v1/lesson-progress*",
                "/v1/progresstokens*",
                "/v1/purchases*",
                "/v1/vilt-session-registrations*",
                "/v1/vilt-session-events*",
            ),
            _ACTIVITY,
        ),
        Unmanaged(
            Handling.REFUSED,
            ("/v1/domains",),
            "Skilljar makes an organisation's domains: lmsform works on the one lmsform.yaml names and "
            "manages its settings (`domain:`)",
        ),
        Unmanaged(
            Handling.REFUSED,
            ("/v1/paths", "/v1/paths/{path_id}/path-items*"),
            "lmsform manages a learning path through its publication on the domain (`paths:`), items "
            "included; the organisation-wide path list shows the same paths",
        ),
        Unmanaged(
            Handling.REFUSED,
            ("/v1/tags/{tag_id}",),
            "lmsform puts tags on publications by name and makes the missing ones (skilljar.md D73); "
            "renaming or deleting one of the organisation's tags is done in Skilljar's dashboard",
        ),
        Unmanaged(
            Handling.REFUSED,
            (f"{_DOMAIN}/users/{{user_id}}/signup-fields*",),
            "lmsform sets a user's sign-up field values all at once (`attributes:`); the fields themselves "
            "are made in Skilljar's dashboard",
        ),
        Unmanaged(
            Handling.REFUSED,
            ("/v1/labels*", "/v1/courses/{course_id}/labels*"),
            "lmsform sets a course's labels by name with the course (`labels:`), not label by label",
        ),
        Unmanaged(
            Handling.REFUSED,
            ("/v1/ilt-instructors/{id}",),
            "no answer holds the id an instructor's change or removal takes, so lmsform adds instructors "
            "and never changes or removes one (skilljar.md D80)",
        ),
        Unmanaged(
            Handling.REFUSED,
            ("/v1/ilt-multi-session-events*",),
            "lmsform manages sessions of one lesson (`sessions:`), not events of several sessions: make "
            "those in Skilljar's dashboard (skilljar.md D82)",
        ),
        Unmanaged(
            Handling.REFUSED,
            (
                "/v1/assets*",
                "/v1/lessons*",
                "/v1/quizzes*",
                "/v1/quiz-questions*",
                "/v1/question-banks*",
                "/v1/web-packages*",
                f"{_DOMAIN}/catalog-pages*",
                f"{_DOMAIN}/course-series*",
            ),
            _CONTENT,
        ),
        Unmanaged(
            Handling.REFUSED,
            (
                "/v1/offers*",
                "/v1/promo-code-pools*",
                "/v1/promo-codes*",
                "/v1/training-credit-codes*",
                "/v1/license-packages*",
                f"{_DOMAIN}/access-code-pools*",
                "/v1/groups/{group_id}/access-code-pools*",
            ),
            _COMMERCE,
        ),
    ),
)
