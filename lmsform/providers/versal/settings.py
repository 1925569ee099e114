"""Settings of the Versal provider (the `provider:` mapping of lmsform.yaml)."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from lmsform import secrets
from lmsform.providers.base import ProviderSettings


class VersalSettings(ProviderSettings):
    DEFAULT_API_ROOT: ClassVar[str] = "https://stack.versal.com/api2"
    KEY_VARIABLE: ClassVar[str] = "VERSAL_API_KEY"

    type: Literal["versal"] = Field(description="Versal's Partner API.")
    organisation: int = Field(ge=1, description="Your numeric Versal organisation id (orgId).")
    api_key: SecretStr | None = Field(
        None,
        description="The organisation's API key (a UUID from Versal support), sent as the SID header; "
        "write `${VERSAL_API_KEY}`. Not needed with `base_url: sandbox`.",
    )
    page_size: int = Field(
        100, ge=1, le=1000, description="Items per page when reading (Versal's default is 20)."
    )
    batch_remove_size: int = Field(
        100, ge=2, le=1000, description="Users removed from the organisation per `delete_users` call."
    )

    @field_validator("api_key")
    @classmethod
    def _is_a_uuid(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        text = value.get_secret_value().strip()
        secrets.register(text)
        try:
            uuid.UUID(text)
        except ValueError:
            raise ValueError("is not a Versal API key: those are UUIDs") from None
        return SecretStr(text)

    def target(self) -> str:
        return str(self.organisation)
