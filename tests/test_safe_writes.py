"""create_once: a lost answer is followed by a look-up, never by a blind repeat (narrow unit tests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lmsform.errors import ProviderError
from lmsform.providers import safe_writes
from lmsform.providers.safe_writes import create_once


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_writes, "_FIRST_PAUSE", 0.0)


def _lost(status: int | None = None) -> ProviderError:
    return ProviderError(vendor="v", message="lost", status=status, method="POST", path="/things")


def test_a_lost_answer_whose_object_exists_carries_on_with_it() -> None:
    sent: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _lost()

    assert create_once(send, lambda: "found", what="things[a]", vendor_unique=True) == "found"
    assert len(sent) == 1


@pytest.mark.parametrize("status", [None, 429, 500, 503])
def test_a_lost_answer_whose_object_is_missing_is_sent_again(status: int | None) -> None:
    send, find, looked = _failing_once_then_made(status)

    assert create_once(send, find, what="things[a]", vendor_unique=True) == "made"
    assert looked == [1]


def _failing_once_then_made(
    status: int | None,
) -> tuple[Callable[[], str], Callable[[], str | None], list[int]]:
    """A create that fails once with `status` (None: the answer is lost), then makes the object; a
    look-up that finds nothing, and the list of its calls."""
    outcomes: list[ProviderError | str] = [_lost(status), "made"]
    looked: list[int] = []

    def send() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    def find() -> str | None:
        looked.append(1)
        return None

    return send, find, looked


def test_a_refusal_is_not_retried_nor_looked_up() -> None:
    looked: list[int] = []

    def send() -> str:
        raise _lost(400)

    with pytest.raises(ProviderError):
        create_once(send, lambda: looked.append(1), what="things[a]", vendor_unique=True)
    assert looked == []


def test_it_gives_up_after_a_bounded_number_of_attempts() -> None:
    sent: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _lost(503)

    with pytest.raises(ProviderError, match="lost"):
        create_once(send, lambda: None, what="things[a]", vendor_unique=True)
    assert len(sent) == safe_writes.ATTEMPTS


def _throttled(seconds: float) -> ProviderError:
    return ProviderError(
        vendor="v", message="slow down", status=429, method="POST", path="/things", retry_after=seconds
    )


def test_a_throttled_create_waits_as_long_as_the_vendor_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("lmsform.providers.safe_writes.time.sleep", slept.append)
    outcomes: list[ProviderError | str] = [_throttled(3), "made"]

    def send() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    assert create_once(send, lambda: None, what="things[a]", vendor_unique=True) == "made"
    assert slept == [3]


def test_a_retry_after_longer_than_the_budget_is_not_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("lmsform.providers.safe_writes.time.sleep", slept.append)
    sent: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _throttled(3600)

    with pytest.raises(ProviderError) as failure:
        create_once(send, lambda: None, what="things[a]", vendor_unique=True, budget=120)
    assert (sent, slept) == ([1], [])
    assert "the vendor asks to wait 3600 s (Retry-After), longer than lmsform waits" in str(failure.value)
    assert failure.value.status == 429


def test_it_gives_up_when_the_time_budget_is_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr("lmsform.providers.safe_writes.time.monotonic", lambda: now[0])
    monkeypatch.setattr(
        "lmsform.providers.safe_writes.time.sleep", lambda seconds: now.__setitem__(0, now[0] + seconds)
    )
    sent: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _throttled(4)

    with pytest.raises(ProviderError, match=r"3 attempt\(s\) lost their answer, and it is not there"):
        create_once(send, lambda: None, what="things[a]", vendor_unique=True, budget=10)
    assert len(sent) == 3  # waits end at 4 and 8 s; a third would end at 12 s, past the budget


def test_the_last_lost_attempt_is_looked_up_too() -> None:
    def send() -> str:
        raise _lost(503)

    looks: list[int] = []

    def find() -> str | None:
        looks.append(1)
        return "found" if len(looks) == 2 else None

    assert create_once(send, find, what="things[a]", vendor_unique=True, attempts=2) == "found"


# --- kinds the vendor keeps no unique key for: a create that may still land is never sent again ------


def _clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A fake clock that sleeping moves on; returns the pauses slept."""
    now = [0.0]
    slept: list[float] = []
    monkeypatch.setattr("lmsform.providers.safe_writes.time.monotonic", lambda: now[0])

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr("lmsform.providers.safe_writes.time.sleep", sleep)
    return slept


@pytest.mark.parametrize("status", [None, 502, 504])
def test_attack_a_late_commit_is_waited_for_and_never_sent_again(
    monkeypatch: pytest.MonkeyPatch, status: int | None
) -> None:
    """The create timed out and lands only at the third look: one send, found at the third look."""
    slept = _clock(monkeypatch)
    sent: list[int] = []
    looks: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _lost(status)

    def find() -> str | None:
        looks.append(1)
        return "landed" if len(looks) == 3 else None

    assert create_once(send, find, what="things[a]", vendor_unique=False) == "landed"
    assert (len(sent), slept) == (1, [0.5, 1.0])


def test_attack_a_create_that_never_shows_stops_with_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    slept = _clock(monkeypatch)
    sent: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _lost(None)

    with pytest.raises(ProviderError) as failure:
        create_once(send, lambda: None, what="things[a]", vendor_unique=False, budget=120)
    assert sent == [1]  # never sent again
    assert sum(slept) <= 120 and slept[:4] == [0.5, 1.0, 2.0, 4.0] and max(slept) == 15.0
    message = str(failure.value)
    assert (
        "the create may still be made: v keeps no unique key for it, so lmsform does not send it again"
        in message
    )
    assert f"it was not there after {len(slept) + 1} look(s)" in message
    assert "Run `lmsform plan` again in a few minutes" in message


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_answered_refusal_or_server_error_is_looked_up_once_then_sent_again(status: int) -> None:
    """A 429 refused the call; a 500 or 503 is the vendor's own answer, its handling is over: what a
    look finds then is what there is."""
    send, find, looked = _failing_once_then_made(status)

    assert create_once(send, find, what="things[a]", vendor_unique=False) == "made"
    assert looked == [1]
