"""What the commands do, apart from parsing arguments and printing: load, connect, read, plan, apply."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lmsform.equality import same_value
from lmsform.errors import Issue, ManifestError, PlanFileError, StalePlanError
from lmsform.ignoring import ignored_declarations, without_ignored
from lmsform.journal import Cause, History, JournalSummary, Written, history
from lmsform.manifest import Project, load_project
from lmsform.model import Key, address
from lmsform.plan import ABSENT, Action, Change, Plan
from lmsform.planner import make_plan
from lmsform.providers import registry
from lmsform.providers.base import Provider
from lmsform.safety import Guard, check_plan, make_guard
from lmsform.sandbox import start_sandbox
from lmsform.state import State


def load(directory: Path, *, offline: bool = False) -> Project:
    """The project in `directory`. `offline` (validate): no variable need be set, and the project
    cannot connect; the commands that connect report a missing one."""
    project = load_project(directory, providers=registry(), offline=offline)
    issues = ignored_declarations(project.desired, project.config.ignored)
    if issues:
        raise ManifestError(issues)
    return project


@contextmanager
def connect(project: Project) -> Iterator[Provider]:
    """A provider bound to the vendor's API, or to the built-in sandbox with `base_url: sandbox`."""
    # Its secrets may be stand-ins for variables that were not set.
    assert not project.offline, "a project loaded offline never connects"
    settings = project.settings
    # load_project refused this with the setting's place already; a second line, before any request.
    refusal = settings.credential_refusal(project.allowed_origins)
    if refusal is not None:
        raise ManifestError([Issue(None, refusal)])
    server = start_sandbox(project.root, project.provider, settings) if settings.uses_sandbox else None
    try:
        api_root = project.provider.emulator_api_root(server.url) if server is not None else settings.api_root
        credential = settings.credential()
        if credential is None:
            assert server is not None, "settings validation requires a credential outside the sandbox"
            credential = str(uuid.uuid4())  # the sandbox accepts any key; some vendors' are UUIDs
        provider = project.provider(settings, api_root=api_root, credential=credential)
        try:
            yield provider
        finally:
            provider.close()
    finally:
        if server is not None:
            server.stop()


def secrets_of(project: Project) -> dict[tuple[str, Key], Mapping[str, str]]:
    """Write-only values by object, for the applier; plans never hold them."""
    return {(item.kind, item.key): item.secrets for item in project.desired if item.secrets}


@dataclass(frozen=True)
class Reading:
    """The live account as lmsform sees it (ignored objects left out), and what it must not demote."""

    live: State
    guard: Guard


def read(project: Project, provider: Provider) -> Reading:
    return _reading(project, provider, provider.read(project.desired, project.config.manage))


def _reading(project: Project, provider: Provider, read: State) -> Reading:
    """The live state as read, less ignored objects, with the guard worked out from it."""
    live = without_ignored(read, project.config.ignored)
    guard = make_guard(project.config, provider.guarded(live), live=live, supports=project.provider.supports)
    return Reading(live, guard)


def plan(project: Project, provider: Provider) -> tuple[Plan, Reading]:
    reading = read(project, provider)
    # What earlier applies wrote, for the values the vendor cannot report back: the plan calls one
    # "sent again" only when the journals show lmsform last sent that very value.
    supports = project.provider.supports
    unread = {
        address(kind_name, key)
        for kind_name, key in [*((item.kind, item.key) for item in project.desired), *project.desired.absent]
        if kind_name in supports and (supports[kind_name].readback or not supports[kind_name].readable)
    }

    def written_values() -> Mapping[str, Mapping[str, Any]]:
        known = history(project.root, project.provider.name, project.settings.target(), unread)
        return {where: item.values for where, item in known.written.items() if not item.removed}

    # Read only when the planner first asks: most plans send no value the vendor cannot report back.
    written = _Later(written_values)

    def planned_from(reading: Reading) -> Plan:
        return make_plan(
            project.desired,
            reading.live,
            provider=project.provider,
            manage=project.config.manage,
            target=project.settings.target(),
            unresolved=project.unresolved,
            guard=reading.guard,
            written=written,
        )

    made = planned_from(reading)
    # What the removals take with them must be in the plan, to be shown, counted in the thresholds
    # and refused when protected; the first read may have left it out (the members of a group the
    # manifests no longer name). It is read now, for these removals only, and the plan made again.
    widened = _with_taken(project, provider, made, reading)
    if widened is not None:
        reading = widened
        made = planned_from(reading)
    return replace(made, manifest_digest=project.digest, notices=tuple(provider.notices(made))), reading


