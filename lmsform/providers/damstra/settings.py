"""Settings of the Damstra Learning provider (the `provider:` mapping of lmsform.yaml)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from lmsform.providers.base import ProviderSettings
from lmsform.specs import Flag


class DamstraSettings(ProviderSettings):
    DEFAULT_API_ROOT: ClassVar[str] = "https://app.velpic.com/api/v2"
    KEY_VARIABLE: ClassVar[str] = "DAMSTRA_ACCESS_KEY"

    type: Literal["damstra"] = Field(description="Damstra Learning (formerly Velpic).")
    organisation: str = Field(
        "Damstra Learning", min_length=1, description="The organisation's name, as plans show it."
    )
    access_key: SecretStr | None = Field(
        None,
        description="The organisation's API access key; write `${DAMSTRA_ACCESS_KEY}`. "
        "Not needed with `base_url: sandbox`.",
    )
    send_welcome_email: Flag = Field(
        False, description="Let Damstra e-mail new users a welcome (its default is to send one)."
    )
    default_time_zone: str = Field(
        "Australia/Perth", description="Time zone of users the manifests give none (IANA name)."
    )
    grace_period: int = Field(14, ge=1, description="Default time learners have to complete a lesson.")
    grace_period_unit: Literal["days", "months"] = "days"
    bulk_import_size: int = Field(500, ge=1, le=5000, description="Users per bulk import or bulk merge call.")

    def target(self) -> str:
        return self.organisation
