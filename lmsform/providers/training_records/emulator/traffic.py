"""The per-route request count behind `GET /_emulator/requests` (§4, §5 #13), kept in memory.

Keys are `"<METHOD> <documented path>"`, e.g. `"GET /training/record/{api_id}/"`, whatever the prefix
and whether the request had the trailing slash. Every request to a known API path counts, failed ones
(401, 404, 405, 400 …) included; test hooks and unknown paths do not. The reset hook clears it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestCounts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, route: str) -> None:
        with self._lock:
            self._counts[route] += 1

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {"total": sum(self._counts.values()), "routes": dict(sorted(self._counts.items()))}

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
