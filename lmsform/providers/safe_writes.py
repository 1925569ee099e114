"""Writes that are never blindly repeated: after a lost answer, look first, then send again.

A create whose answer never came (the connection dropped, the call timed out, the vendor answered
5xx or 429) may or may not have happened. Sending it again could make a second object; giving up
would leave the plan half done. So the object is looked up by its key: if it is there, the apply
carries on with it; if not, the create is sent again after a pause (the vendor's `Retry-After`, or
a backoff with jitter), a bounded number of times within a bounded time.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from lmsform.errors import ProviderError
from lmsform.providers.http import RETRY_BUDGET

log = logging.getLogger("lmsform.writes")

T = TypeVar("T")
ATTEMPTS = 6  # the first send and the retries a provider allows by default (`retries: 5`)
_FIRST_PAUSE = 0.1  # seconds before the second attempt, on average; doubles after each
_LONGEST_PAUSE = 5.0


def answer_lost(error: ProviderError) -> bool:
    """The call may have taken effect, or not: no answer, a server error, or throttling."""
    return error.status is None or error.status == 429 or error.status >= 500


def create_once(
    send: Callable[[], T],
    find: Callable[[], T | None],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    budget: float = RETRY_BUDGET,
) -> T:
    """`send()` a create; when its answer is lost, `find()` the object before sending it again.

    Returns what `send` answered, or what `find` found. When the object is not there after
    `attempts` lost sends (providers pass their HTTP client's: the first send and the retries), or
    the next pause would end more than `budget` seconds after the first send, raises the last error,
    saying it gave up. An error of `find` ends it too: no look, no repeat.
    """
    started = time.monotonic()
    pause = _FIRST_PAUSE
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except ProviderError as error:
            if not answer_lost(error):
                raise
            found = find()
            if found is not None:
                log.info("%s: the answer was lost, but it was made; carrying on with it", what)
                return found
            asked = error.retry_after
            wait = asked if asked is not None else pause * (0.5 + random.random())
            if asked is not None and asked > budget:
                raise _gave_up(
                    error, f"the vendor asks to wait {asked:g} s (Retry-After), longer than lmsform waits"
                ) from None
            if attempt == attempts or time.monotonic() + wait > started + budget:
                raise _gave_up(error, f"{attempt} attempt(s) lost their answer") from None
            log.info("%s: the answer was lost and it was not made; sending it again", what)
            time.sleep(wait)
            pause = min(pause * 2, _LONGEST_PAUSE)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _gave_up(error: ProviderError, reason: str) -> ProviderError:
    return ProviderError(
        vendor=error.vendor,
        message=f"{error.vendor_message}; {reason}, and it is not there: gave up",
        status=error.status,
        method=error.method,
        path=error.path,
        kind=error.kind,
        key=error.key,
        retry_after=error.retry_after,
    )
