"""State: the one shape both the manifests (desired) and the vendor's API (live) are turned into."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lmsform.errors import Location
from lmsform.model import KINDS, Key, address


@dataclass(frozen=True)
class Resource:
    """One object of one kind.

    `fields` hold values: for desired resources only the fields the manifests manage, for live
    resources what the vendor returned (normalised by the provider's reader). `ids` hold the
    vendor's identifiers of a live object and are never compared. `source` is where the manifests
    declare a desired resource.
    """

    kind: str
    key: Key
    fields: Mapping[str, Any]
    ids: Mapping[str, str] = field(default_factory=dict)
    source: Location | None = None

    @property
    def address(self) -> str:
        return address(self.kind, self.key)


class State:
    """Resources by kind and key."""

    def __init__(self) -> None:
        self._resources: dict[str, dict[Key, Resource]] = {kind.name: {} for kind in KINDS}

    def add(self, resource: Resource) -> None:
        self._resources[resource.kind][resource.key] = resource

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
        return {kind: len(resources) for kind, resources in self._resources.items()}
