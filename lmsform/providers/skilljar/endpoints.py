"""Skilljar's endpoints, as its OpenAPI spec spells them, and what lmsform does with each (see
lmsform.providers.endpoints; docs/coverage.md is generated from this)."""

from __future__ import annotations

from lmsform.kinds import (
    COURSES,
    ENROLLMENTS,
    GROUPS,
    MEMBERSHIPS,
    PATHS,
    PLANS,
    PUBLICATIONS,
    SUPERVISORS,
    USERS,
    WEBHOOKS,
)
from lmsform.plan import Action
from lmsform.providers.endpoints import Declared, Handling, Unmanaged, VendorEndpoints

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
_MANAGER_ACCESS = f"{_DOMAIN}/users/{{user_id}}/manager-access"

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
        (GROUPS.name, Action.UPDATE): ("PATCH /v1/groups/{group_id}",),
        (GROUPS.name, Action.DELETE): ("DELETE /v1/groups/{group_id}",),
        (MEMBERSHIPS.name, Action.CREATE): ("POST /v1/groups/{group_id}/users",),
        (MEMBERSHIPS.name, Action.DELETE): ("DELETE /v1/groups/{group_id}/users/{user_id}",),
        (COURSES.name, Action.CREATE): ("POST /v1/courses",),
        (COURSES.name, Action.UPDATE): ("PATCH /v1/courses/{course_id}",),
        (COURSES.name, Action.DELETE): ("DELETE /v1/courses/{course_id}",),
        (PUBLICATIONS.name, Action.CREATE): (f"POST {_DOMAIN}/published-courses",),
        (PUBLICATIONS.name, Action.UPDATE): (f"PATCH {_PUBLICATION}",),
        (PUBLICATIONS.name, Action.DELETE): (f"DELETE {_PUBLICATION}",),
        (ENROLLMENTS.name, Action.CREATE): tuple(f"POST {path}" for path in _ENROLLMENTS),
        (ENROLLMENTS.name, Action.UPDATE): tuple(f"PATCH {path}" for path in _ENROLLMENT_ITEMS),
        (ENROLLMENTS.name, Action.DEACTIVATE): tuple(f"PATCH {path}" for path in _ENROLLMENT_ITEMS),
        (SUPERVISORS.name, Action.REASSERT): (f"PUT {_MANAGER_ACCESS}", f"DELETE {_MANAGER_ACCESS}"),
        (WEBHOOKS.name, Action.CREATE): ("POST /v1/webhooks",),
        (WEBHOOKS.name, Action.UPDATE): ("PATCH /v1/webhooks/{webhook_id}",),
        (WEBHOOKS.name, Action.DELETE): ("DELETE /v1/webhooks/{webhook_id}",),
    },
    reads={
        USERS.name: (
            "GET /v1/users",
            f"GET {_DOMAIN}/signup-fields",
            f"GET {_DOMAIN}/access-code-pools",
            f"GET {_DOMAIN}/access-code-pools/{{access_code_pool_id}}/access-codes",
        ),
        MEMBERSHIPS.name: ("GET /v1/users/{user_id}/groups",),
        ENROLLMENTS.name: (
            "GET /v1/users/{user_id}/plan-enrollments",
            "GET /v1/users/{user_id}/published-path-enrollments",
        ),
        PATHS.name: (f"GET {_DOMAIN}/published-paths",),
        PLANS.name: (f"GET {_DOMAIN}/plan", f"GET {_DOMAIN}/plan/{{plan_id}}"),
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
            ("/v1/domains", f"{_DOMAIN}"),
            "lmsform reads the domain only to check the key reaches it; its settings are made in "
            "Skilljar's dashboard",
        ),
        Unmanaged(
            Handling.REFUSED,
            (f"{_DOMAIN}/published-paths*", "/v1/paths*"),
            "lmsform does not make or change learning paths: enrollments and supervisors name existing ones",
        ),
        Unmanaged(
            Handling.REFUSED,
            (
                f"{_PUBLICATION}/published-course-prerequisites*",
                f"{_PUBLICATION}/student-group-prerequisites*",
                f"{_PUBLICATION}/visibility-overrides*",
                f"{_PUBLICATION}/reenrollment_rule",
                f"{_PUBLICATION}/tags*",
            ),
            "lmsform does not manage a publication's catalogue rules (prerequisites, visibility, "
            "re-enrollment, tags)",
        ),
        Unmanaged(
            Handling.REFUSED,
            ("/v1/groups/{group_id}/email-domain-rules", "/v1/group-categories*"),
            "lmsform does not manage groups' membership rules or categories: a plan warns that a group "
            "has rules",
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
            ("/v1/ilt-*",),
            Declared("sessions"),
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
                "/v1/tags*",
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
