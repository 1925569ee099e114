"""Damstra's endpoints, as its document lists them (it has no machine-readable spec), and what lmsform
does with each (see lmsform.providers.endpoints; docs/coverage.md is generated from this)."""

from __future__ import annotations

from lmsform.kinds import ENROLLMENTS, GROUP_SUPERVISORS, GROUPS, LESSONS, MEMBERSHIPS, SESSIONS, USERS
from lmsform.plan import Action
from lmsform.providers.endpoints import Handling, Unmanaged, VendorEndpoints

_USER = "/user/{userId}"
_GROUP = "/group/{groupId}"
_SESSION = "/ilt_session/{iltSessionId}"
_ACTIVATION = (f"POST {_USER}/activate", f"POST {_USER}/inactivate")

ENDPOINTS = VendorEndpoints(
    # Every operation of the document's reference part, in its order (damstra.md Users, Groups,
    # Lessons, Schedules, Completion): users, groups, lessons, lesson schedules, instructor-led
    # sessions and the embedded player.
    documented=(
        "GET /user",
        f"GET {_USER}",
        "POST /user",
        f"POST {_USER}",
        "POST /bulkUserImport",
        *_ACTIVATION,
        f"POST {_USER}/generate_login_url",
        "GET /group",
        f"GET {_GROUP}",
        "POST /group",
        f"POST {_GROUP}",
        f"GET {_GROUP}/member",
        f"POST {_GROUP}/add_members",
        f"POST {_GROUP}/remove_members",
        f"GET {_GROUP}/supervisor",
        f"POST {_GROUP}/add_supervisors",
        f"POST {_GROUP}/remove_supervisors",
        f"POST {_GROUP}/inactivate",
        "GET /lesson",
        "GET /lessondetails",
        "GET /lesson_schedule/{lessonScheduleId}",
        f"GET {_USER}/lesson_schedule",
        f"POST {_USER}/lesson_schedule",
        "POST /lesson_schedule/{userId}/complete_lesson",
        "GET /lesson_schedule/{lessonScheduleId}/certificate",
        "GET /ilt_session",
        f"GET {_SESSION}",
        "POST /ilt_session",
        f"PATCH {_SESSION}",
        f"POST {_SESSION}/complete",
        f"POST {_SESSION}/cancel_session",
        f"POST {_SESSION}/bulk_register",
        f"POST {_SESSION}/bulk_deregister",
        f"GET {_SESSION}/attendees",
        f"POST {_SESSION}/save_progress",
        "GET /embed_player",
        "GET /embed_player/version/{lessonScheduleId}",
    ),
    calls={
        (USERS.name, Action.CREATE): ("POST /user", "POST /bulkUserImport", f"POST {_USER}/inactivate"),
        (USERS.name, Action.UPDATE): (f"POST {_USER}", "POST /bulkUserImport", *_ACTIVATION),
        (USERS.name, Action.DEACTIVATE): (f"POST {_USER}/inactivate",),
        (GROUPS.name, Action.CREATE): ("POST /group",),
        (GROUPS.name, Action.UPDATE): (f"POST {_GROUP}",),
        (GROUPS.name, Action.DELETE): (f"POST {_GROUP}/inactivate",),
        (MEMBERSHIPS.name, Action.CREATE): (f"POST {_GROUP}/add_members",),
        (MEMBERSHIPS.name, Action.DELETE): (f"POST {_GROUP}/remove_members",),
        (GROUP_SUPERVISORS.name, Action.CREATE): (f"POST {_GROUP}/add_supervisors",),
        (GROUP_SUPERVISORS.name, Action.DELETE): (f"POST {_GROUP}/remove_supervisors",),
        (ENROLLMENTS.name, Action.CREATE): (f"POST {_USER}/lesson_schedule",),
        (SESSIONS.name, Action.CREATE): (
            "POST /ilt_session",
            "GET /ilt_session",
            f"PATCH {_SESSION}",
            f"POST {_SESSION}/bulk_register",
            f"POST {_SESSION}/cancel_session",
        ),
        (SESSIONS.name, Action.UPDATE): (
            f"PATCH {_SESSION}",
            f"POST {_SESSION}/bulk_register",
            f"POST {_SESSION}/bulk_deregister",
        ),
        (SESSIONS.name, Action.DELETE): (f"POST {_SESSION}/cancel_session",),
    },
    reads={
        # Each user carries its groups and the groups it supervises (damstra.md Facts): the
        # per-group lists are not needed, but read the same relations.
        MEMBERSHIPS.name: (f"GET {_GROUP}/member",),
        GROUP_SUPERVISORS.name: (f"GET {_GROUP}/supervisor",),
        LESSONS.name: ("GET /lesson", "GET /lessondetails"),
        ENROLLMENTS.name: ("GET /lesson_schedule/{lessonScheduleId}",),
        SESSIONS.name: (f"GET {_SESSION}/attendees",),
    },
    unmanaged=(
        Unmanaged(
            Handling.OPERATIONAL,
            (
                f"POST {_USER}/generate_login_url",
                "GET /embed_player*",
                "GET /lesson_schedule/{lessonScheduleId}/certificate",
            ),
            "a login link, a player or a certificate for one learner: handed out, not kept",
        ),
        Unmanaged(
            Handling.OPERATIONAL,
            (
                "POST /lesson_schedule/{userId}/complete_lesson",
                f"POST {_SESSION}/complete",
                f"POST {_SESSION}/save_progress",
            ),
            "records that a learner finished or attended: activity, not desired state",
        ),
    ),
)
