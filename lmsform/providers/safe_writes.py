"""Writes that are never blindly repeated: after a lost answer, look first; some creates are never repeated.

A create whose answer never came (the connection dropped, the call timed out, the vendor answered
5xx or 429) may or may not have happened. Sending it again could make a second object; giving up
would leave the plan half done. What is safe depends on the kind:

* The vendor keeps the key unique (a user name, an e-mail address): a repeat cannot make a second
  object, so after a look that finds nothing the create is sent again after a pause (the vendor's
  `Retry-After`, or a backoff with jitter), a bounded number of times within a bounded time.
* The vendor keeps no unique key (Damstra groups, Skilljar courses and webhooks): a create that may
  still be running at the vendor is never sent again. After a timeout, a dropped connection or a
  gateway's 502/504, the object is looked for again and again, with growing pauses, within the
  retry budget; if it never shows, the apply stops and says what to do. A 429 was refused, and a
  500 or 503 is the vendor's own answer, so its handling of the call is over: one look decides.

For those kinds, `NewObjects` also guards a create phase against another apply of the same
account (another clone of the project, another CI runner: the apply lock cannot see them). Before
the first create of the phase, the kind's live objects are listed once; a key that exists now was
made since the plan, and is not made again. After each create, the key is looked up again; when
another apply made the same object at the same moment, this apply takes its own copy back and
stops. Of two racing applies at most one copy survives: each keeps its own only when it was
alone at its look, and the later of the two creates meets the other at its look.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from lmsform.errors import ProviderError
from lmsform.providers.http import RETRY_BUDGET

log = logging.getLogger("lmsform.writes")

T = TypeVar("T")
ATTEMPTS = 6  # the first send and the retries a provider allows by default (`retries: 5`)
_FIRST_PAUSE = 0.1  # seconds before the second attempt, on average; doubles after each
_LONGEST_PAUSE = 5.0
# Looks for a create that may still land: the first at once, then after 0.5 s, 1 s, 2 s... (15 s at most
# between two), until the retry budget is spent: about a dozen looks in two minutes.
_FIRST_LOOK_PAUSE = 0.5
_LONGEST_LOOK_PAUSE = 15.0
# Statuses of a gateway that gave up waiting for the vendor, which may still be at work behind it.
_GATEWAY_STATUSES = frozenset({502, 504})


def answer_lost(error: ProviderError) -> bool:
    """The call may have taken effect, or not: no answer, a server error, or throttling."""
    return error.status is None or error.status == 429 or error.status >= 500


def may_still_land(error: ProviderError) -> bool:
    """The call may still be running at the vendor: no answer came (a timeout, a dropped connection),
    or a gateway answered that it stopped waiting for the vendor (502, 504)."""
    return error.status is None or error.status in _GATEWAY_STATUSES


def create_once(
    send: Callable[[], T],
    find: Callable[[], T | None],
    *,
    what: str,
    vendor_unique: bool,
    attempts: int = ATTEMPTS,
    budget: float | None = None,
) -> T:
    """`send()` a create; when its answer is lost, `find()` the object before anything else.

    `vendor_unique`: the vendor refuses a second object with this key, so a repeat is safe once a look
    found nothing. Without it, a create that may still land (`may_still_land`) is never sent again:
    it is looked for until the `budget` is spent, and then an error says so (`_never_showed`).

    Returns what `send` answered, or what `find` found. When the object is not there after
    `attempts` lost sends (providers pass their HTTP client's: the first send and the retries), or
    the next pause would end more than `budget` seconds (default: the retry budget) after the first
    send, raises the last error, saying it gave up. An error of `find` ends it too: no look, no repeat.
    """
    budget = RETRY_BUDGET if budget is None else budget
    started = time.monotonic()
    pause = _FIRST_PAUSE
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except ProviderError as error:
            if not answer_lost(error):
                raise
            if not vendor_unique and may_still_land(error):
                return _await_landing(error, find, what=what, deadline=started + budget)
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


def _await_landing(error: ProviderError, find: Callable[[], T | None], *, what: str, deadline: float) -> T:
    """Look for the object of a create that may still land, with growing pauses, until `deadline`."""
    lost_at = time.monotonic()
    pause = _FIRST_LOOK_PAUSE
    looks = 0
    while True:
        found = find()
        looks += 1
        if found is not None:
            log.info("%s: the answer was lost, but it was made (look %d); carrying on with it", what, looks)
            return found
        if time.monotonic() + pause > deadline:
            raise _never_showed(error, looks, time.monotonic() - lost_at) from None
        log.info("%s: the answer was lost and it is not there yet; looking again in %g s", what, pause)
        time.sleep(pause)
        pause = min(pause * 2, _LONGEST_LOOK_PAUSE)


def _never_showed(error: ProviderError, looks: int, waited: float) -> ProviderError:
    reason = (
        f"{error.vendor_message}; the create may still be made: {error.vendor} keeps no unique key for "
        f"it, so lmsform does not send it again, and it was not there after {looks} look(s) over "
        f"{waited:.0f} s. Run `lmsform plan` again in a few minutes: it finds the object if it was made, "
        "and plans it anew if not"
    )
    return _with_message(error, reason)


def _gave_up(error: ProviderError, reason: str) -> ProviderError:
    return _with_message(error, f"{error.vendor_message}; {reason}, and it is not there: gave up")


def _with_message(error: ProviderError, message: str) -> ProviderError:
    return ProviderError(
        vendor=error.vendor,
        message=message,
        status=error.status,
        method=error.method,
        path=error.path,
        kind=error.kind,
        key=error.key,
        retry_after=error.retry_after,
    )


class NewObjects:
    """Guards one create phase of a kind the vendor keeps no unique key for against another apply.

    `listing()` gives the (key, id) of every live object of the kind: it is read once, by the phase's
    first `check_absent`, however many objects the phase creates. `twins(key)` gives the ids of the
    live objects with one key (the cheapest look the API allows), for `confirm_alone`.
    """

    def __init__(
        self,
        *,
        vendor: str,
        kind: str,
        listing: Callable[[], Iterable[tuple[Hashable, str]]],
        twins: Callable[[Hashable], list[str]],
    ) -> None:
        self.vendor = vendor
        self.kind = kind
        self._listing = listing
        self._twins = twins
        self._lock = threading.Lock()
        self._live: dict[Hashable, list[str]] | None = None

    def create(
        self,
        key: Hashable,
        send: Callable[[], str],
        find: Callable[[], str | None],
        *,
        what: str,
        attempts: int,
        take_back: Callable[[str], None],
    ) -> str:
        """Make the object of `key` once (`check_absent`, `create_once`, `confirm_alone`); `send` and
        `find` give its id, `take_back(id)` removes this apply's copy. Returns the id."""
        self.check_absent(key, what=what)
        made = create_once(send, find, what=what, vendor_unique=False, attempts=attempts)
        self.confirm_alone(key, made, what=what, take_back=lambda: take_back(made))
        return made

    def check_absent(self, key: Hashable, *, what: str) -> None:
        """Refuse to create `key` when a live object has it now: it was made after the plan was read."""
        with self._lock:
            if self._live is None:
                live: dict[Hashable, list[str]] = {}
                for found_key, found_id in self._listing():
                    live.setdefault(found_key, []).append(found_id)
                self._live = live
            ids = self._live.get(key, [])
        if ids:
            raise ProviderError(
                vendor=self.vendor,
                message=f"not created: {self.kind} with this key exist now (id {', '.join(ids)}) though "
                "none did when the plan was made; made since the plan, by another apply? Run "
                "`lmsform plan` again",
                kind=self.kind,
                key=what,
            )

    def confirm_alone(self, key: Hashable, made: str, *, what: str, take_back: Callable[[], None]) -> None:
        """After the create of `key` (id `made`): if another live object has the key, another apply made
        it at the same moment; `take_back()` this apply's copy and stop.

        Two applies that each see the other's copy both take theirs back, and the next plan makes the
        object once. No rule keeping one of the two (the lower id, say) is safe with every vendor: an
        apply that looked before the other's create landed keeps its copy, and the other would keep
        its own too whenever its id happens to sort first (Skilljar's ids are not in creation order)."""
        others = [found for found in self._twins(key) if found != made]
        if not others:
            return
        take_back()
        raise ProviderError(
            vendor=self.vendor,
            message=f"another apply made the same object at the same moment (id {', '.join(others)}); "
            f"this apply's copy (id {made}) was taken back so that no duplicate stays. Run `lmsform "
            "plan` again once the other apply is over, and run applies of one account one at a time "
            "(a CI concurrency group)",
            kind=self.kind,
            key=what,
        )
