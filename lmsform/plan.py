"""The plan: immutable data listing the changes that bring the live account to the manifests."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from lmsform import __version__
from lmsform.errors import PlanFileError
from lmsform.kinds import KIND_NAMES, KINDS, KINDS_BY_NAME, Key, address


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    DEACTIVATE = "deactivate"
    # Declared values the vendor cannot report back, on an object nothing else about changes: sent on
    # every apply (idempotent). `Change.sent_before` says which of them an earlier apply sent.
    REASSERT = "reassert"

    @property
    def is_removal(self) -> bool:
        return self in (Action.DELETE, Action.DEACTIVATE)

    @property
    def counted_as(self) -> str:
        """The word a plan's summary counts it under (a field of `Counts`). The actions name what the
        API is asked to do; people read plans in Terraform's words: add, change, remove."""
        return _COUNTED_AS[self]


_COUNTED_AS = {
    Action.CREATE: "add",
    Action.UPDATE: "change",
    Action.DELETE: "remove",
    Action.DEACTIVATE: "remove",
    Action.REASSERT: "reassert",
}


_KIND_ORDER = {kind.name: index for index, kind in enumerate(KINDS)}
# Version of the JSON form of plans (saved plans, `--format json`); bump on incompatible changes.
FORMAT_VERSION = 1
ABSENT = "absent"


@dataclass(frozen=True)
class Change:
    """One change to one object. `before` is the live object, `after` what it will be."""

    action: Action
    kind: str
    key: Key
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    changed: tuple[str, ...] = ()
    # The vendor's identifiers of the live object (updates and removals need them).
    ids: Mapping[str, str] = field(default_factory=dict)
    # Objects the vendor removes together with this one (a group's memberships).
    cascade: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # The live object was not managed by lmsform until now: the update marks it as managed.
    adopt: bool = False
    # Declared fields the vendor cannot report back (write-only, or read back in part): apply sends
    # them whenever it writes the object, whatever else changes, since nothing can show they arrived.
    unread: tuple[str, ...] = ()
    # Of `unread`, those whose declared value the apply journals show lmsform last wrote to this
    # object: only these may be called "sent again". The rest are sent, and lmsform cannot tell
    # whether the vendor holds them.
    sent_before: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        return address(self.kind, self.key)

    @property
    def sends(self) -> tuple[str, ...]:
        """The fields apply writes to an existing object: the changed ones and those it cannot read back."""
        if not self.unread:
            return self.changed
        return tuple(sorted({*self.changed, *self.unread}))

    @property
    def unproven(self) -> tuple[str, ...]:
        """Fields sent that no earlier apply is known to have sent with this value."""
        return tuple(name for name in self.unread if name not in self.sent_before)

    def sort_key(self) -> tuple[int, int, int, Key]:
        """Per kind in dependency order creates, then updates; then removals in reverse dependency order."""
        kind_index = _KIND_ORDER[self.kind]
        if self.action.is_removal:
            return (1, -kind_index, 0, self.key)
        return (0, kind_index, 0 if self.action is Action.CREATE else 1, self.key)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind,
            "key": list(self.key),
            "address": self.address,
            "before": dict(self.before) if self.before is not None else None,
            "after": dict(self.after) if self.after is not None else None,
            "changed": list(self.changed),
            "ids": dict(self.ids),
            "cascade": list(self.cascade),
            "notes": list(self.notes),
            "adopt": self.adopt,
            # Only when there are any: plans saved before these existed keep their checksums.
            **({"unread": list(self.unread)} if self.unread else {}),
            **({"sent_before": list(self.sent_before)} if self.sent_before else {}),
        }

    # Every field of the JSON form, in the order reports name them.
    FIELDS = (
        "action", "kind", "key", "address", "before", "after", "changed", "ids", "cascade", "notes",
        "adopt", "unread", "sent_before",
    )  # fmt: skip

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Change:
        return Change(
            action=Action(data["action"]),
            kind=_kind_name(data["kind"]),
            key=_key(data["key"]),
            before=data.get("before"),
            after=data.get("after"),
            changed=tuple(data.get("changed", ())),
            ids=dict(data.get("ids", {})),
            cascade=tuple(data.get("cascade", ())),
            notes=tuple(data.get("notes", ())),
            adopt=bool(data.get("adopt", False)),
            unread=tuple(data.get("unread", ())),
            sent_before=tuple(data.get("sent_before", ())),
        )


@dataclass(frozen=True)
class Counts:
    add: int
    change: int
    remove: int
    reassert: int


