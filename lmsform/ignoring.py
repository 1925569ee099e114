"""`ignore:` patterns: live objects lmsform neither reports nor touches, with the objects that name them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from lmsform.errors import Issue
from lmsform.kinds import KINDS, KINDS_BY_NAME
from lmsform.patterns import matches
from lmsform.state import Resource, State


def without_ignored(live: State, patterns: Callable[[str], Sequence[str]]) -> State:
    """The live state minus ignored objects, and minus what names them (an ignored user's memberships)."""
    kept = live.copy()
    gone: set[tuple[str, tuple[str, ...]]] = set()
    for kind in KINDS:
        kind_patterns = patterns(kind.name)
        if not kind_patterns and not gone:
            continue  # none of these is ignored, and none names an ignored object
        for key, resource in list(live.of(kind.name).items()):
            named_gone = any(ref in gone for ref in kind.refs_of(key))
            if named_gone or matches(kind_patterns, key):
                gone.add((kind.name, key))
                kept.discard(resource.kind, key)
    return kept


def ignored_declarations(desired: State, patterns: Callable[[str], Sequence[str]]) -> list[Issue]:
    """Declaring an object the project ignores is a contradiction: say where."""
    issues = []
    for kind in KINDS:
        kind_patterns = patterns(kind.name)
        if kind_patterns:
            issues += _declared_but_ignored(desired.of(kind.name).values(), kind_patterns)
    return issues


def _declared_but_ignored(resources: Iterable[Resource], patterns: Sequence[str]) -> list[Issue]:
    issues = []
    for resource in resources:
        if matches(patterns, resource.key):
            name = f"{KINDS_BY_NAME[resource.kind].singular} {'/'.join(resource.key)!r}"
            message = f"{name} is declared here but ignored (see ignore: in lmsform.yaml)"
            issues.append(Issue(resource.source, message))
    return issues
