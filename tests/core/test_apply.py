"""The applier with a scripted provider (no HTTP): batches, the parallelism bound, stopping on failure."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from lmsform.apply import Outcome, apply_plan
from lmsform.plan import Action, Change, Plan
from lmsform.project_config import ManageConfig
from lmsform.providers.base import ApplyContext, Provider, ProviderSettings, Work
from lmsform.state import State
from tests.core.fake_provider import FakeProvider


class ScriptedProvider(Provider):
    """Records what it is asked to do; users are created in batches of `batch` per call, each batch in
    the wave `waves` gives its first user (default 0)."""

    name = "scripted"
    title = "Scripted"
    settings_model = ProviderSettings
    supports = FakeProvider.supports

    def __init__(
        self,
        *,
        batch: int = 1,
        fail: set[str] | None = None,
        delay: float = 0.0,
        waves: dict[str, int] | None = None,
    ) -> None:
        self.batch = batch
        self.waves = waves or {}
        self.events: list[tuple[str, str]] = []  # ("start" | "end", first address of the call)
        self.fail = fail or set()
        self.delay = delay
        self.calls: list[tuple[str, ...]] = []
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def read(self, desired: State, manage: ManageConfig) -> State:
        return State()

    def read_all(self) -> State:
        return State()

    def work(self, kind: str, action: Action, changes: Sequence[Change]) -> list[Work]:
        if kind == "users" and action is Action.CREATE:
            groups = [tuple(changes[i : i + self.batch]) for i in range(0, len(changes), self.batch)]
            return [
                Work(group, self._runner(group), wave=self.waves.get(group[0].address, 0)) for group in groups
            ]
        return super().work(kind, action, changes)

    def execute(self, change: Change, context: ApplyContext) -> None:
        self._runner((change,))(context)

    def _runner(self, changes: tuple[Change, ...]) -> Any:
        def run(context: ApplyContext) -> None:
            with self._lock:
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
                self.events.append(("start", changes[0].address))
            try:
                time.sleep(self.delay)
                if any(change.address in self.fail for change in changes):
                    raise RuntimeError("scripted failure")
                for change in changes:
                    if change.kind == "users":
                        context.record("users", change.key, f"id-{change.key[0]}")
                    if change.kind == "memberships":
                        context.id_of("users", (change.key[1],))
                with self._lock:
                    self.calls.append(tuple(change.address for change in changes))
            finally:
                with self._lock:
                    self.running -= 1
                    self.events.append(("end", changes[0].address))

        return run


def _plan(users: int, *, members: int = 0) -> Plan:
    changes = [
        Change(Action.CREATE, "users", (f"u{n:02d}@acme.com",), None, {"email": f"u{n:02d}@acme.com"})
        for n in range(users)
    ]
    changes += [
        Change(Action.CREATE, "memberships", ("eng", f"u{n:02d}@acme.com"), None, {}) for n in range(members)
    ]
    return Plan.build("scripted", "t", changes, refs={("groups", ("eng",)): {"id": "g1"}}, warnings=[])


def test_a_batch_completes_all_its_changes_in_one_call() -> None:
    provider = ScriptedProvider(batch=10)

    result = apply_plan(_plan(25, members=2), provider, parallelism=4)

    assert result.ok
    user_calls = [call for call in provider.calls if call[0].startswith("users")]
    assert sorted(len(call) for call in user_calls) == [5, 10, 10]
    assert len(provider.calls) == 5  # 3 bulk calls for 25 users, then one call per membership


def test_calls_within_a_phase_run_in_parallel_within_the_bound() -> None:
    provider = ScriptedProvider(delay=0.05)

    result = apply_plan(_plan(12), provider, parallelism=3)

    assert result.ok
    assert provider.most_at_once == 3


def test_after_a_failure_no_new_call_starts_and_every_change_is_accounted_for() -> None:
    provider = ScriptedProvider(fail={'users["u01@acme.com"]'})

    result = apply_plan(_plan(6, members=3), provider, parallelism=1)

    outcomes = [(item.change.address, item.outcome) for item in result.results]
    assert not result.ok
    assert outcomes[:2] == [
        ('users["u00@acme.com"]', Outcome.DONE),
        ('users["u01@acme.com"]', Outcome.FAILED),
    ]
    assert {outcome for _, outcome in outcomes[2:]} == {Outcome.NOT_ATTEMPTED}
    assert len(outcomes) == 9
    assert provider.calls == [('users["u00@acme.com"]',)]
    assert result.with_outcome(Outcome.FAILED)[0].error == "unexpected error: RuntimeError: scripted failure"


def test_ids_of_objects_created_earlier_in_the_apply_are_available_later() -> None:
    provider = ScriptedProvider(batch=3)

    result = apply_plan(_plan(3, members=3), provider, parallelism=2)

    assert result.ok, [item.error for item in result.results]


def _user(n: int) -> str:
    return f'users["u{n:02d}@acme.com"]'


def test_waves_run_one_after_another_and_each_in_parallel() -> None:
    """Like groups by depth, listed children first: users 0-3 in wave 1, user 4 in wave 2, 5-8 in wave 0."""
    waves = {_user(n): 1 for n in range(4)} | {_user(4): 2}
    provider = ScriptedProvider(delay=0.05, waves=waves)

    result = apply_plan(_plan(9), provider, parallelism=4)

    assert result.ok
    assert provider.most_at_once == 4  # a whole wave at once
    events = provider.events
    assert len(events) == 18
    for wave in (1, 2):
        first_start = min(
            i for i, (event, a) in enumerate(events) if event == "start" and waves.get(a) == wave
        )
        earlier_end = max(
            i for i, (event, a) in enumerate(events) if event == "end" and waves.get(a, 0) < wave
        )
        assert earlier_end < first_start, events


def test_after_a_failure_in_a_wave_its_calls_under_way_finish_and_later_waves_are_not_attempted() -> None:
    """Users 0-2 in wave 1; 3-5 in wave 0, where user 4 fails."""
    waves = {_user(n): 1 for n in range(3)}
    provider = ScriptedProvider(delay=0.05, waves=waves, fail={_user(4)})
    reported: list[list[tuple[str, Outcome]]] = []

    result = apply_plan(
        _plan(6, members=1),
        provider,
        parallelism=3,
        on_batch=lambda batch: reported.append([(item.change.address, item.outcome) for item in batch]),
    )

    outcomes = {item.change.address: item.outcome for item in result.results}
    assert outcomes[_user(3)] is Outcome.DONE and outcomes[_user(5)] is Outcome.DONE  # under way: finished
    assert outcomes[_user(4)] is Outcome.FAILED
    assert {outcomes[_user(n)] for n in range(3)} == {Outcome.NOT_ATTEMPTED}
    assert outcomes['memberships["eng", "u00@acme.com"]'] is Outcome.NOT_ATTEMPTED
    assert len(result.results) == 7
    assert sorted(call[0] for call in provider.calls) == [_user(3), _user(5)]
    # Every change was reported once, as it was settled.
    assert sorted(address for batch in reported for address, _ in batch) == sorted(outcomes)
