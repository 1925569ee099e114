"""References from declared objects to objects the manifests do not declare, and what to say when the
vendor has none: the loader finds them, the planner checks them against the live account."""

from __future__ import annotations

from dataclasses import dataclass

from lmsform.errors import Issue, Location
from lmsform.kinds import KINDS_BY_NAME, Key


@dataclass(frozen=True)
class Reference:
    """A declared object's reference to an object the manifests do not declare."""

    kind: str
    key: Key
    source: Location | None
    by: str


def unresolved_message(reference: Reference, vendor: str, unusable: str | None = None) -> Issue:
    """`unusable`: why the vendor's object of that key cannot be referred to, when it has one that
    cannot (the provider's reader says, see `State.unusable`)."""
    kind = KINDS_BY_NAME[reference.kind]
    if unusable is not None:
        return Issue(
            reference.source, f"{kind.singular} {reference.key[0]!r} exists in {vendor} but {unusable}"
        )
    hint = f" ({kind.missing_hint})" if kind.missing_hint else ""
    return Issue(
        reference.source,
        f"{kind.singular} {reference.key[0]!r} is neither declared in the manifests "
        f"nor present in {vendor}{hint}",
    )
