"""Paging as Django REST Framework does it, with Skilljar's links.

* Page-number paging (`PageNumberPagination`): `page` and `page_size` in, `{"count", "next",
  "previous", "results"}` out; an unusable `page`, or one past the end, answers 404 "Invalid page.".
  `Pager` clamps `page_size` to the default size when the emulator is configured to.
* Cursor paging: an opaque cursor encodes an offset; a cursor that does not decode answers 404
  "Invalid cursor".
* Links are absolute URLs of the request's own path, keeping every other query parameter, sorted by
  name as DRF writes them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import flask

from lmsform.providers.skilljar.emulator.base_store import Slice, Window
from lmsform.providers.skilljar.emulator.errors import not_found

T = TypeVar("T")


def link(**replacements: str | None) -> str:
    """This request's absolute URL with some query parameters replaced (None removes one)."""
    request = flask.request
    params = [(key, value) for key, value in request.args.items(multi=True) if key not in replacements]
    params += [(key, value) for key, value in replacements.items() if value is not None]
    params.sort(key=lambda pair: pair[0])
    query = urlencode(params)
    return request.base_url + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def window(self) -> Window:
        return Window(offset=(self.number - 1) * self.size, limit=self.size)


class Pager:
    """Page-number pagination as DRF's PageNumberPagination does it, with the emulator's clamp."""

    def __init__(self, clamp_page_size: bool) -> None:
        self._clamp = clamp_page_size

    def requested_page(self, default_size: int, *, size_param: bool = True) -> Page:
        raw_number = flask.request.args.get("page", "1")
        try:
            number = int(raw_number)
        except ValueError:
            raise not_found("Invalid page.") from None
        if number < 1:
            raise not_found("Invalid page.")
        return Page(number, self._page_size(default_size) if size_param else default_size)

    def _page_size(self, default_size: int) -> int:
        try:
            asked = int(flask.request.args.get("page_size", ""))
        except ValueError:
            return default_size
        if asked < 1:
            return default_size
        return min(asked, default_size) if self._clamp else asked

    @staticmethod
    def envelope(page: Page, rows: Slice[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
        if page.number > 1 and page.window.offset >= rows.total:
            raise not_found("Invalid page.")
        has_next = page.number * page.size < rows.total
        previous: str | None = None
        if page.number > 1:
            previous = link(page=None if page.number == 2 else str(page.number - 1))
        return {
            "count": rows.total,
            "next": link(page=str(page.number + 1)) if has_next else None,
            "previous": previous,
            "results": [render(row) for row in rows.items],
        }


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, _, value = decoded.partition("=")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise not_found("Invalid cursor") from None
    if key != "o" or offset < 0:
        raise not_found("Invalid cursor")
    return offset
