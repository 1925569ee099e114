"""What the commands do, apart from parsing arguments and printing: load, connect, read, plan, apply."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lmsform.characters import shown_inline
from lmsform.equality import same_value
from lmsform.errors import Issue, ManifestError, PlanFileError, StalePlanError, relative
from lmsform.ignoring import ignored_declarations, without_ignored
from lmsform.journal import Cause, History, JournalSummary, Written, history
from lmsform.kinds import KINDS_BY_NAME, Key, address, parse_address
from lmsform.manifest import Project, load_project
from lmsform.plan import (
    ABSENT,
    SIGNATURE,
    Action,
    Change,
    Plan,
    Targets,
    canonical_json,
    sign_document,
    signature_is_valid,
)
from lmsform.planner import make_plan
from lmsform.providers import registry
from lmsform.providers.base import KindSupport, Provider
from lmsform.safety import Guard, check_plan, make_guard
from lmsform.sandbox import start_sandbox
from lmsform.state import Resource, State
from lmsform.targeting import TargetError, selection, targeted
from lmsform.variables import PLAN_KEY
from lmsform.yamlmessages import shortened


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
    sandbox = start_sandbox(project.root, project.provider, settings) if settings.uses_sandbox else None
    try:
        api_root = sandbox.api_root if sandbox is not None else settings.api_root
        credential = settings.credential()
        if credential is None:
            assert sandbox is not None, "settings validation requires a credential outside the sandbox"
            credential = str(uuid.uuid4())  # the sandbox accepts any key; some vendors' are UUIDs
        provider = project.provider(settings, api_root=api_root, credential=credential)
        try:
            yield provider
        finally:
            provider.close()
    finally:
        if sandbox is not None:
            sandbox.stop()


def secrets_of(project: Project) -> dict[tuple[str, Key], Mapping[str, str]]:
    """Write-only values by object, for the applier; plans never hold them."""
    return {(item.kind, item.key): item.secrets for item in project.desired if item.secrets}


@dataclass(frozen=True)
class Reading:
    """The live account as lmsform sees it (ignored objects left out), and what it must not demote."""

    live: State
    guard: Guard
    # What the read held that `ignore:` hides: never planned, but a removal must not take it along.
    ignored: State = field(default_factory=State)


def read(project: Project, provider: Provider) -> Reading:
    return _reading(project, provider, provider.read(project.desired, project.config.manage))


def _reading(project: Project, provider: Provider, read: State) -> Reading:
    """The live state as read, less ignored objects, with the guard worked out from it."""
    live = without_ignored(read, project.config.ignored)
    ignored = State()
    for resource in read:
        if live.get(resource.kind, resource.key) is None:
            ignored.add(resource)
    guard = make_guard(
        project.config,
        provider.guarded(live),
        live=live,
        supports=project.provider.supports,
        trusted=project.trusted_protect,
    )
    return Reading(live, guard, ignored)


def plan(project: Project, provider: Provider, targets: Targets | None = None) -> tuple[Plan, Reading]:
    """The plan of the whole account, or of what `targets` select and what they need (a partial plan,
    `lmsform.targeting`): always made whole first, so what is left out is decided on the full picture."""
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
    made = _sparing_ignored(made, reading.ignored, project.provider.supports)
    if targets is not None and targets.partial:
        made = targeted(
            made,
            selection(targets),
            supports=project.provider.supports,
            known=(project.desired, reading.live),
            ignored=reading.ignored,
            title=project.provider.title,
        )
    made = replace(
        made,
        manifest_digest=project.digest,
        manifest_files=project.file_digests,
        environment=project.config.environment or "",
    )
    return replace(made, notices=tuple(provider.notices(made))), reading


def _sparing_ignored(made: Plan, ignored: State, supports: Mapping[str, KindSupport]) -> Plan:
    """The plan less the removals that would take an ignored object with them (a group whose members
    `ignore:` hides): lmsform never touches an ignored object, and could neither show such a removal
    whole, nor count it in the thresholds, nor check it against protection."""
    if not len(ignored):
        return made
    kept: list[Change] = []
    warnings = list(made.warnings)
    for change in made.changes:
        taken = _ignored_taken(change, ignored, supports) if change.action.is_removal else None
        if taken is None:
            kept.append(change)
        else:
            warnings.append(
                f"{change.address} is left as it is: it would take {taken.address} with it, which is "
                "ignored (ignore: in lmsform.yaml), and lmsform never touches an ignored object"
            )
    return replace(made, changes=tuple(kept), warnings=tuple(warnings))


def _ignored_taken(change: Change, ignored: State, supports: Mapping[str, KindSupport]) -> Resource | None:
    support = supports.get(change.kind)
    if support is None or not support.cascades:
        return None
    removed = {(change.kind, change.key), *(parse_address(item) for item in change.cascade)}
    for kind_name in support.cascades:
        kind = KINDS_BY_NAME[kind_name]
        for key, resource in ignored.of(kind_name).items():
            if any(ref in removed for ref in kind.refs_of(key)):
                return resource
    return None


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
    for item in [*reading.ignored, *taken]:
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
#
# A saved plan is a claim, not a command: whoever can open a pull request may have written the file (a
# CI artifact, or a file in the checkout). Apply trusts it for nothing. It plans again from the project
# and the live account, goes ahead only when the fresh plan makes exactly the changes the file lists
# (compared as canonical JSON), and applies the fresh plan: its ids, references, counts for the safety
# thresholds and timestamp, never the file's.


def plan_key() -> bytes | None:
    """The key that signs saved plans, from the environment (never the project); None: plans are not
    signed. An empty value counts as unset: CI gives one for a secret a job may not see."""
    key = os.environ.get(PLAN_KEY, "")
    return key.encode("utf-8") if key else None


def plan_document(planned: Plan, project: Project, *, relative_to: Path) -> dict[str, Any]:
    """The plan's JSON, plus where its project is (relative to `relative_to`) and the output settings."""
    document = planned.to_json()
    document["project"] = Path(_relative(project.root, relative_to)).as_posix()
    document["redact"] = project.config.output.redact
    return document