def _with_taken(project: Project, provider: Provider, made: Plan, reading: Reading) -> Reading | None:
    """The reading with what the plan's removals take along that it lacked; None if it lacked nothing."""
    supports = project.provider.supports
    removals = [
        change
        for change in made.changes
        if change.action.is_removal and change.kind in supports and supports[change.kind].cascades
    ]
    if not removals:
        return None
    live = reading.live
    taken = [item for item in provider.read_taken(live, removals) if live.get(item.kind, item.key) is None]
    if not taken:
        return None
    widened = live.copy()
    for item in taken:
        widened.add(item)
    return _reading(project, provider, widened)


class _Later(Mapping[str, Mapping[str, Any]]):
    """A mapping made by `make` at its first use (the apply journals, read whole, cost about a
    second per 60,000 lines)."""

    def __init__(self, make: Callable[[], Mapping[str, Mapping[str, Any]]]) -> None:
        self._make = make
        self._made: Mapping[str, Mapping[str, Any]] | None = None

    def _values(self) -> Mapping[str, Mapping[str, Any]]:
        if self._made is None:
            self._made = self._make()
        return self._made

    def __getitem__(self, where: str) -> Mapping[str, Any]:
        return self._values()[where]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


def check_safety(project: Project, planned: Plan, reading: Reading, *, force: bool) -> None:
    check_plan(planned, project.config, reading.guard, force=force)


# --- drift ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """Where the live account differs from the manifests (the changes a plan would make), and why,
    by address, where the apply journals can tell; a difference without a cause may be either."""

    plan: Plan
    causes: Mapping[str, Cause]


def drift(project: Project, provider: Provider) -> Drift:
    found, _ = plan(project, provider)
    shown = [change for change in found.changes if change.action is not Action.REASSERT]
    known = history(project.root, found.provider, found.target, {change.address for change in shown})
    causes = {change.address: _cause(change, known, project.digest) for change in shown}
    return Drift(found, {address: cause for address, cause in causes.items() if cause is not None})


def _cause(change: Change, known: History, manifests: str) -> Cause | None:
    written = known.written.get(change.address)
    cause = _cause_by_values(change, written) if written is not None else None
    if cause is None and manifests and known.complete_with == manifests:
        # The newest apply finished with these very manifests: it left the account matching them.
        return Cause.VENDOR
    return cause


def _cause_by_values(change: Change, written: Written) -> Cause | None:
    """What lmsform last wrote to this object against what the manifests declare now."""
    if change.action is Action.CREATE:  # declared, and missing from the account
        return Cause.NOT_APPLIED if written.removed else Cause.VENDOR
    if change.action.is_removal:  # in the account, and no longer declared
        return Cause.VENDOR if written.removed else Cause.NOT_APPLIED
    after = change.after or {}
    if written.removed or not change.changed or any(name not in written.values for name in change.changed):
        return None
    causes = {
        Cause.VENDOR if same_value(after.get(name), written.values[name]) else Cause.NOT_APPLIED
        for name in change.changed
    }
    return causes.pop() if len(causes) == 1 else None  # some fields each way: say nothing of the whole


# --- saved plans ------------------------------------------------------------------------------------


def plan_document(planned: Plan, project: Project, *, relative_to: Path) -> dict[str, Any]:
    """The plan's JSON, plus where its project is (relative to `relative_to`) and the output settings."""
    document = planned.to_json()
    document["project"] = Path(_relative(project.root, relative_to)).as_posix()
    document["redact"] = project.config.output.redact
    return document