@dataclass(frozen=True)
class Targets:
    """What a partial plan is limited to (`--target ADDRESS`, `--kind KIND`), as given; both empty: the
    whole account. A saved plan keeps them, and apply plans again with them (`lmsform.targeting`)."""

    addresses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.addresses or self.kinds)

    @property
    def options(self) -> tuple[str, ...]:
        """As the command line gives them: `--target users["*@acme.com"]`, `--kind groups`."""
        return tuple(f"--target {text}" for text in self.addresses) + tuple(
            f"--kind {name}" for name in self.kinds
        )

    def to_json(self) -> dict[str, list[str]]:
        return {"addresses": list(self.addresses), "kinds": list(self.kinds)}

    @staticmethod
    def from_json(data: object) -> Targets:
        """Targets read back from a plan file: lists of strings, and kinds lmsform plans (each address
        is checked where it is used, `lmsform.targeting.selection`)."""
        if not isinstance(data, Mapping) or set(data) - {"addresses", "kinds"}:
            raise ValueError("targets are an object of addresses and kinds")
        addresses, kinds = data.get("addresses", []), data.get("kinds", [])
        for values in (addresses, kinds):
            if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
                raise ValueError("a plan's targets are lists of strings")
        unknown = [name for name in kinds if name not in KIND_NAMES]
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r} in the plan's targets")
        return Targets(tuple(addresses), tuple(kinds))


