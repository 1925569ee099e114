"""The apply journal: what an apply did, written as it happens, so a killed apply can be understood.

One JSON Lines file per apply under `.lmsform/journal/` next to `lmsform.yaml`: a header naming the
plan (its checksum), then one line per change as soon as it finishes (`done` or `failed`, with the
error), then a footer. Each line is flushed when written: a process killed at any point leaves every
finished change on record (the operating system keeps what was flushed). Addresses name learners, so
the journal stays local, like the sandbox's data: `.lmsform/` is git-ignored.

Journals are local claims: a pull request can commit `.lmsform/` despite its .gitignore. They decide
wording (what was "sent again", a drift's cause) and whether an apply of a saved plan resumes one that
did not finish; resuming checks every change it makes against the saved plan and the live account,
so a forged journal cannot make it do more.

An apply that resumes a saved plan first records, as `done` with `"found": true`, the plan's changes
it found made in the account that no earlier journal records (an apply killed after the vendor made
them, before it heard the answer): this plan's journals together account for all of its changes. An
apply that took over a killed apply's lock names that apply's journal in its header (`after_killed`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Generator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from lmsform.apply import ChangeResult, Outcome
from lmsform.localdir import local_dir, local_path
from lmsform.plan import Action, Change, Plan

FORMAT = 1
JOURNAL_DIR = "journal"


def journal_dir(root: Path) -> Path:
    return local_path(root, JOURNAL_DIR)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Journal:
    """An open journal; `record` is called from the apply's progress callback (one thread)."""

    def __init__(
        self, path: Path, plan: Plan, *, resumes: Path | None = None, after_killed: str | None = None
    ) -> None:
        self.path = path
        self._file: IO[str] = _create(path)
        self._counts = {outcome: 0 for outcome in Outcome}
        self._found = 0
        self._write(
            {
                "journal": FORMAT,
                "event": "started",
                "at": _now(),
                "plan": plan.checksum,
                "provider": plan.provider,
                "target": plan.target,
                "changes": len(plan.changes),
                "manifests": plan.manifest_digest,
                **({"resumes": resumes.name} if resumes else {}),
                **({"after_killed": after_killed} if after_killed else {}),
            }
        )

    @classmethod
    def start(
        cls, root: Path, plan: Plan, *, resumes: Path | None = None, after_killed: str | None = None
    ) -> Journal:
        """A new journal; `after_killed` is the journal of a killed apply whose lock this one took over."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = local_dir(root, JOURNAL_DIR) / f"{stamp}-{_short(plan)}.jsonl"
        return cls(path, plan, resumes=resumes, after_killed=after_killed)

    def record_found(self, changes: Iterable[Change]) -> None:
        """Changes of a resumed plan found made, that no earlier journal records as done."""
        for change in changes:
            self._found += 1
            self._write(
                {
                    "event": Outcome.DONE.value,
                    "at": _now(),
                    "address": change.address,
                    "action": change.action.value,
                    "found": True,
                    **_written(change),
                }
            )

    def record(self, results: Iterable[ChangeResult]) -> None:
        for result in results:
            self._counts[result.outcome] += 1
            if result.outcome is Outcome.NOT_ATTEMPTED:
                continue
            line: dict[str, Any] = {
                "event": result.outcome.value,
                "at": _now(),
                "address": result.change.address,
                "action": result.change.action.value,
            }
            if result.error:
                line["error"] = result.error
            elif result.outcome is Outcome.DONE:
                line.update(_written(result.change))
            self._write(line)

    def close(self) -> None:
        if self._file.closed:
            return
        counts = {outcome.value: count for outcome, count in self._counts.items()}
        complete = counts[Outcome.DONE.value] == sum(counts.values())
        found = {"found": self._found} if self._found else {}
        self._write({"event": "complete" if complete else "stopped", "at": _now(), **counts, **found})
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _write(self, line: dict[str, Any]) -> None:
        self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._file.flush()


@dataclass(frozen=True)
class JournalSummary:
    """What one journal says happened."""

    path: Path
    plan: str
    finished: bool
    done: frozenset[tuple[str, str]]  # (address, action)
    failed: dict[str, str]
    # Every change of the plan done: its footer says `complete` (not `stopped`, nor missing: killed).
    complete: bool = False
    provider: str = ""
    target: str = ""


def read_journal(path: Path) -> JournalSummary:
    """Every complete line of a journal (a line cut short by a kill is ignored)."""
    plan = provider = target = ""
    finished = complete = False
    done: set[tuple[str, str]] = set()
    failed: dict[str, str] = {}
    for line in _lines(path):
        event = line.get("event")
        if event == "started":
            plan = str(line.get("plan", ""))
            provider, target = str(line.get("provider", "")), str(line.get("target", ""))
        elif event == Outcome.DONE.value and "address" in line and "action" in line:
            done.add((str(line["address"]), str(line["action"])))
            failed.pop(str(line["address"]), None)
        elif event == Outcome.FAILED.value and "address" in line:
            failed[str(line["address"])] = str(line.get("error", ""))
        elif event in ("complete", "stopped"):
            finished = True
            complete = event == "complete"
    return JournalSummary(path, plan, finished, frozenset(done), failed, complete, provider, target)


def journals_of(root: Path, plan: Plan) -> list[JournalSummary]:
    """This plan's journals in the project, oldest first."""
    found = [read_journal(path) for path in sorted(_journal_files(root, f"*-{_short(plan)}.jsonl"))]
    return [summary for summary in found if summary.plan == plan.checksum]


