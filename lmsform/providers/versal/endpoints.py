"""Versal's endpoints, as its Swagger spec spells them, and what lmsform does with each (see
lmsform.providers.endpoints; docs/coverage.md is generated from this)."""

from __future__ import annotations

from lmsform.kinds import ENROLLMENTS, ORG_COURSES, USERS
from lmsform.plan import Action
from lmsform.providers.endpoints import Declared, Handling, Unmanaged, VendorEndpoints

_PROFILE = "PUT /users/{userId}"
_ROLE = "PUT /orgs/{orgId}/users/{userId}"
_COURSE_USER = "PATCH /courses/{courseId}/users/{userId}"

ENDPOINTS = VendorEndpoints(
    spec="versal-swagger.json",
    calls={
        (USERS.name, Action.CREATE): ("POST /orgs/{orgId}/users", _PROFILE),
        (USERS.name, Action.UPDATE): (_PROFILE, _ROLE),
        (USERS.name, Action.REASSERT): (_PROFILE, _ROLE),
        (USERS.name, Action.DELETE): (
            "DELETE /orgs/{orgId}/users/{userId}",
            "POST /orgs/{orgId}/delete_users",
        ),
        (ENROLLMENTS.name, Action.CREATE): (_COURSE_USER,),
        (ENROLLMENTS.name, Action.UPDATE): (_COURSE_USER,),
        (ENROLLMENTS.name, Action.REASSERT): (_COURSE_USER,),
        (ENROLLMENTS.name, Action.DELETE): (_COURSE_USER,),
    },
    reads={
        USERS.name: ("GET /orgs/{orgId}/members",),
        ORG_COURSES.name: ("GET /courses",),
        ENROLLMENTS.name: ("GET /courses/{courseId}/userdata",),
    },
    unmanaged=(
        Unmanaged(
            Handling.OPERATIONAL,
            ("POST /sessions", "GET /user"),
            "a session acting as one learner (to launch the course player): lmsform acts as the "
            "organisation, with its API key",
        ),
        Unmanaged(
            Handling.OPERATIONAL,
            ("GET /courses/{courseId}/lessons/{lessonId}/gadgets/{gadgetId}/userdata",),
            "learners' answers in a course: activity, not desired state",
        ),
        Unmanaged(
            Handling.REFUSED,
            ("GET /courses/{courseId}*", "GET /catalogs/staged/courses/*"),
            Declared("courses"),
        ),
    ),
)
