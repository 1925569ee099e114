"""Response objects, built from store records (versal.md Models). Optional fields are omitted, never
null (versal.md Values).

* `displayname` and `fn`: `fullname` if set, else `firstname lastname` trimmed, else the e-mail's local
  part (versal.md D17).
* User ids are decimal strings everywhere in bodies (versal.md Values).
* Course views carry `users` (the editors, versal.md D8); `lastPublished` only on a published course;
  `lessons` only when a `depth` asked for them, with `gadgets` only at depth `full`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lmsform.providers.versal.emulator.course_store import CourseRecord, GadgetRecord, LessonRecord
from lmsform.providers.versal.emulator.dates import answered
from lmsform.providers.versal.emulator.learner_store import Progress
from lmsform.providers.versal.emulator.options import DateFields
from lmsform.providers.versal.emulator.user_store import MemberRecord, UserRecord


def local_part(email: str) -> str:
    return email.rsplit("@", 1)[0]


def display_name(user: UserRecord) -> str:
    if user.fullname:
        return user.fullname
    joined = " ".join(part for part in (user.firstname, user.lastname) if part).strip()
    return joined or local_part(user.email)


def _present(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def user_view(user: UserRecord) -> dict[str, Any]:
    """`User_View_Model`."""
    name = display_name(user)
    return {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        **_present(firstname=user.firstname, lastname=user.lastname, fullname=user.fullname),
        "fn": name,
        "displayname": name,
        **_present(longDesc=user.long_desc, shortDesc=user.short_desc),
    }


def org_user_view(member: MemberRecord) -> dict[str, Any]:
    """`Org_User_View_Model`."""
    return {"roles": list(member.roles), "user": user_view(member.user)}


def org_member_view(member: MemberRecord) -> dict[str, Any]:
    """`Org_Member_View_Model`: the short `Member_View_Model` and the org roles (`[]` when role-less)."""
    user = member.user
    short = {
        "id": str(user.id),
        **_present(firstname=user.firstname, lastname=user.lastname, fullname=user.fullname),
        "email": user.email,
    }
    return {"user": short, "roles": list(member.roles)}


def course_view(course: CourseRecord, editors: Sequence[UserRecord], dates: DateFields) -> dict[str, Any]:
    """`Base_Course_View_Model`."""
    return {
        "id": str(course.id),
        "courseId": str(course.id),
        "catalogs": list(course.catalogs),
        **_present(coverImage=course.cover_image),
        "createdAt": answered(course.created_at, dates),
        "public": course.public,
        **_present(longDesc=course.long_desc, shortDesc=course.short_desc),
        "tags": list(course.tags),
        **_present(title=course.title),
        "users": [user_view(user) for user in editors],
    }


def gadget_config(gadget: GadgetRecord, *, private: bool) -> dict[str, Any]:
    """The gadget's config; the private fields only for a user with edit rights (versal.md Gadgets)."""
    return {**gadget.config, **gadget.private} if private else dict(gadget.config)


def lesson_view(
    lesson: LessonRecord, gadgets: Sequence[GadgetRecord] | None, *, private: bool
) -> dict[str, Any]:
    """`Lesson_View_Model`; `gadgets` None leaves the key out (depth `lessons`)."""
    view: dict[str, Any] = {"id": lesson.id, "title": lesson.title}
    if gadgets is not None:
        view["gadgets"] = [
            {"id": gadget.id, "type": gadget.type, "config": gadget_config(gadget, private=private)}
            for gadget in gadgets
        ]
    return view


def position_view(progress: Progress, dates: DateFields) -> dict[str, Any]:
    """The seed's `currentPosition` (not in the spec; shown to session callers only, versal.md Models)."""
    return _present(
        currentLessonId=progress.current_lesson_id,
        currentLessonIndex=progress.current_lesson_index,
        updatedAt=None if progress.last_activity is None else answered(progress.last_activity, dates),
    )


def progress_view(
    user: UserRecord, course: CourseRecord, progress: Progress, dates: DateFields
) -> dict[str, Any]:
    """`Learner_Progress_View_Model`; dates and the current lesson are omitted until the learner starts."""

    def date(value: str | None) -> str | None:
        return None if value is None else answered(value, dates)

    return {
        "id": str(user.id),
        "email": user.email,
        **_present(firstname=user.firstname, lastname=user.lastname, fullname=user.fullname),
        **_present(
            title=course.title, startDate=date(progress.start_date), lastActivity=date(progress.last_activity)
        ),
        "courseCompleted": progress.completed,
        **_present(
            completeDate=date(progress.complete_date) if progress.completed else None,
            currentLesson=progress.current_lesson_index,
            currentLessonId=progress.current_lesson_id,
        ),
    }


def gadget_userdata_view(user: UserRecord, state: dict[str, Any]) -> dict[str, Any]:
    """`Gadget_User_Data_View_Model`."""
    return {"user": user_view(user), "state": state}
