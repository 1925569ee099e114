"""Shell-style glob patterns over object keys, as `protect:`, `ignore:` and LMSFORM_POLICY write them."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from lmsform.kinds import Key


def matches(patterns: Iterable[str], key: Key) -> bool:
    """Does a key match one of the patterns? Keys of several parts are joined with `/`; case is ignored."""
    text = "/".join(key).casefold()
    return any(fnmatchcase(text, pattern.casefold()) for pattern in patterns)