def save_plan(planned: Plan, project: Project, path: Path) -> None:
    document = plan_document(planned, project, relative_to=path.resolve().parent)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_plan_file(path: Path) -> tuple[Plan, dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise PlanFileError(f"{path}: cannot read the plan: {error}") from None
    except ValueError as error:
        raise PlanFileError(f"{path}: not JSON: {error}") from None
    if not isinstance(document, dict):
        raise PlanFileError(f"{path}: not an lmsform plan")
    return Plan.from_json(document), document


def project_of_plan(path: Path, document: Mapping[str, Any]) -> Path:
    return (path.resolve().parent / str(document.get("project", "."))).resolve()


def check_fresh(saved: Plan, project: Project, live: State) -> None:
    """Refuse a saved plan made from other manifests, or from live objects that have changed since."""
    reasons = []
    if (saved.provider, saved.target) != (project.provider.name, project.settings.target()):
        reasons.append(
            f"it was made for {saved.provider} {saved.target}, the project is for "
            f"{project.provider.name} {project.settings.target()}"
        )
    if saved.manifest_digest != project.digest:
        reasons.append("the manifests changed since the plan was made")
    for (kind, key), was in sorted(saved.live_fingerprint.items()):
        resource = live.get(kind, key)
        now = ABSENT if resource is None else resource.fingerprint()
        if now != was:
            happened = "was created" if was == ABSENT else "was removed" if now == ABSENT else "was changed"
            reasons.append(
                f"{address(kind, key)} {happened} in {project.provider.title} since the plan was made"
            )
    if reasons:
        raise StalePlanError(reasons)


def resume(saved: Plan, fresh: Plan, project: Project) -> Plan:
    """What is left of a saved plan an earlier apply began, re-checked against a fresh plan.

    The saved plan's changes that the fresh plan no longer needs were made (the journal, or the live
    account, says so); those it still needs are applied as the fresh plan has them (with the ids of
    objects the earlier apply created). So is the rest of a create made in several calls that the
    earlier apply was killed between: an update to what the create wanted. A change the saved plan
    never had means the account or the manifests moved on: the saved plan is stale.
    """
    reasons = []
    if saved.manifest_digest != project.digest:
        reasons.append("the manifests changed since the plan was made")
    planned = {(change.address, change.action): change for change in saved.changes}
    left = [change for change in fresh.changes if _still_planned(change, planned)]
    reasons += [
        f"{change.address} ({change.action.value}) is needed now but is not in the saved plan"
        for change in fresh.changes
        if not _still_planned(change, planned) and change.action is not Action.REASSERT
    ]
    if reasons:
        raise StalePlanError(reasons)
    return replace(fresh, changes=tuple(left))


def _still_planned(change: Change, planned: Mapping[tuple[str, Action], Change]) -> bool:
    if (change.address, change.action) in planned:
        return True
    created = planned.get((change.address, Action.CREATE))
    if change.action is not Action.UPDATE or created is None:
        return False
    # A Damstra user imported but not yet inactivated, say: the update finishes what the create began.
    wanted, after = created.after or {}, change.after or {}
    return all(name in wanted and after.get(name) == wanted[name] for name in change.changed)


def made_already(saved: Plan, left: Plan, journals: Sequence[JournalSummary]) -> list[Change]:
    """The saved plan's changes that resuming found made although no journal records them as done:
    an apply killed after the vendor made them, before it heard the answer."""
    remaining = {(change.address, change.action) for change in left.changes}
    recorded = {done for journal in journals for done in journal.done}
    return [
        change
        for change in saved.changes
        if (change.address, change.action) not in remaining
        and (change.address, change.action.value) not in recorded
    ]


def _relative(path: Path, base: Path) -> str:
    import os

    return os.path.relpath(path.resolve(), base)
