"""`ignore:` patterns: live objects lmsform neither reports nor touches, with the objects that name them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lmsform.errors import Issue
from lmsform.model import KINDS, KINDS_BY_NAME
from lmsform.safety import matches
from lmsform.state import State


def without_ignored(live: State, patterns: Callable[[str], Sequence[str]]) -> State:
    """The live state minus ignored objects, and minus what names them (an ignored user's memberships)."""
    kept = live.copy()
    gone: set[tuple[str, tuple[str, ...]]] = set()
    for kind in KINDS:
        for key, resource in list(live.of(kind.name).items()):
            named_gone = any(ref in gone for ref in kind.refs_of(key))
            if named_gone or matches(patterns(kind.name), key):
                gone.add((kind.name, key))
                kept.discard(resource.kind, key)
    return kept


def ignored_declarations(desired: State, patterns: Callable[[str], Sequence[str]]) -> list[Issue]:
    """Declaring an object the project ignores is a contradiction: say where."""
    issues = []
    for resource in desired:
        if matches(patterns(resource.kind), resource.key):
            name = f"{KINDS_BY_NAME[resource.kind].singular} {'/'.join(resource.key)!r}"
            message = f"{name} is declared here but ignored (see ignore: in lmsform.yaml)"
            issues.append(Issue(resource.source, message))
    return issues
