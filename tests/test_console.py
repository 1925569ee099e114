"""Apply progress: a progress bar on a terminal, one plain line per finished batch otherwise."""

from __future__ import annotations

import io

import pytest

from lmsform import console
from lmsform.apply import ChangeResult, Outcome
from lmsform.output.redaction import Redactor, pseudonym
from lmsform.plan import Action, Change


def _results(count: int, outcome: Outcome = Outcome.DONE) -> list[ChangeResult]:
    changes = [Change(Action.CREATE, "users", (f"u{n}@acme.com",), None, {}) for n in range(count)]
    return [
        ChangeResult(change, outcome, "boom" if outcome is Outcome.FAILED else None) for change in changes
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_terminal_each_batch_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    key = b"a key for the test run"
    with console.apply_progress(5, Redactor("emails", key)) as report:
        report(_results(4))
        report(_results(1))

    assert capsys.readouterr().out.splitlines() == [
        "users: 4 created in one call",
        f'users["{pseudonym("u0@acme.com", key)}"]: created',
    ]


def test_on_a_terminal_a_progress_bar_counts_changes_and_failures_are_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)

    with console.apply_progress(3, Redactor("none")) as report:
        report(_results(2))
        report(_results(1, Outcome.FAILED))

    shown = terminal.getvalue()
    assert 'users["u0@acme.com"]: create failed: boom' in shown
    assert "Applying" in shown and "/3" in shown  # the bar, counting changes
    assert "users: 2 created" not in shown  # progress, not lines, on a terminal