@dataclass(frozen=True)
class Plan:
    """Ordered changes for one provider target, with the vendor ids of live objects they refer to."""

    provider: str
    target: str
    changes: tuple[Change, ...]
    # Vendor ids of live objects that changes refer to but do not change (a membership's group and user).
    refs: Mapping[tuple[str, Key], Mapping[str, str]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # When the plan was made (UTC): a stable timestamp that repeated applies of it reuse.
    created_at: str = ""
    # What the plan was made from, so a saved plan can tell when it has gone stale: a digest of
    # the manifest files, and one of each live object it depends on (ABSENT for objects it creates).
    manifest_digest: str = ""
    live_fingerprint: Mapping[tuple[str, Key], str] = field(default_factory=dict)
    # A digest of each manifest file, by its path relative to the project folder: only to say which
    # files changed when `manifest_digest`, which alone decides, no longer matches. Empty in plans
    # saved before it existed.
    manifest_files: Mapping[str, str] = field(default_factory=dict)
    # Live objects per kind when the plan was made, for the safety thresholds.
    existing: Mapping[str, int] = field(default_factory=dict)
    # What the vendor will do besides the changes, for reviewers (a welcome e-mail, or none).
    notices: tuple[str, ...] = ()
    # What a partial plan is limited to; empty for a plan of the whole account.
    targets: Targets = field(default_factory=Targets)
    # The environment lmsform.yaml names (`environment: production`); "" when it names none.
    environment: str = ""

    @staticmethod
    def build(
        provider: str,
        target: str,
        changes: list[Change],
        refs: Mapping[tuple[str, Key], Mapping[str, str]],
        warnings: list[str],
        live_fingerprint: Mapping[tuple[str, Key], str] | None = None,
        existing: Mapping[str, int] | None = None,
    ) -> Plan:
        return Plan(
            provider=provider,
            target=target,
            changes=tuple(sorted(changes, key=Change.sort_key)),
            refs=dict(refs),
            warnings=tuple(warnings),
            created_at=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            live_fingerprint=dict(live_fingerprint or {}),
            existing=dict(existing or {}),
        )

    @cached_property
    def checksum(self) -> str:
        """A digest of the changes: the same plan (saved and read back) has the same checksum. It names
        the plan (journals) and catches a file damaged by accident; anyone can recompute it, so it
        proves nothing about who wrote a plan file (see `sign_document`)."""
        return _checksum([change.to_json() for change in self.changes])

    @property
    def is_empty(self) -> bool:
        """No change to what lmsform can see; values sent because they cannot be read back do not count.

        Not even those no earlier apply is known to have sent (`unproven`): what counts is what the
        account shows, and it shows nothing of them. The journals that could prove them sent are
        local and git-ignored, so a CI job or a colleague's checkout never has them: counting their
        absence would make `plan --detailed-exitcode` and `drift` exit 2 on every run there, an
        account that can never come into sync. The plan says which are unproven instead.
        """
        return all(change.action is Action.REASSERT for change in self.changes)

    @property
    def unproven(self) -> tuple[Change, ...]:
        """Changes sending values the vendor cannot report back and no earlier apply is known to have
        sent: renderers must not call these "sent again"."""
        return tuple(change for change in self.changes if change.unproven)

    @property
    def counts(self) -> Counts:
        counted = Counter(change.action.counted_as for change in self.changes)
        return Counts(**{column.name: counted[column.name] for column in fields(Counts)})

    def phases(self) -> list[tuple[str, Action, list[Change]]]:
        """Runs of same-kind, same-action changes, in plan order; changes within a phase are independent."""
        phases: list[tuple[str, Action, list[Change]]] = []
        for change in self.changes:
            if phases and phases[-1][0] == change.kind and phases[-1][1] is change.action:
                phases[-1][2].append(change)
            else:
                phases.append((change.kind, change.action, [change]))
        return phases

    def to_json(self) -> dict[str, Any]:
        """The plan as documented, versioned JSON. Holds no secret: plans never carry write-only values."""
        changes = [change.to_json() for change in self.changes]
        return {
            "format_version": FORMAT_VERSION,
            "lmsform_version": __version__,
            "provider": self.provider,
            "target": self.target,
            "created_at": self.created_at,
            "summary": vars(self.counts),
            "changes": changes,
            "refs": self.refs_json(),
            "warnings": list(self.warnings),
            "notices": list(self.notices),
            "existing": dict(sorted(self.existing.items())),
            "manifest_digest": self.manifest_digest,
            # Only when known: a plan not made from a project's files keeps the form it always had.
            **({"manifest_files": dict(sorted(self.manifest_files.items()))} if self.manifest_files else {}),
            "live_fingerprint": [
                {"kind": kind, "key": list(key), "digest": digest}
                for (kind, key), digest in sorted(self.live_fingerprint.items())
            ],
            "checksum": self.checksum,
            # Only in a partial plan: plans of the whole account keep the form they always had.
            **({"targets": self.targets.to_json()} if self.targets.partial else {}),
            # Only when lmsform.yaml names one, likewise.
            **({"environment": self.environment} if self.environment else {}),
        }

    def refs_json(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "key": list(key), "ids": dict(ids)}
            for (kind, key), ids in sorted(self.refs.items())
        ]

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Plan:
        """A plan read back from its JSON form; raises PlanFileError if it is not one."""
        version = data.get("format_version") if isinstance(data, Mapping) else None
        if version != FORMAT_VERSION:
            raise PlanFileError(f"not an lmsform plan of format version {FORMAT_VERSION} (found {version!r})")
        try:
            changes = tuple(Change.from_json(item) for item in data["changes"])
            if _checksum([change.to_json() for change in changes]) != data["checksum"]:
                raise PlanFileError("the plan's changes do not match its checksum: it was edited")
            return Plan(
                provider=str(data["provider"]),
                target=str(data["target"]),
                changes=changes,
                refs={
                    (_kind_name(item["kind"]), _key(item["key"])): dict(item["ids"]) for item in data["refs"]
                },
                warnings=tuple(data["warnings"]),
                notices=tuple(data.get("notices", ())),
                created_at=str(data["created_at"]),
                manifest_digest=str(data["manifest_digest"]),
                manifest_files=_manifest_files(data.get("manifest_files", {})),
                live_fingerprint={
                    (_kind_name(item["kind"]), _key(item["key"])): str(item["digest"])
                    for item in data["live_fingerprint"]
                },
                existing={str(name): int(count) for name, count in data["existing"].items()},
                targets=Targets.from_json(data["targets"]) if "targets" in data else Targets(),
                environment=_environment(data.get("environment", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise PlanFileError(f"malformed plan file: {type(error).__name__}: {error}") from None


def _environment(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a plan's environment is a string")
    return value


def _manifest_files(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(name, str) and isinstance(digest, str) for name, digest in value.items()
    ):
        raise ValueError("a plan's manifest_files map file names to digests (strings)")
    return dict(value)


def _kind_name(value: object) -> str:
    if not isinstance(value, str) or value not in KINDS_BY_NAME:
        raise ValueError(f"unknown kind {value!r}")
    return value


def _key(value: object) -> Key:
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        raise ValueError(f"a key is a list of strings, not {type(value).__name__}")
    return tuple(value)


def canonical_json(value: Any) -> str:
    """One text per JSON value (keys sorted, no spaces): equal values, equal texts."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _checksum(changes: list[dict[str, Any]]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(changes).encode("utf-8")).hexdigest()


# The field of a saved plan holding its HMAC, when the environment gives a key (LMSFORM_PLAN_KEY).
SIGNATURE = "signature"
_SIGNATURE_SCHEME = "hmac-sha256:"


def sign_document(document: Mapping[str, Any], key: bytes) -> str:
    """An HMAC-SHA256 of the whole plan document (every field but this one), keyed by `key`."""
    unsigned = {name: value for name, value in document.items() if name != SIGNATURE}
    # surrogatepass: a hostile file may hold lone surrogates, which have no UTF-8 form; they still sign.
    message = canonical_json(unsigned).encode("utf-8", "surrogatepass")
    return _SIGNATURE_SCHEME + hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_is_valid(document: Mapping[str, Any], key: bytes) -> bool:
    claimed = document.get(SIGNATURE)
    if not isinstance(claimed, str) or not claimed.isascii():
        return False
    return hmac.compare_digest(claimed, sign_document(document, key))
