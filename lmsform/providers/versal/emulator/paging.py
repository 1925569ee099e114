"""Header-based paging (versal.md Paging, D12): `page` and `perPage` in, a bare JSON array and headers out.

* `page` defaults to 1, `perPage` to 20; a `perPage` above the cap (100 unless configured) is served as
  the cap, and the headers show the size used.
* `perPage` or `page` below 1, or not an integer, answers 400 (decision for `page`: the reference only
  rules on `perPage`).
* A page past the end answers `[]` with the real `count` and `pageCount`; an empty collection has
  `pageCount` 0.
* Headers, per the `pagination_headers` switch: `X-Pagination` as compact JSON
  `{"count","page","nextPage","perPage","pageCount"}` with `nextPage` null on (or past) the last page,
  and/or the four declared headers `count`, `page`, `pageCount`, `perPage`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import flask

from lmsform.providers.versal.emulator.errors import bad_request
from lmsform.providers.versal.emulator.options import PaginationHeaders

DEFAULT_PER_PAGE = 20


@dataclass(frozen=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def headers(self, count: int, form: PaginationHeaders) -> dict[str, str]:
        page_count = -(-count // self.per_page)
        next_page = self.page + 1 if self.page < page_count else None
        headers: dict[str, str] = {}
        if form in ("both", "x-pagination"):
            metadata = {
                "count": count,
                "page": self.page,
                "nextPage": next_page,
                "perPage": self.per_page,
                "pageCount": page_count,
            }
            headers["X-Pagination"] = json.dumps(metadata, separators=(",", ":"))
        if form in ("both", "separate"):
            headers.update(
                {
                    "count": str(count),
                    "page": str(self.page),
                    "pageCount": str(page_count),
                    "perPage": str(self.per_page),
                }
            )
        return headers


def _positive_query_integer(name: str, default: int) -> int:
    text = flask.request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if value < 1:
        raise bad_request(f"{name} must be at least 1")
    return value


def requested_page(cap: int) -> PageRequest:
    page = _positive_query_integer("page", 1)
    per_page = _positive_query_integer("perPage", DEFAULT_PER_PAGE)
    return PageRequest(page, min(per_page, cap))
