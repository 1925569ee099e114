"""The Training Record resource: list, create, read, update (PUT and PATCH) and delete
(training-records.md Records).

* Create: 201 with the record, `package_desc` copied from the package and `date_assigned` now. A
  client `api_id` already in use answers 400 (training-records.md D4); several records may share a
  person and package.
* Read, update, delete look the record up first, so an unknown `api_id` answers 404 before the body
  is read.
* PUT replaces: `person_api_id` and `package_api_id` are required and a date not sent becomes null.
  PATCH changes only what it sends (an empty body changes nothing). Both answer 200 with the record.
* `package_desc` is copied again only when `package_api_id` changes to another package; re-sending the
  same package keeps the copy, even if the package's description has changed since.
* Delete answers 204 with an empty body.
* List: `search` and paging (`paging`), in creation order.
"""

from __future__ import annotations

import re
from typing import Literal

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.training_records.emulator.context import (
    ApiArea,
    Route,
    Routes,
)
from lmsform.providers.training_records.emulator.dates import now_stored
from lmsform.providers.training_records.emulator.errors import FieldErrors, not_found
from lmsform.providers.training_records.emulator.paging import requested_page
from lmsform.providers.training_records.emulator.record_fields import (
    DUPLICATE_ID,
    ID_CHANGED,
    REFERENCES,
    WRITABLE,
    check_references,
    read_fields,
)
from lmsform.providers.training_records.emulator.record_store import TrainingRecord
from lmsform.providers.training_records.emulator.requests_in import json_body, query_text

_TERM_SEPARATORS = re.compile(r"[\s,]+")


def search_terms(text: str | None) -> list[str]:
    """DRF's `SearchFilter` terms: split on white space and commas, case-folded; none for no text."""
    return [term.casefold() for term in _TERM_SEPARATORS.split((text or "").replace("\x00", "")) if term]


class RecordApi(ApiArea):
    def routes(self) -> Routes:
        return (
            Route(
                "/training/record/",
                "Training Record List",
                {"GET": self.list_records, "POST": self.create_record},
            ),
            Route(
                "/training/record/<api_id>/",
                "Training Record Instance",
                {
                    "GET": self.read_record,
                    "PUT": self.replace_record,
                    "PATCH": self.patch_record,
                    "DELETE": self.delete_record,
                },
            ),
        )

    def list_records(self) -> flask.Response:
        terms = search_terms(query_text("search"))
        page = requested_page(self.options.limit_cap)
        if page is None:
            return json_response([record.as_json() for record in self.store.records(terms)])
        records = self.store.records(terms, page.limit, page.offset)
        count = self.store.count_records(terms)
        return json_response(page.envelope(count, [record.as_json() for record in records]))

    def create_record(self) -> flask.Response:
        body = json_body()
        errors = FieldErrors()
        values = read_fields(body, errors, required=REFERENCES)
        descriptions = self._check_references(values, errors)
        api_id = values.get("api_id")
        if api_id is not None and self.store.taken_record_ids([api_id]):
            errors.add("api_id", DUPLICATE_ID)
        errors.raise_any()
        package = _present(values, "package_api_id")
        record = TrainingRecord(
            api_id=api_id or self.store.new_record_ids(1)[0],
            person_api_id=_present(values, "person_api_id"),
            package_api_id=package,
            package_desc=descriptions[package],
            date_assigned=now_stored(),
            date_started=values.get("date_started"),
            date_completed=values.get("date_completed"),
        )
        self.store.insert_records([record])
        return json_response(record.as_json(), 201)

    def read_record(self, api_id: str) -> flask.Response:
        return json_response(self._record(api_id).as_json())

    def replace_record(self, api_id: str) -> flask.Response:
        return self._update(api_id, "put")

    def patch_record(self, api_id: str) -> flask.Response:
        return self._update(api_id, "patch")

    def delete_record(self, api_id: str) -> flask.Response:
        if not self.store.delete_record(api_id):
            raise not_found()
        return empty_response()

    def _record(self, api_id: str) -> TrainingRecord:
        record = self.store.record(api_id)
        if record is None:
            raise not_found()
        return record

    def _update(self, api_id: str, method: Literal["put", "patch"]) -> flask.Response:
        current = self._record(api_id)
        body = json_body()
        errors = FieldErrors()
        if "api_id" in body and body["api_id"] != current.api_id:
            errors.add("api_id", ID_CHANGED)
        required = REFERENCES if method == "put" else ()
        values = read_fields(body, errors, fields=WRITABLE[1:], required=required)
        descriptions = self._check_references(values, errors)
        errors.raise_any()
        keep = method == "patch"
        package = values.get("package_api_id") or current.package_api_id
        record = TrainingRecord(
            api_id=current.api_id,
            person_api_id=values.get("person_api_id") or current.person_api_id,
            package_api_id=package,
            package_desc=current.package_desc if package == current.package_api_id else descriptions[package],
            date_assigned=current.date_assigned,
            date_started=values.get("date_started", current.date_started if keep else None),
            date_completed=values.get("date_completed", current.date_completed if keep else None),
        )
        self.store.update_record(record)
        return json_response(record.as_json())

    def _check_references(self, values: dict[str, str | None], errors: FieldErrors) -> dict[str, str]:
        """Check the person and package sent; answers the package's description by id."""
        person, package = values.get("person_api_id"), values.get("package_api_id")
        people = self.store.known_people([person] if person is not None else [])
        descriptions = self.store.package_descriptions([package] if package is not None else [])
        check_references(values, people, descriptions, errors)
        return descriptions


def _present(values: dict[str, str | None], name: str) -> str:
    """A field `read_fields` has checked to be a string."""
    value = values[name]
    assert value is not None
    return value
