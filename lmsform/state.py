"""State: the one shape both the manifests (desired) and the vendor's API (live) are turned into."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lmsform.errors import Location
from lmsform.kinds import KINDS, Key, address


@dataclass(frozen=True)
class Resource:
    """One object of one kind.

    `fields` hold values: for desired resources only the fields the manifests manage, for live
    resources what the vendor returned (normalised by the provider's reader). `ids` hold the
    vendor's identifiers: of a live object, or, on a desired one, the id it is pinned to. Neither
    ids nor the rest below are ever compared.
    """

    kind: str
    key: Key
    fields: Mapping[str, Any]
    ids: Mapping[str, str] = field(default_factory=dict)
    source: Location | None = None
    # Desired: former keys under which the live object may still be found (a renamed course).
    previously: tuple[Key, ...] = ()
    # Desired: why this object is wanted, when not declared directly ("group engineering").
    origin: str | None = None
    # Desired: write-only values (passwords), kept out of plans and output.
    secrets: Mapping[str, str] = field(default_factory=dict)
    # Desired: when no live object has this key, adopt the one whose fields have these values.
    match_on: Mapping[str, str] = field(default_factory=dict)
    # Live: why lmsform must not remove this object (not created by lmsform, kept by vendor rules).
    protected: str | None = None

    @property
    def address(self) -> str:
        return address(self.kind, self.key)

    def fingerprint(self) -> str:
        """A digest of what the vendor said about this object, to notice when it changes."""
        canonical = json.dumps([self.fields, self.ids], sort_keys=True, default=str, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GroupExpansion:
    """A declaration that names a group where it means every member ("all of engineering takes X").

    It is expanded at plan time, because the members of an additive group include live ones.
    """

    kind: str
    make_fields: Mapping[str, Any]
    group: str
    source: Location | None


class State:
    """Resources by kind and key, plus what the manifests say beyond declaring objects."""

    def __init__(self) -> None:
        self._resources: dict[str, dict[Key, Resource]] = {kind.name: {} for kind in KINDS}
        # Desired: objects the manifests say must not exist (an unpublished course, a revoked grant).
        self.absent: dict[tuple[str, Key], Location | None] = {}
        # Desired: per kind, the key prefixes whose objects authoritative removal may touch.
        self.scopes: dict[str, set[Key]] = {}
        self.expansions: list[GroupExpansion] = []
        # Live: keys several vendor objects share (duplicate course titles), with their ids.
        self.ambiguous: dict[tuple[str, Key], list[str]] = {}
        # Live: objects that exist but that the vendor will not let others refer to, with why and what
        # to do (a lesson that "is inactive, and ... cannot be scheduled"). Absent as resources.
        self.unusable: dict[tuple[str, Key], str] = {}

    def copy(self) -> State:
        twin = State()
        twin._resources = {kind: dict(resources) for kind, resources in self._resources.items()}
        twin.absent = dict(self.absent)
        twin.scopes = {kind: set(keys) for kind, keys in self.scopes.items()}
        twin.expansions = list(self.expansions)
        twin.ambiguous = dict(self.ambiguous)
        twin.unusable = dict(self.unusable)
        return twin

    def add(self, resource: Resource) -> None:
        self._resources[resource.kind][resource.key] = resource

    def discard(self, kind: str, key: Key) -> None:
        self._resources[kind].pop(key, None)

    def get(self, kind: str, key: Key) -> Resource | None:
        return self._resources[kind].get(key)

    def of(self, kind: str) -> Mapping[Key, Resource]:
        return self._resources[kind]

    def __iter__(self) -> Iterator[Resource]:
        for kind in KINDS:
            yield from self._resources[kind.name].values()

    def __len__(self) -> int:
        return sum(len(resources) for resources in self._resources.values())

    def counts(self) -> dict[str, int]:
        return {kind: len(resources) for kind, resources in self._resources.items() if resources}