def save_plan(planned: Plan, project: Project, path: Path) -> None:
    """Write the plan for `apply`, signed over the whole document when the environment has a key."""
    document = plan_document(planned, project, relative_to=path.resolve().parent)
    key = plan_key()
    if key is not None:
        document[SIGNATURE] = sign_document(document, key)
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


@dataclass(frozen=True)
class SavedPlan:
    """A plan file as read: the plan, the document as written, and the project folder it names."""

    plan: Plan
    document: Mapping[str, Any]
    project: Path


def open_saved_plan(path: Path, *, within: Path) -> SavedPlan:
    """A plan file to apply: signed, when the environment has a key; naming a project inside `within`."""
    saved, document = read_plan_file(path)
    _check_signature(path, document)
    try:
        selection(saved.targets)
    except TargetError as error:
        raise PlanFileError(f"{path}: the plan's targets are malformed: {error}") from None
    return SavedPlan(saved, document, project_of_plan(path, document, within=within))


def _check_signature(path: Path, document: Mapping[str, Any]) -> None:
    key = plan_key()
    if key is None:
        return
    if SIGNATURE not in document:
        raise PlanFileError(
            f"{path}: the plan is not signed, and {PLAN_KEY} is set: apply takes only plans that "
            f"`lmsform plan --out` wrote with that key"
        )
    if not signature_is_valid(document, key):
        raise PlanFileError(
            f"{path}: the plan's signature does not match it: the file was edited, or signed with another "
            f"key than {PLAN_KEY}"
        )


def project_of_plan(path: Path, document: Mapping[str, Any], *, within: Path) -> Path:
    """The project folder a plan names (relative to the plan file); it must lie inside `within`.

    The folder decides which manifests, credentials and account apply uses, and the file may come from
    a pull request. `within` is the folder apply runs in, which the trusted side chose (a CI job checks
    the default branch out and runs apply there). Any project inside it is safe to load: apply changes
    only what that project's manifests and the live account ask for, and only when the file lists
    exactly that. A folder outside it (`../..`, an absolute path, a link leading out) is refused.
    """
    named = document.get("project", ".")
    if not isinstance(named, str):
        raise PlanFileError(f"{path}: malformed plan file: its project is not a folder name")
    shown = json.dumps(named)  # ASCII: the name may hold terminal escapes
    try:
        folder = (path.resolve().parent / named).resolve()
        boundary = within.resolve()
    except (OSError, ValueError, RuntimeError) as error:
        raise PlanFileError(f"{path}: the plan's project {shown} is not a folder: {error}") from None
    if not folder.is_relative_to(boundary):
        raise PlanFileError(
            f"{path}: the plan's project {shown} is outside the folder apply runs in ({boundary}); apply "
            "runs only plans of projects inside it: run it from a folder that holds the project"
        )
    return folder


