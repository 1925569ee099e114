"""What the commands do, apart from parsing arguments and printing: load, connect, read, plan, apply."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from lmsform.manifest import Project, load_project
from lmsform.model import Key
from lmsform.plan import Plan
from lmsform.planner import make_plan
from lmsform.providers import registry
from lmsform.providers.base import Provider
from lmsform.sandbox import start_sandbox


def load(directory: Path) -> Project:
    return load_project(directory, providers=registry())


@contextmanager
def connect(project: Project) -> Iterator[Provider]:
    """A provider bound to the vendor's API, or to the built-in sandbox with `base_url: sandbox`."""
    settings = project.settings
    server = start_sandbox(project.root, project.provider, settings) if settings.uses_sandbox else None
    try:
        api_root = server.url if server is not None else settings.api_root
        credential = settings.credential()
        if credential is None:
            assert server is not None, "settings validation requires a credential outside the sandbox"
            credential = secrets.token_urlsafe(16)  # the sandbox accepts any key
        provider = project.provider(settings, api_root=api_root, credential=credential)
        try:
            yield provider
        finally:
            provider.close()
    finally:
        if server is not None:
            server.stop()


def secrets_of(project: Project) -> dict[tuple[str, Key], Mapping[str, str]]:
    """Write-only values by object, for the applier; plans never hold them."""
    return {(item.kind, item.key): item.secrets for item in project.desired if item.secrets}


def plan(project: Project, provider: Provider) -> Plan:
    live = provider.read(project.desired, project.config.manage)
    return make_plan(
        project.desired,
        live,
        provider=project.provider,
        manage=project.config.manage,
        target=project.settings.target(),
        unresolved=project.unresolved,
    )
