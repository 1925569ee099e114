"""Settings of the Training Records provider (the `provider:` mapping of lmsform.yaml)."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from lmsform.providers.base import ProviderSettings

AuthScheme = Literal["basic", "token", "bearer"]


class TrainingRecordsSettings(ProviderSettings):
    # The API document gives neither; this is where the vendor's other APIs live (unconfirmed for
    # training records, so say `base_url` for your tenant's region).
    DEFAULT_API_ROOT: ClassVar[str] = "https://pro.weekly10.net/api/v2"
    # The API user name is half of a basic credential: it may come from any variable, like the key,
    # and what it reads from the environment is masked like the key (our choice; the vendor does not
    # call it secret). A name written in lmsform.yaml is in the repository already, and is not masked:
    # a common word ("lmsform", "admin") would otherwise vanish from every message.
    OTHER_CREDENTIALS: ClassVar[frozenset[str]] = frozenset({"username"})
    KEY_VARIABLE: ClassVar[str] = "TRAINING_RECORDS_API_KEY"

    type: Literal["training-records"] = Field(description="A Training Records API (HR training records).")
    auth: AuthScheme = Field(
        "basic",
        description="How calls authenticate: `basic` (API user name and key, the vendor's scheme), "
        "`token` (`Authorization: Token <key>`) or `bearer` (`Authorization: Bearer <key>`).",
    )
    username: str | None = Field(
        None, description="The API user name for `auth: basic`, e.g. `${TRAINING_RECORDS_API_USER}`."
    )
    api_key: SecretStr | None = Field(
        None,
        description="The API key; write `${TRAINING_RECORDS_API_KEY}`. Not needed with `base_url: sandbox`.",
    )
    page_size: int = Field(
        100,
        ge=1,
        le=1000,
        description="Records per page when reading (`limit`); pages after the first are read in parallel.",
    )

    @model_validator(mode="after")
    def _user_name_unless_sandbox(self) -> TrainingRecordsSettings:
        if self.auth == "basic" and not self.username and not self.uses_sandbox:
            raise ValueError(
                "username is required with auth: basic (e.g. username: ${TRAINING_RECORDS_API_USER})"
            )
        return self

    def target(self) -> str:
        return "sandbox" if self.uses_sandbox else urlsplit(self.api_root).netloc