def plan_again(
    saved: SavedPlan, project: Project, provider: Provider, *, resuming: bool
) -> tuple[Plan, Reading]:
    """The fresh plan a saved plan is checked against. When planning fails, a saved plan made from
    other manifests, or (not resuming) from live objects that have changed since, is reported stale
    rather than the failure: that is what its reviewers need to hear."""
    try:
        return plan(project, provider, saved.plan.targets)
    except ManifestError:
        reasons = _made_for(saved.plan, project)
        if not resuming and not reasons:
            reasons = _fingerprint_reasons(saved.plan, project, read(project, provider).live)
        if reasons:
            raise StalePlanError(reasons) from None
        raise


def check_unchanged(saved: SavedPlan, fresh: Plan, project: Project, live: State) -> None:
    """Refuse a saved plan unless planning again now gives exactly its changes and references, made
    from the same manifests; say which differ."""
    reasons = _made_for(saved.plan, project) + _fingerprint_reasons(saved.plan, project, live)
    reasons += _change_differences(saved, fresh)
    if canonical_json(saved.document["refs"]) != canonical_json(fresh.refs_json()):
        reasons += _ref_differences(saved.plan, fresh, resuming=False) or [
            "the saved plan lists its references in another form than lmsform writes"
        ]
    if reasons:
        raise StalePlanError(reasons)


def _made_for(saved: Plan, project: Project) -> list[str]:
    reasons = []
    other_environment = _environment_refusal(saved, project)
    if other_environment is not None:
        reasons.append(other_environment)
    if (saved.provider, saved.target) != (project.provider.name, project.settings.target()):
        reasons.append(
            f"it was made for {json.dumps(saved.provider)} {json.dumps(saved.target)}, the project is for "
            f"{project.provider.name} {project.settings.target()}"
        )
    if saved.manifest_digest != project.digest and other_environment is None:
        reasons.append(_manifests_changed(saved, project))
    return reasons


# How many files the reason for a stale plan names; the rest are counted.
_FILES_NAMED = 10
# A file name in it: plain names as they are; any other quoted, with what a terminal acts on escaped.
_PLAIN_FILE_NAME = re.compile(r"[A-Za-z0-9._/+@-]{1,200}")


def _manifests_changed(saved: Plan, project: Project) -> str:
    """Why the manifests no longer match the plan, naming the files that differ. The overall digest
    decides (it and the signature cover the files' list too); the list is the file's word, used only
    to say which: a list edited to hide a change, or a plan saved before it existed, gives no names."""
    reason = "the manifests changed since the plan was made"
    differing = _differing_files(saved.manifest_files, project.file_digests) if saved.manifest_files else []
    if not differing:
        return reason
    more = len(differing) - _FILES_NAMED
    return f"{reason}: {', '.join(differing[:_FILES_NAMED])}" + (f", and {more} more" if more > 0 else "")


