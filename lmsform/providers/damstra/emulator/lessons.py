"""Lessons, read-only: `GET /lesson` and `GET /lessondetails` (damstra.md Lessons).

* One row per lesson, showing its current version (L1): the highest published version, or the highest
  version when none was ever published.
* `publishedStates`: absent → every status; a comma-separated list and repeated parameters are both
  read; an unknown status → 400 (L2). `lessonIds`: comma-separated or repeated; non-numeric → 400
  (L4). `q`: case-insensitive substring of the lesson name (L3). Rows by ascending `lessonId`.
* `/lesson` rows carry custom fields, `questionnaireType` and F1 dates (the current version's);
  `/lessondetails` rows are thinner plus the numeric `published` code (L5): 65 for `active` (the one
  documented value), invented 66 inactive, 67 never, 68 rendering, 69 error (L6). Only `/lessondetails`
  has the extra envelope keys (`id: "null"`, `createdDate`, `modifiedDate`, in `meta` and at the top, P8),
  dated now in F1.
"""

from __future__ import annotations

from typing import Any

import flask

from lmsform.providers.damstra.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.damstra.emulator.dates import f1
from lmsform.providers.damstra.emulator.errors import bad_request
from lmsform.providers.damstra.emulator.lesson_store import (
    LESSON_STATUSES,
    CustomFieldValue,
    LessonFilter,
    LessonRecord,
)
from lmsform.providers.damstra.emulator.organisation_store import CLIENT_ID
from lmsform.providers.damstra.emulator.paging import envelope
from lmsform.providers.damstra.emulator.requests_in import query_list, query_text
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.emulation.flask_kit import json_response

PUBLISHED_CODES = {"active": 65, "inactive": 66, "never": 67, "rendering": 68, "error": 69}


def _custom_field_json(value: CustomFieldValue) -> dict[str, Any]:
    return {
        "lessonVersionId": value.lesson_version_id,
        "customFieldId": value.custom_field_id,
        "customFieldDescription": value.description,
        "fieldId": value.field_id,
        "type": value.type,
        "value": value.value,
        "id": value.id,
        "createdDate": f1(value.created_at),
        "modifiedDate": f1(value.created_at),
    }


def lessons_json(store: DamstraStore, lessons: list[LessonRecord]) -> list[dict[str, Any]]:
    values = store.custom_field_values([lesson.current_version.id for lesson in lessons])
    rows = []
    for lesson in lessons:
        version = lesson.current_version
        rows.append(
            {
                "lessonVersionId": version.id,
                "lessonId": lesson.id,
                "name": lesson.name,
                "duration": lesson.duration,
                "status": lesson.status,
                "inLibrary": lesson.in_library,
                "version": version.version,
                "questionnaireType": lesson.questionnaire_type,
                "clientId": CLIENT_ID,
                "lessonVersionCustomFields": [_custom_field_json(value) for value in values[version.id]],
                "createdDate": f1(version.created_at),
                "modifiedDate": f1(version.modified_at),
            }
        )
    return rows


def lesson_details_json(lesson: LessonRecord) -> dict[str, Any]:
    version = lesson.current_version
    return {
        "lessonVersionId": version.id,
        "lessonId": lesson.id,
        "name": lesson.name,
        "published": PUBLISHED_CODES[lesson.status],
        "duration": lesson.duration,
        "status": lesson.status,
        "inLibrary": lesson.in_library,
        "version": version.version,
        "clientId": CLIENT_ID,
    }


def _requested_filter() -> LessonFilter:
    statuses = query_list("publishedStates")
    unknown = [status for status in statuses if status not in LESSON_STATUSES]
    if unknown:
        raise bad_request(
            f"publishedStates must be among {', '.join(LESSON_STATUSES)}; not {', '.join(unknown)}"
        )
    lesson_ids = query_list("lessonIds")
    if not all(item.isdigit() for item in lesson_ids):
        raise bad_request("lessonIds must be comma-separated integer ids")
    return LessonFilter(
        statuses=tuple(statuses) or LESSON_STATUSES,
        lesson_ids=tuple(int(item) for item in lesson_ids) or None,
        name_part=query_text("q"),
    )


class LessonApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/lesson", {"GET": Operation(self.list_lessons, terse_auth_error=True)}),
            ("/lessondetails", {"GET": Operation(self.list_lesson_details, terse_auth_error=True)}),
        )

    def list_lessons(self) -> flask.Response:
        lesson_filter, window = _requested_filter(), self.window()
        total, lessons = self.store.find_lessons(lesson_filter, window.offset, window.limit)
        return json_response(envelope(window, total, lessons_json(self.store, lessons)))

    def list_lesson_details(self) -> flask.Response:
        lesson_filter, window = _requested_filter(), self.window()
        total, lessons = self.store.find_lessons(lesson_filter, window.offset, window.limit)
        page = envelope(window, total, [lesson_details_json(lesson) for lesson in lessons])
        now = f1(self.store.now_stored())
        extras = {"id": "null", "createdDate": now, "modifiedDate": now}
        page["meta"].update(extras)
        return json_response({**page, **extras})
