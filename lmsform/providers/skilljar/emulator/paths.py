"""A published path's ordered items and labels, and its Path's own fields (skilljar.md D60 to D62)."""

from __future__ import annotations

from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.courses import COURSE_LABEL_CREATE, label_association_json
from lmsform.providers.skilljar.emulator.errors import field_error, not_found
from lmsform.providers.skilljar.emulator.lookups import require_domain
from lmsform.providers.skilljar.emulator.path_store import PathItemRecord
from lmsform.providers.skilljar.emulator.publication_store import PublishedPathRecord
from lmsform.providers.skilljar.emulator.publications import PATH_CREATE, path_json
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    integer,
    nested,
    request_body,
    text,
    validate_object,
)

PATH_ITEMS_PAGE_SIZE = 100
PATH_LABELS_PAGE_SIZE = 100

# Any integer: the spec gives `order` no bounds (skilljar.md D61).
PATH_ITEM_UPDATE: Schema = {"order": Field(integer())}
PATH_ITEM_CREATE: Schema = {
    "order": Field(integer(), required=True),
    "published_course": Field(nested({"id": Field(text(allow_blank=False), required=True)}), required=True),
}
# PathRequest and PatchedPathRequest: nothing is required; PUT is partial too (skilljar.md D15).
PATH_UPDATE: Schema = {name: Field(field.parse) for name, field in PATH_CREATE.items()}

_PUBLISHED_PATH = "/v1/domains/<domain:domain_name>/published-paths/<oid:published_path_id>"


def path_item_json(item: PathItemRecord) -> dict[str, Any]:
    """PublishedPathPathItem and PublishedPathPathItemUpdate."""
    return {
        "id": item.id,
        "order": item.order,
        "published_course": {"id": item.published_course_id, "course_id": item.course_id, "slug": item.slug},
    }


class PathApi(ApiArea):
    def routes(self) -> Routes:
        return (
            (f"{_PUBLISHED_PATH}/path-items", {"GET": self.list_items, "POST": self.add_item}),
            (
                f"{_PUBLISHED_PATH}/path-items/<oid:path_item_id>",
                {
                    "GET": self.get_item,
                    "PUT": self.move_item,
                    "PATCH": self.move_item,
                    "DELETE": self.delete_item,
                },
            ),
            (f"{_PUBLISHED_PATH}/labels", {"GET": self.list_labels, "POST": self.add_label}),
            (
                f"{_PUBLISHED_PATH}/labels/<oid:label_id>",
                {"GET": self.get_label, "DELETE": self.remove_label},
            ),
            (
                "/v1/paths/<oid:path_id>",
                {"GET": self.get_path, "PUT": self.update_path, "PATCH": self.update_path},
            ),
        )

    def _published_path(self, domain_name: str, published_path_id: str) -> PublishedPathRecord:
        domain = require_domain(self.store, domain_name)
        published = self.store.get_published_path(domain.name, published_path_id)
        if published is None:
            raise not_found()
        return published

    # --- items -------------------------------------------------------------------------------------

    def list_items(self, domain_name: str, published_path_id: str) -> flask.Response:
        published = self._published_path(domain_name, published_path_id)
        page = self.pager.requested_page(PATH_ITEMS_PAGE_SIZE, size_param=False)
        rows = self.store.list_path_items(published.id, page.window)
        return json_response(self.pager.envelope(page, rows, path_item_json))

    def add_item(self, domain_name: str, published_path_id: str) -> flask.Response:
        published = self._published_path(domain_name, published_path_id)
        clean = validate_object(request_body(), PATH_ITEM_CREATE)
        course_id = clean["published_course"]["id"]
        if self.store.get_published_course(published.domain_name, course_id) is None:
            raise field_error("published_course", "Invalid published course id.")
        if self.store.path_has_course(published.id, course_id):  # skilljar.md D62
            raise field_error("non_field_errors", "This course is already in the path.")
        return json_response(
            path_item_json(self.store.add_path_item(published.id, course_id, clean["order"])), 201
        )

    def _item(self, domain_name: str, published_path_id: str, path_item_id: str) -> PathItemRecord:
        item = self.store.get_path_item(self._published_path(domain_name, published_path_id).id, path_item_id)
        if item is None:
            raise not_found()
        return item

    def get_item(self, domain_name: str, published_path_id: str, path_item_id: str) -> flask.Response:
        return json_response(path_item_json(self._item(domain_name, published_path_id, path_item_id)))

    def move_item(self, domain_name: str, published_path_id: str, path_item_id: str) -> flask.Response:
        item = self._item(domain_name, published_path_id, path_item_id)
        changes = validate_object(request_body(), PATH_ITEM_UPDATE)
        if "order" in changes:
            item = read_back(self.store.move_path_item(item.published_path_id, item.id, changes["order"]))
        return json_response(path_item_json(item))

    def delete_item(self, domain_name: str, published_path_id: str, path_item_id: str) -> flask.Response:
        item = self._item(domain_name, published_path_id, path_item_id)
        self.store.delete_path_item(item.published_path_id, item.id)
        return empty_response(204)

    # --- labels ------------------------------------------------------------------------------------

    def list_labels(self, domain_name: str, published_path_id: str) -> flask.Response:
        published = self._published_path(domain_name, published_path_id)
        page = self.pager.requested_page(PATH_LABELS_PAGE_SIZE, size_param=False)
        rows = self.store.list_path_labels(published.id, page.window)
        return json_response(self.pager.envelope(page, rows, label_association_json))

    def add_label(self, domain_name: str, published_path_id: str) -> flask.Response:
        published = self._published_path(domain_name, published_path_id)
        label_id = validate_object(request_body(), COURSE_LABEL_CREATE)["label"]["id"]
        label = self.store.get_label(label_id)
        if label is None:
            raise field_error("label", "Invalid label id.")
        if self.store.get_path_label(published.id, label.id) is not None:
            raise field_error("non_field_errors", "Label is already associated with this published path.")
        self.store.add_path_label(published.id, label.id)
        return json_response(label_association_json(label), 201)

    def get_label(self, domain_name: str, published_path_id: str, label_id: str) -> flask.Response:
        label = self.store.get_path_label(self._published_path(domain_name, published_path_id).id, label_id)
        if label is None:
            raise not_found()
        return json_response(label_association_json(label))

    def remove_label(self, domain_name: str, published_path_id: str, label_id: str) -> flask.Response:
        if not self.store.remove_path_label(
            self._published_path(domain_name, published_path_id).id, label_id
        ):
            raise not_found()
        return empty_response(204)

    # --- a Path's own fields (title, descriptions), which the published path's PATCH cannot change ---

    def _path_record(self, path_id: str) -> PublishedPathRecord:
        found = self.store.published_path_of(path_id)
        if found is None:
            raise not_found()
        return read_back(self.store.get_published_path(*found))

    def get_path(self, path_id: str) -> flask.Response:
        published = self._path_record(path_id)
        return json_response(path_json(published.path, self.store.count_path_items(published.id)))

    def update_path(self, path_id: str) -> flask.Response:
        changes = validate_object(request_body(), PATH_UPDATE)
        self._path_record(path_id)
        self.store.update_path(path_id, changes)
        published = self._path_record(path_id)
        return json_response(path_json(published.path, self.store.count_path_items(published.id)))