def _differing_files(made_from: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    differing = []
    for name in sorted(made_from.keys() | now.keys()):
        if name not in now:
            differing.append(f"{_file_shown(name)} was removed")
        elif name not in made_from:
            differing.append(f"{_file_shown(name)} was added")
        elif made_from[name] != now[name]:
            differing.append(f"{_file_shown(name)} changed")
    return differing


def _file_shown(name: str) -> str:
    """A manifest file's name for the message: both the plan file and the checkout may come from a pull
    request, so a name must not pass for more of the message, nor act on the terminal."""
    if _PLAIN_FILE_NAME.fullmatch(name):
        return name
    return shown_inline(json.dumps(shortened(name, 200), ensure_ascii=False))


def check_environment(saved: SavedPlan, project: Project) -> None:
    """Refuse, before connecting, a saved plan made for another environment than the project it names
    (a staging plan in the production folder): its changes were reviewed for the other one."""
    refusal = _environment_refusal(saved.plan, project)
    if refusal is not None:
        raise PlanFileError(f"{refusal}; nothing was changed: apply it in the project it was made for")


def _environment_refusal(saved: Plan, project: Project) -> str | None:
    ours = project.config.environment or ""
    if saved.environment == ours:
        return None
    # json.dumps: the plan file's text may hold terminal escapes (ours is plain words, by its pattern).
    theirs = f"environment {json.dumps(saved.environment)}" if saved.environment else "no environment"
    is_ours = f"environment {json.dumps(ours)}" if ours else "for no environment"
    return f"the plan was made for {theirs}, and the project {relative(project.root)} is {is_ours}"


def _fingerprint_reasons(saved: Plan, project: Project, live: State) -> list[str]:
    """The live objects the plan was made from that have changed since (by the file's word: the
    comparison of changes is what holds; this says why, where it can)."""
    reasons = []
    for (kind, key), was in sorted(saved.live_fingerprint.items()):
        resource = live.get(kind, key)
        now = ABSENT if resource is None else resource.fingerprint()
        if now != was:
            happened = "was created" if was == ABSENT else "was removed" if now == ABSENT else "was changed"
            reasons.append(
                f"{address(kind, key)} {happened} in {project.provider.title} since the plan was made"
            )
    return reasons


# Changes by (address, action), each with its JSON as the plan file has it.
_Claimed = Mapping[tuple[str, str], Sequence[tuple[Change, Mapping[str, Any]]]]


def _claimed(changes: Sequence[Change], items: Sequence[Mapping[str, Any]]) -> _Claimed:
    """Changes by where and what, with their JSON. The address is made from the kind and key: the
    file's own `address` field is compared, never believed."""
    found: dict[tuple[str, str], list[tuple[Change, Mapping[str, Any]]]] = {}
    for change, item in zip(changes, items, strict=True):
        found.setdefault((change.address, change.action.value), []).append((change, item))
    return found


def _change_differences(saved: SavedPlan, fresh: Plan) -> list[str]:
    """Where the saved plan's changes differ from the fresh plan's, compared as canonical JSON."""
    claimed_items = saved.document["changes"]
    made_items = [change.to_json() for change in fresh.changes]
    if canonical_json(claimed_items) == canonical_json(made_items):
        return []
    claimed = _claimed(saved.plan.changes, claimed_items)
    made = _claimed(fresh.changes, made_items)
    reasons = []
    for where, action in sorted(claimed.keys() | made.keys()):
        theirs, ours = claimed.get((where, action), ()), made.get((where, action), ())
        if not theirs:
            reasons.append(f"{where} ({action}) is needed now but is not in the saved plan")
        elif not ours:
            reasons.append(f"{where} ({action}) is in the saved plan but is not needed now")
        elif len(theirs) != len(ours):
            reasons.append(
                f"{where} ({action}) is in the saved plan {len(theirs)} time(s), needed {len(ours)}"
            )
        else:
            differing = [
                _differing_fields(our_item, their_item)
                for (_, our_item), (_, their_item) in zip(ours, theirs, strict=True)
            ]
            reasons += [
                f"{where} ({action}) differs from the saved plan in: {fields}"
                for fields in differing
                if fields
            ]
    return reasons or ["the saved plan lists its changes in another order than lmsform makes them"]


def _differing_fields(
    ours: Mapping[str, Any], theirs: Mapping[str, Any], ignored: frozenset[str] = frozenset()
) -> str:
    """The names of the fields whose values differ, '' if none; a field lmsform does not write is named
    only as such (its name is the file's, and may hold anything)."""
    names = [
        name
        for name in Change.FIELDS
        if name not in ignored and canonical_json(ours.get(name)) != canonical_json(theirs.get(name))
    ]
    if set(theirs) - set(Change.FIELDS):
        names.append("a field lmsform does not write")
    return ", ".join(names)


def _ref_differences(saved: Plan, fresh: Plan, *, resuming: bool) -> list[str]:
    """The live objects the fresh plan refers to by other ids than the saved plan. Resuming, an object
    the saved plan created or changed may be referred to now (by the ids of the earlier apply's object,
    or those the change named), and those the saved plan referred to need not be any more."""
    reasons = []
    changed = {(change.kind, change.key): change for change in saved.changes}
    for kind_and_key, ids in sorted(fresh.refs.items()):
        where = address(*kind_and_key)
        claimed = saved.refs.get(kind_and_key)
        change = changed.get(kind_and_key)
        if claimed is not None:
            if dict(claimed) != dict(ids):
                reasons.append(f"{where} is referred to by other ids than in the saved plan")
        elif resuming and change is not None:
            if change.action is not Action.CREATE and dict(change.ids) != dict(ids):
                reasons.append(f"{where} is referred to by other ids than its change in the saved plan names")
        else:
            reasons.append(f"{where} is referred to now but not in the saved plan")
    if not resuming:
        reasons += [
            f"{address(*kind_and_key)} is referred to in the saved plan but not now"
            for kind_and_key in sorted(saved.refs.keys() - fresh.refs.keys())
        ]
    return reasons


def resume(saved: SavedPlan, fresh: Plan, project: Project) -> Plan:
    """What is left of a saved plan an earlier apply began and did not finish, re-checked against a
    fresh plan, which is what is applied (with the fresh ids).

    The saved plan's changes the fresh plan no longer needs were made (the journal, or the live account,
    says so). Each change the fresh plan still needs must be the saved one, compared as canonical JSON,
    but for what the earlier apply itself did: it wrote some fields of an update (they now read as it
    wrote them, and are no longer to change), it created objects (the fresh plan refers to them by
    their new ids), and it may have been killed between the calls of a create made in several (an
    update to what the create wanted finishes it). Anything else means the account or the manifests
    moved on since the plan was reviewed: the saved plan is stale.
    """
    reasons = _made_for(saved.plan, project)
    claimed = _claimed(saved.plan.changes, saved.document["changes"])
    left = []
    for change in fresh.changes:
        if change.action is Action.REASSERT and (change.address, change.action.value) not in claimed:
            continue  # a value sent whenever its object is written; nothing lmsform can see changes
        why = _not_resumable(change, claimed)
        if why:
            reasons.append(why)
        else:
            left.append(change)
    reasons += _ref_differences(saved.plan, fresh, resuming=True)
    if reasons:
        raise StalePlanError(reasons)
    return replace(fresh, changes=tuple(left))


def _not_resumable(change: Change, claimed: _Claimed) -> str:
    """Why the fresh `change` is not what the saved plan has left to do; '' when it is."""
    where = f"{change.address} ({change.action.value})"
    ours = change.to_json()
    theirs = claimed.get((change.address, change.action.value), ())
    if len(theirs) > 1:
        return f"{where} is in the saved plan {len(theirs)} times"
    if theirs:
        saved_change, item = theirs[0]
        if change.action is Action.UPDATE:
            item = _as_partly_made(item, saved_change, change)
        # `sent_before` is the journals' word on what was sent, which the earlier apply changed; it
        # decides only how the plan is worded, never what is sent.
        fields = _differing_fields(ours, item, ignored=frozenset({"sent_before"}))
        return f"{where} differs from the saved plan in: {fields}" if fields else ""
    created = claimed.get((change.address, Action.CREATE.value), ())
    if change.action is Action.UPDATE and len(created) == 1 and _finishes_create(change, created[0][0]):
        return ""
    return f"{where} is needed now but is not in the saved plan"


def _as_partly_made(item: Mapping[str, Any], saved: Change, fresh: Change) -> Mapping[str, Any]:
    """The saved update as it reads once the earlier apply wrote some of its fields (an update made in
    several calls, killed between them): those fields now read as the update wanted, and no longer change."""
    wanted, now = saved.after or {}, fresh.before or {}
    written = {
        name
        for name in saved.changed
        if name not in fresh.changed
        and name in wanted
        and name in now
        and same_value(now[name], wanted[name])
    }
    if not written or saved.before is None:
        return item
    before = {**saved.before, **{name: now[name] for name in written}}
    return {**item, "before": before, "changed": [name for name in saved.changed if name not in written]}


def _finishes_create(change: Change, created: Change) -> bool:
    """An update finishing a create the earlier apply was killed inside: a Damstra user imported but not
    yet inactivated, say. Each field it changes is one the create wanted, with that value."""
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
    return os.path.relpath(path.resolve(), base)
