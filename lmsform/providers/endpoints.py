"""What a vendor's endpoints are to lmsform, as data: which endpoints each operation calls, which read a
kind, and why lmsform leaves the others alone. `lmsform.coverage` turns it into docs/coverage.md.

An endpoint is written `METHOD /path`, with the path as the vendor's spec or document spells it
(`POST /v1/domains/{domain_name}/users`), so that it can be checked against that spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from lmsform.plan import Action

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class Handling(StrEnum):
    """What lmsform does with an endpoint (the README's promise: one of these, never unknown)."""

    MANAGED = "managed"  # lmsform reads or writes a kind it manages through it
    REFERENCE = "reference"  # it reads a kind that manifests only name (lessons, plans)
    REFUSED = "refused"  # it holds something an organisation could keep, which lmsform does not manage
    OPERATIONAL = "operational"  # activity or one-off actions: not desired state


@dataclass(frozen=True)
class Declared:
    """A reason the provider already gives: `unsupported_kinds[kind]`, or the kind's
    `unsupported_fields[field]` when a field is named."""

    kind: str
    field: str | None = None


@dataclass(frozen=True)
class Unmanaged:
    """Endpoints lmsform leaves alone, and why. Each pattern is `[METHOD ]path`: the path may end in
    `*` (`/v1/lessons*` is the collection and everything under it)."""

    handling: Handling
    patterns: tuple[str, ...]
    reason: str | Declared

    def matches(self, endpoint: str) -> bool:
        method, path = endpoint.split(" ", 1)
        return any(_matches(pattern, method, path) for pattern in self.patterns)


def _matches(pattern: str, method: str, path: str) -> bool:
    wanted, _, pattern_path = pattern.rpartition(" ")
    return (not wanted or wanted == method) and fnmatchcase(path, pattern_path)


@dataclass(frozen=True)
class VendorEndpoints:
    """One vendor's endpoints and what lmsform does with each.

    `spec` names the vendor's machine-readable spec among the repository's oracles; a vendor without
    one lists every operation its document gives in `documented`. An endpoint nobody calls takes the
    handling of a called one on the same path (a PUT beside the PATCH lmsform uses); the rest follow
    the first `unmanaged` entry that matches them.
    """

    # Every entry of the vendor's OPERATIONS, with the endpoints it may call.
    calls: Mapping[tuple[str, Action], tuple[str, ...]]
    # The endpoints that read a kind, where no write of the kind shares their path.
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unmanaged: tuple[Unmanaged, ...] = ()
    spec: str | None = None
    documented: tuple[str, ...] = ()