def unfinished_applies(root: Path, plan: Plan) -> list[JournalSummary]:
    """The journals of an apply of this plan that did not finish, oldest first; none when it finished.

    Such an apply is one whose newest journal is not `complete` (it was killed, or stopped with changes
    failed or not attempted), and after which no apply of another plan began on the same account: the
    journals since the newest `complete` one. A plan that happens to equal one applied in full earlier
    is a new plan, not a resumption (journals are named by the plan's checksum: equal plans, equal names).
    """
    mine = journals_of(root, plan)
    if not mine or mine[-1].complete:
        return []
    newest = mine[-1].path.name
    for path in _journal_files(root):
        header = _header(path) if path.name > newest else {}
        if (header.get("provider"), header.get("target")) == (plan.provider, plan.target):
            return []
    complete = [index for index, summary in enumerate(mine) if summary.complete]
    return mine[complete[-1] + 1 :] if complete else mine


class Cause(StrEnum):
    """Why the live account differs from the manifests, when the journals can tell."""

    # lmsform wrote what the manifests still declare, and the account no longer has it.
    VENDOR = "vendor"
    # The manifests changed since lmsform last wrote the object; nothing applied the change yet.
    NOT_APPLIED = "not_applied"


@dataclass(frozen=True)
class Written:
    """What the journals say lmsform last did to one object: removed it, or wrote these values (the
    newest per field since it last created the object; a field missing here is not known)."""

    removed: bool
    values: Mapping[str, Any]


@dataclass(frozen=True)
class History:
    """What the apply journals of one provider target say lmsform wrote."""

    written: Mapping[str, Written]  # by address
    # The manifest digest of the newest apply, if it completed: then the account matched those manifests.
    complete_with: str


def history(root: Path, provider: str, target: str, addresses: Collection[str]) -> History:
    """What the journals of `provider` `target` say about these addresses, newest first."""
    newest = True
    complete_with = ""
    values: dict[str, dict[str, Any]] = {address: {} for address in addresses}
    settled: dict[str, Written] = {}
    for path in sorted(_journal_files(root), reverse=True):
        lines = list(_lines(path))
        started = lines[0] if lines and lines[0].get("event") == "started" else {}
        if (started.get("provider"), started.get("target")) != (provider, target):
            continue
        if newest and lines[-1].get("event") == "complete":
            complete_with = str(started.get("manifests", ""))
        newest = False
        for line in reversed(lines):
            address = line.get("address")
            if isinstance(address, str) and address in values and address not in settled:
                _go_back(line, values[address], settled)
    written = {address: settled.get(address, Written(False, found)) for address, found in values.items()}
    return History(
        {address: item for address, item in written.items() if item.removed or item.values}, complete_with
    )


def _go_back(line: Mapping[str, Any], values: dict[str, Any], settled: dict[str, Written]) -> None:
    """One journal line about an object, going back in time from its newest."""
    address = str(line["address"])
    event, action = line.get("event"), line.get("action")
    if event != Outcome.DONE.value:
        # A failed change may have written part of what it sent: older values are no longer sure.
        settled[address] = Written(False, values)
        return
    if action in (Action.DELETE.value, Action.DEACTIVATE.value):
        settled[address] = Written(not values, values)
        return
    written = line.get("values")
    if not isinstance(written, dict):  # a journal from before values were recorded
        settled[address] = Written(False, values)
        return
    for name, value in written.items():
        values.setdefault(name, value)
    if action == Action.CREATE.value:
        settled[address] = Written(False, values)


def _journal_files(root: Path, pattern: str = "*.jsonl") -> list[Path]:
    """The journals in the project: regular files only. A pull request can commit `.lmsform/` despite
    its .gitignore; a "journal" that links to /dev/zero or a pipe would have plan read forever."""
    folder = journal_dir(root)
    if not folder.is_dir() or folder.is_symlink():
        return []
    return [path for path in folder.glob(pattern) if path.is_file() and not path.is_symlink()]


def _create(path: Path) -> IO[str]:
    """A new journal file, owner-only: never an existing file, nor through a link put in its place
    (O_EXCL fails on any name that exists; O_NOFOLLOW says so outright)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    return open(os.open(path, flags, 0o600), "w", encoding="utf-8")


def _written(change: Change) -> dict[str, Any]:
    """The values a done change wrote, so that later plans can tell whether the vendor changed them since:
    a new object's fields, what an update or a re-send sent (`Change.sends`); a removal writes none.
    Plans hold no secret, so neither does this."""
    if change.after is None or change.action.is_removal:
        return {}
    if change.action is Action.CREATE:
        return {"values": dict(change.after)}
    return {"values": {name: change.after.get(name) for name in change.sends}}


def _short(plan: Plan) -> str:
    return plan.checksum.rpartition(":")[2][:12]


def _header(path: Path) -> dict[str, Any]:
    """A journal's first line, if it is its `started` line."""
    lines = _lines(path)
    try:
        first = next(lines, {})
    finally:
        lines.close()
    return first if first.get("event") == "started" else {}


def _lines(path: Path) -> Generator[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        for text in file:
            if not text.endswith("\n"):
                return  # the last line, cut short
            try:
                line = json.loads(text)
            except ValueError:
                continue
            if isinstance(line, dict):
                yield line
