"""Which org and course a caller may reach, with the statuses versal.md Auth, Values and Operations decide.

* `orgId`: not all digits → 400; no such org → 404 "Org not found" (403 where the operation declares
  no 404); another org than the caller's → 403.
* `courseId`: unknown (or not all digits) → 404 "Not found"; another org's course → 403.
* A session user can *edit* a course when it is an org admin or holds `author`, `contributor` or
  `publisher` on it. Editors and API keys see every course of the org; other sessions only published
  ones (403 for the rest, and they are left out of `GET /courses`). Only editing *sessions* see a
  gadget's private fields (versal.md Gadgets).
* The "staged" endpoints serve the published revision only: a course never published → 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from lmsform.providers.versal.emulator.auth import Caller
from lmsform.providers.versal.emulator.course_store import CourseRecord
from lmsform.providers.versal.emulator.errors import ApiError, not_found, permission_denied
from lmsform.providers.versal.emulator.requests_in import digits_id, path_integer
from lmsform.providers.versal.emulator.store import VersalStore


def caller_org(store: VersalStore, caller: Caller, org_text: str, *, missing_status: int = 404) -> int:
    org_id = path_integer(org_text)
    if store.org(org_id) is None:
        raise ApiError(missing_status, "Org not found") if missing_status == 404 else permission_denied()
    if org_id != caller.org_id:
        raise permission_denied()
    return org_id


def session_is_org_admin(store: VersalStore, caller: Caller) -> bool:
    if caller.user_id is None:
        return False
    member = store.member(caller.org_id, caller.user_id)
    return member is not None and "admin" in member.roles


@dataclass(frozen=True)
class CourseAccess:
    course: CourseRecord
    editor: bool
    """An API key, or a session user with edit rights."""
    private: bool
    """Sees gadgets' private fields: a session user with edit rights."""


def caller_course(
    store: VersalStore, caller: Caller, course_text: str, *, published: bool = False
) -> CourseAccess:
    course_id = digits_id(course_text)
    course = None if course_id is None else store.course(course_id)
    if course is None:
        raise not_found()
    if course.org_id != caller.org_id:
        raise permission_denied()
    user_id = caller.user_id
    session_editor = user_id is not None and (
        session_is_org_admin(store, caller) or store.can_edit(course.id, user_id)
    )
    editor = caller.is_key or session_editor
    if published and not course.published:
        raise not_found()
    if not editor and not course.published:
        raise permission_denied()
    return CourseAccess(course, editor, session_editor)
