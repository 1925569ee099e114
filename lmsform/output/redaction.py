"""Masking learners' personal data in output meant to be shared (a pull-request comment).

An e-mail address becomes a pseudonym, `user-1a2b3c4d@acme.com`: the first 8 hex digits of an
HMAC-SHA256 of the lower-cased address. The same person reads the same in every kind, section and
line, whatever the case of the address, and different people read differently (a 32-bit tag: two of
5,000 people share one with a chance of 0.3 %), so a reviewer can follow one person through a plan.
The domain is kept: it tells staff from contractors, and it names a company or a mail service, rarely
a person.

The key is what makes a pseudonym safe to publish. An unkeyed hash of an address is reversed by
hashing guesses (first.last@ of every name on a staff list), and so is one keyed by anything the
repository holds, which a pull request's author reads. So the key comes from the environment
(`LMSFORM_REDACT_KEY`, a CI secret): with it, pseudonyms stay the same from run to run. Without it,
each run draws a random key that it never shows: pseudonyms then hold within one output only. The key
must be long enough not to be guessed either: an author who adds their own address learns its
pseudonym, and could try short keys against it offline.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from lmsform import secrets
from lmsform.characters import shown_inline
from lmsform.errors import LmsformError

REDACT_KEY_VARIABLE = "LMSFORM_REDACT_KEY"
MIN_KEY_LENGTH = 16
PSEUDONYM_DIGITS = 8
# The first character excludes `.`, `'` and backticks, which more often quote an address than begin one.
_EMAIL = re.compile(r"[\w!#$%&*+/=?^{|}~-][\w.!#$%&'*+/=?^`{|}~-]*@([\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,})")
PERSONAL_FIELDS = frozenset({"first_name", "last_name", "full_name"})


class RedactionKeyError(LmsformError):
    """The environment's redaction key is too short to keep the pseudonyms from being reversed."""


def redaction_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The key of the pseudonyms: `LMSFORM_REDACT_KEY` when the environment sets it (registered as a
    secret, so no output can show it), otherwise this run's random key."""
    value = (os.environ if environ is None else environ).get(REDACT_KEY_VARIABLE, "")
    if not value:
        return _random_key()
    secrets.register(value)
    if len(value) < MIN_KEY_LENGTH:
        raise RedactionKeyError(
            f"{REDACT_KEY_VARIABLE} is shorter than {MIN_KEY_LENGTH} characters: a short key can be found "
            "by trying keys against a pseudonym whose address is known, and then every pseudonym "
            "reversed; use a long random value (`python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    return value.encode("utf-8")


@cache
def _random_key() -> bytes:
    """One key per process, so the plan an apply shows and its progress lines name people alike."""
    return os.urandom(32)


def pseudonym(address: str, key: bytes) -> str:
    """`user-<8 hex digits>@<domain>` for an e-mail address: the same for the same address in any case."""
    domain = address.rpartition("@")[2].lower()
    tag = hmac.new(key, address.lower().encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_DIGITS]
    return f"user-{tag}@{domain}"


class Redactor:
    """With `emails`: e-mail addresses become pseudonyms (`pseudonym`), personal names `J***`.
    Otherwise: no change. `key`: the pseudonyms' key (default: `redaction_key()`)."""

    def __init__(self, mode: str, key: bytes | None = None) -> None:
        self.active = mode == "emails"
        self._key = key if key is not None or not self.active else redaction_key()

    def text(self, text: str) -> str:
        """Untrusted text for one line of output: characters that would hide or restyle what is around
        them, and line breaks, shown as escapes (`shown_inline`), and masked when active."""
        text = shown_inline(text)
        if not self.active or self._key is None:
            return text
        key = self._key
        return _EMAIL.sub(lambda found: pseudonym(found.group(0), key), text)

    def value(self, field: str, value: Any) -> Any:
        if self.active and field in PERSONAL_FIELDS and isinstance(value, str) and value:
            return value[0] + "***"
        return value
