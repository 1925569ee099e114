"""create_once: a lost answer is followed by a look-up, never by a blind repeat (narrow unit tests)."""

from __future__ import annotations

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

    assert create_once(send, lambda: "found", what="things[a]") == "found"
    assert len(sent) == 1


@pytest.mark.parametrize("status", [None, 429, 500, 503])
def test_a_lost_answer_whose_object_is_missing_is_sent_again(status: int | None) -> None:
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

    assert create_once(send, find, what="things[a]") == "made"
    assert looked == [1]


def test_a_refusal_is_not_retried_nor_looked_up() -> None:
    looked: list[int] = []

    def send() -> str:
        raise _lost(400)

    with pytest.raises(ProviderError):
        create_once(send, lambda: looked.append(1), what="things[a]")
    assert looked == []


def test_it_gives_up_after_a_bounded_number_of_attempts() -> None:
    sent: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _lost(503)

    with pytest.raises(ProviderError, match="lost"):
        create_once(send, lambda: None, what="things[a]")
    assert len(sent) == safe_writes.ATTEMPTS


def _throttled(seconds: float) -> ProviderError:
    return ProviderError(
        vendor="v", message="slow down", status=429, method="POST", path="/things", retry_after=seconds
    )


def test_a_throttled_create_waits_as_long_as_the_vendor_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(safe_writes.time, "sleep", slept.append)
    outcomes: list[ProviderError | str] = [_throttled(3), "made"]

    def send() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    assert create_once(send, lambda: None, what="things[a]") == "made"
    assert slept == [3]


def test_a_retry_after_longer_than_the_budget_is_not_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(safe_writes.time, "sleep", slept.append)
    sent: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _throttled(3600)

    with pytest.raises(ProviderError) as failure:
        create_once(send, lambda: None, what="things[a]", budget=120)
    assert (sent, slept) == ([1], [])
    assert "the vendor asks to wait 3600 s (Retry-After), longer than lmsform waits" in str(failure.value)
    assert failure.value.status == 429


def test_it_gives_up_when_the_time_budget_is_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(safe_writes.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(safe_writes.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    sent: list[int] = []

    def send() -> str:
        sent.append(1)
        raise _throttled(4)

    with pytest.raises(ProviderError, match=r"3 attempt\(s\) lost their answer, and it is not there"):
        create_once(send, lambda: None, what="things[a]", budget=10)
    assert len(sent) == 3  # waits end at 4 and 8 s; a third would end at 12 s, past the budget


def test_the_last_lost_attempt_is_looked_up_too() -> None:
    def send() -> str:
        raise _lost(503)

    looks: list[int] = []

    def find() -> str | None:
        looks.append(1)
        return "found" if len(looks) == 2 else None

    assert create_once(send, find, what="things[a]", attempts=2) == "found"
