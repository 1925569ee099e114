"""Work the emulator does after it has answered, such as a delayed bulk-create."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from lmsform.providers.skilljar.emulator.store import SkilljarStore


class BackgroundJobs:
    """Runs work later, each piece in one store transaction; `cancel_all` drops whatever has not run.

    A job takes the store's transaction before this object's lock, as a request that cancels (the
    reset hook, inside its own transaction) does, so the two can never wait on each other.
    """

    def __init__(self, store: SkilljarStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._pending: set[threading.Timer] = set()

    def later(self, delay_s: float, work: Callable[[], object]) -> None:
        timer = threading.Timer(delay_s, lambda: self._run(timer, work))
        timer.daemon = True
        with self._lock:
            self._pending.add(timer)
        timer.start()

    def cancel_all(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, set()
        for timer in pending:
            timer.cancel()

    def _run(self, timer: threading.Timer, work: Callable[[], object]) -> None:
        try:
            with self._store.transaction(), self._lock:
                if timer not in self._pending:
                    return
                self._pending.discard(timer)
                work()
        except sqlite3.ProgrammingError:
            pass  # the emulator stopped and closed its store before the work was due
