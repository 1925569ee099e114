"""What the test hooks keep in memory: injected faults and the per-route request count.

A fault rule makes the next `count` requests whose method matches and whose path (with `/api2`)
`re.fullmatch`es `path` answer `status` (429 or 503) with a `Retry-After` header and an
`Error_View_Model` body, before authentication and without touching the state. Counts are keyed
`"<METHOD> <spec path template>"`, e.g. `"GET /courses/{courseId}"`, and include faulted and failed
requests. Both are cleared by the reset hook and are not persisted.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from lmsform.providers.versal.emulator.errors import ApiError

FAULT_MESSAGES = {429: "Too many requests", 503: "Service unavailable"}


@dataclass
class FaultRule:
    method: str
    path: re.Pattern[str]
    status: int
    remaining: int
    retry_after: int

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path.pattern,
            "status": self.status,
            "count": self.remaining,
            "retryAfter": self.retry_after,
        }


class Traffic:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[FaultRule] = []
        self._counts: Counter[str] = Counter()

    def add_fault(self, rule: FaultRule) -> None:
        with self._lock:
            self._faults.append(rule)

    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_json() for rule in self._faults if rule.remaining > 0]

    def take_fault(self, method: str, path: str) -> ApiError | None:
        """The error the next matching fault rule answers, used up by one; None when none matches."""
        with self._lock:
            for rule in self._faults:
                if rule.remaining > 0 and rule.method == method and rule.path.fullmatch(path):
                    rule.remaining -= 1
                    headers = {"Retry-After": str(rule.retry_after)}
                    return ApiError(rule.status, FAULT_MESSAGES[rule.status], headers)
        return None

    def count(self, route: str) -> None:
        with self._lock:
            self._counts[route] += 1

    def counts(self) -> dict[str, Any]:
        with self._lock:
            return {"total": sum(self._counts.values()), "routes": dict(sorted(self._counts.items()))}

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._counts.clear()
