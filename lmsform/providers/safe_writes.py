"""Writes that are never blindly repeated: after a lost answer, look first, then send again.

A create whose answer never came (the connection dropped, the call timed out, the vendor answered
5xx or 429) may or may not have happened. Sending it again could make a second object; giving up
would leave the plan half done. So the object is looked up by its key: if it is there, the apply
carries on with it; if not, the create is sent again, a bounded number of times.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from lmsform.errors import ProviderError

log = logging.getLogger("lmsform.writes")

T = TypeVar("T")
ATTEMPTS = 4
_FIRST_PAUSE = 0.5  # seconds before the second attempt; doubles after each


def answer_lost(error: ProviderError) -> bool:
    """The call may have taken effect, or not: no answer, a server error, or throttling."""
    return error.status is None or error.status == 429 or error.status >= 500


def create_once(send: Callable[[], T], find: Callable[[], T | None], *, what: str) -> T:
    """`send()` a create; when its answer is lost, `find()` the object before sending it again.

    Returns what `send` answered, or what `find` found. Raises the last error once ATTEMPTS sends
    were lost and the object is still not there.
    """
    pause = _FIRST_PAUSE
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return send()
        except ProviderError as error:
            if not answer_lost(error) or attempt == ATTEMPTS:
                raise
            found = find()
            if found is not None:
                log.info("%s: the answer was lost, but it was made; carrying on with it", what)
                return found
            log.info("%s: the answer was lost and it was not made; sending it again", what)
            time.sleep(pause)
            pause *= 2
    raise AssertionError("unreachable: the last attempt returns or raises")
