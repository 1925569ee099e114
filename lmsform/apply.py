"""Execute a plan: phase by phase in plan order, independent calls in parallel, stop at the first failure."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum

from lmsform.errors import LmsformError, ProviderError
from lmsform.kinds import KINDS, Key
from lmsform.plan import Action, Change, Plan
from lmsform.providers.base import ApplyContext, Provider, Work
from lmsform.secrets import redact

log = logging.getLogger("lmsform.apply")


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"


@dataclass(frozen=True)
class ChangeResult:
    change: Change
    outcome: Outcome
    error: str | None = None


@dataclass(frozen=True)
class ApplyResult:
    results: tuple[ChangeResult, ...]

    @property
    def ok(self) -> bool:
        return all(result.outcome is Outcome.DONE for result in self.results)

    def with_outcome(self, outcome: Outcome) -> list[ChangeResult]:
        return [result for result in self.results if result.outcome is outcome]

    def by_kind(self) -> dict[str, KindCounts]:
        """What happened to each kind, kinds in plan order."""
        tallies: dict[str, Counter[str]] = {}
        for result in self.results:
            tallies.setdefault(result.change.kind, Counter())[_counted_as(result)] += 1
        ordered = sorted(tallies, key=lambda name: (_KIND_ORDER.get(name, len(_KIND_ORDER)), name))
        return {name: KindCounts(**tallies[name]) for name in ordered}


@dataclass(frozen=True)
class KindCounts:
    """An apply's changes to one kind, by what became of them (a value sent again counts as updated)."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    not_attempted: int = 0


_KIND_ORDER = {kind.name: index for index, kind in enumerate(KINDS)}


def _counted_as(result: ChangeResult) -> str:
    if result.outcome is Outcome.FAILED:
        return "failed"
    if result.outcome is Outcome.NOT_ATTEMPTED:
        return "not_attempted"
    action = result.change.action
    if action is Action.CREATE:
        return "created"
    return "removed" if action.is_removal else "updated"


def apply_plan(
    plan: Plan,
    provider: Provider,
    *,
    parallelism: int,
    on_batch: Callable[[list[ChangeResult]], None] | None = None,
    secrets: Mapping[tuple[str, Key], Mapping[str, str]] | None = None,
) -> ApplyResult:
    """Run exactly the plan's changes. After a failure no new call starts; calls under way finish.

    `on_batch` hears of each finished unit of work (one change, or a bulk call's many), and of the
    changes not attempted. `secrets` are the write-only values (from the environment) that plans
    never hold.
    """
    context = ApplyContext(plan.refs, planned_at=plan.created_at, secrets=secrets)
    for change in plan.changes:
        if "id" in change.ids:
            context.record(change.kind, change.key, change.ids["id"])
    results: list[ChangeResult] = []

    def report(batch: list[ChangeResult]) -> None:
        results.extend(batch)
        if on_batch is not None and batch:
            on_batch(batch)

    failed = False
    for kind, action, changes in plan.phases():
        if failed:
            report([ChangeResult(change, Outcome.NOT_ATTEMPTED) for change in changes])
            continue
        works = provider.work(kind, action, changes)
        failed = not _run_phase(works, context, parallelism, report)
    return ApplyResult(tuple(results))


def _run_phase(
    works: list[Work], context: ApplyContext, parallelism: int, report: Callable[[list[ChangeResult]], None]
) -> bool:
    """The phase's works wave by wave (`Work.wave`); after a failure, later waves are not attempted."""
    waves: dict[int, list[Work]] = {}
    for work in works:
        waves.setdefault(work.wave, []).append(work)
    ok = True
    for wave in sorted(waves):
        if ok:
            ok = _run_wave(waves[wave], context, parallelism, report)
        else:
            report(
                [
                    ChangeResult(change, Outcome.NOT_ATTEMPTED)
                    for work in waves[wave]
                    for change in work.changes
                ]
            )
    return ok


def _run_wave(
    works: list[Work], context: ApplyContext, parallelism: int, report: Callable[[list[ChangeResult]], None]
) -> bool:
    queue: Iterator[Work] = iter(works)
    pending: dict[Future[None], Work] = {}
    ok = True
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="lmsform-apply") as pool:
        while True:
            while ok and len(pending) < parallelism:
                work = next(queue, None)
                if work is None:
                    break
                pending[pool.submit(work.run, context)] = work
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                work = pending.pop(future)
                error = future.exception()
                if error is None:
                    report([ChangeResult(change, Outcome.DONE) for change in work.changes])
                else:
                    ok = False
                    message = _describe(error, work)
                    report([ChangeResult(change, Outcome.FAILED, message) for change in work.changes])
    report([ChangeResult(change, Outcome.NOT_ATTEMPTED) for work in queue for change in work.changes])
    return ok


def _describe(error: BaseException, work: Work) -> str:
    if isinstance(error, ProviderError):
        return redact(error.detail)
    if isinstance(error, LmsformError):
        return redact(str(error))
    if isinstance(error, LookupError):
        return redact(str(error.args[0]) if error.args else str(error))
    log.error("unexpected error while applying %s", work.changes[0].address, exc_info=error)
    return redact(f"unexpected error: {type(error).__name__}: {error}")
