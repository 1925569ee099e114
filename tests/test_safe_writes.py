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
