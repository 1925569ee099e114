"""Settings of the Skilljar provider (the `provider:` mapping of lmsform.yaml)."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from lmsform.providers.base import ProviderSettings

_DOMAIN_NAME = re.compile(r"^[-:.0-9a-z]+$")


class SkilljarSettings(ProviderSettings):
    DEFAULT_API_ROOT: ClassVar[str] = "https://api.skilljar.com"
    KEY_VARIABLE: ClassVar[str] = "SKILLJAR_API_KEY"

    type: Literal["skilljar"] = Field(description="Skilljar.")
    domain: str = Field(description="The Skilljar domain (hostname) whose users lmsform manages.")
    api_key: SecretStr | None = Field(
        None,
        description="Organisation API key; write `${SKILLJAR_API_KEY}` to read it from the environment. "
        "Not needed with `base_url: sandbox`.",
    )

    bulk_timeout: float = Field(
        300.0, gt=0, le=3600, description="Seconds to wait for bulk-created users to appear."
    )

    @field_validator("domain")
    @classmethod
    def _domain_is_a_hostname(cls, value: str) -> str:
        value = value.strip().lower()
        if not _DOMAIN_NAME.fullmatch(value):
            raise ValueError("must be a domain name such as acme.skilljar.com")
        return value

    def target(self) -> str:
        return self.domain
