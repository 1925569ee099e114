"""Offset paging (damstra.md Paging): `startIndex` and `maxResults` in, `results` and `meta` out.

* `startIndex` defaults to 0; `maxResults` missing or 0 means the default page size (20 unless
  configured, P1); larger values are clamped to the cap (100 unless configured, P2).
* Negative or non-numeric values → 400 (P6); an offset past the end answers no rows with the right
  `totalResultCount`.
* `meta.endIndex` is exclusive: `startIndex + len(results)` (P3), so it reflects a clamped page.
* Rows come in ascending id order (P7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.damstra.emulator.requests_in import query_integer


@dataclass(frozen=True)
class Window:
    offset: int
    limit: int

    def cut(self, rows: Sequence[Any]) -> list[Any]:
        return list(rows[self.offset : self.offset + self.limit])


def requested_window(default_size: int, max_size: int) -> Window:
    offset = query_integer("startIndex") or 0
    size = query_integer("maxResults") or default_size
    return Window(offset, min(size, max_size))


def meta(window: Window, total: int, returned: int) -> dict[str, int]:
    return {"totalResultCount": total, "startIndex": window.offset, "endIndex": window.offset + returned}


def envelope(window: Window, total: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"results": results, "meta": meta(window, total, len(results))}
