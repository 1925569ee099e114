"""Masking learners' personal data in output meant to be shared (a pull-request comment)."""

from __future__ import annotations

import re
from typing import Any

from lmsform.characters import shown_inline

_EMAIL = re.compile(
    r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)
PERSONAL_FIELDS = frozenset({"first_name", "last_name", "full_name"})


class Redactor:
    """With `emails`: e-mail local parts become `j***`, personal names `J***`. Otherwise: no change."""

    def __init__(self, mode: str) -> None:
        self.active = mode == "emails"

    def text(self, text: str) -> str:
        """Untrusted text for one line of output: characters that would hide or restyle what is around
        them, and line breaks, shown as escapes (`shown_inline`), and masked when active."""
        text = shown_inline(text)
        return _EMAIL.sub(r"\1***@\2", text) if self.active else text

    def value(self, field: str, value: Any) -> Any:
        if self.active and field in PERSONAL_FIELDS and isinstance(value, str) and value:
            return value[0] + "***"
        return value
