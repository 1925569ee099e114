"""Keep secret values (API keys, passwords) out of everything lmsform prints or logs.

Settings mark secrets with pydantic's SecretStr, so they never render by accident; as a second
line of defence every value loaded into a SecretStr is registered here, and every log line and
error message passes through `redact` before it reaches a terminal or a file.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "********"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words in output

_lock = threading.Lock()
_secrets: set[str] = set()


def register(value: str) -> None:
    if len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every registered secret masked, whatever its case (hostnames get lower-cased)."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = re.sub(re.escape(secret), MASK, text, flags=re.IGNORECASE)
    return text


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted record, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
