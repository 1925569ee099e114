"""Settings of the Skilljar provider (the `provider:` mapping of lmsform.yaml)."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from lmsform.providers.base import ProviderSettings

_DOMAIN_NAME = re.compile(r"^[-:.0-9a-z]+$")


class SkilljarSettings(ProviderSettings):
    DEFAULT_API_ROOT: ClassVar[str] = "https://api.skilljar.com"

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

    @model_validator(mode="after")
    def _key_unless_sandbox(self) -> SkilljarSettings:
        if self.api_key is None and not self.uses_sandbox:
            raise ValueError(
                "api_key is required unless base_url is `sandbox` (e.g. api_key: ${SKILLJAR_API_KEY})"
            )
        return self

    def target(self) -> str:
        return self.domain

    def credential(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key is not None else None
