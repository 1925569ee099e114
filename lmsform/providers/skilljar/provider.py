"""The Skilljar provider: what it can manage, and how it reads and writes a domain."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from requests.auth import HTTPBasicAuth

from lmsform.model import GROUPS, MEMBERSHIPS, USERS, ManageConfig
from lmsform.plan import Change
from lmsform.providers.base import ApplyContext, KindSupport, Provider, ProviderSettings, Removal
from lmsform.providers.http import HttpClient
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.providers.skilljar.operations import OPERATIONS
from lmsform.providers.skilljar.reader import read_state
from lmsform.providers.skilljar.settings import SkilljarSettings
from lmsform.state import State

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# Length limits of Skilljar's User and Group schemas, checked before any call.
_MAX_LENGTHS: Mapping[tuple[str, str], int] = {
    (USERS.name, "first_name"): 50,
    (USERS.name, "last_name"): 50,
    (GROUPS.name, "name"): 100,
}


class SkilljarProvider(Provider):
    name: ClassVar[str] = "skilljar"
    title: ClassVar[str] = "Skilljar"
    settings_model: ClassVar[type[ProviderSettings]] = SkilljarSettings
    supports: ClassVar[Mapping[str, KindSupport]] = {
        USERS.name: KindSupport(
            fields=frozenset({"first_name", "last_name", "active"}),
            relations=frozenset({"groups"}),
            removal=Removal.DEACTIVATE,
            removal_note="Skilljar cannot delete domain users; the user's access is deactivated",
        ),
        GROUPS.name: KindSupport(
            fields=frozenset({"discount_percent"}),
            relations=frozenset({"members"}),
            removal=Removal.DELETE,
            removal_note="deletes the group and its {user_count} membership(s); cannot be undone",
            cascades=(MEMBERSHIPS.name,),
        ),
        MEMBERSHIPS.name: KindSupport(fields=frozenset(), removal=Removal.DELETE),
    }

    def __init__(self, settings: ProviderSettings, *, api_root: str, credential: str) -> None:
        assert isinstance(settings, SkilljarSettings)
        self.settings = settings
        self.http = HttpClient(
            vendor=self.name,
            base_url=api_root,
            auth=HTTPBasicAuth(credential, ""),
            timeout=settings.timeout,
            parallelism=settings.parallelism,
            retries=settings.retries,
        )
        self.client = SkilljarClient(self.http, settings.domain)

    @classmethod
    def check_fields(cls, kind: str, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = []
        for (limited_kind, field_name), limit in _MAX_LENGTHS.items():
            value = fields.get(field_name)
            if limited_kind == kind and isinstance(value, str) and len(value) > limit:
                problems.append(
                    (field_name, f"Skilljar allows at most {limit} characters here, not {len(value)}")
                )
        return problems

    def read(self, desired: State, manage: ManageConfig) -> State:
        return read_state(self.client, desired, parallelism=self.settings.parallelism)

    def execute(self, change: Change, context: ApplyContext) -> None:
        OPERATIONS[(change.kind, change.action)](self.client, change, context)

    def close(self) -> None:
        self.http.close()

    @classmethod
    def emulator_app(cls, state_path: Path, *, api_key: str | None, target: str | None) -> WSGIApplication:
        from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app

        options = SkilljarEmulatorOptions(domains=(target,)) if target else SkilljarEmulatorOptions()
        return create_app(state_path, api_key=api_key, options=options)
