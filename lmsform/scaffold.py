"""The files that start a project: `lmsform init`, and the lmsform.yaml and schemas `export --to` adds.

Editors find a file's schema through its modeline (`# yaml-language-server: $schema=...`). The schemas
have no published address, so a project carries its own copy under `schemas/<provider>/` (the layout
`lmsform schema schemas` rewrites) and each modeline is a path relative to its file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from lmsform.characters import EscapingEmitter
from lmsform.declarations import allowed_fields
from lmsform.errors import LmsformError, relative
from lmsform.kinds import USERS
from lmsform.manifest import CONFIG_FILE
from lmsform.project_config import ManageConfig
from lmsform.providers.base import Provider, ProviderSettings
from lmsform.schema import PROJECT_FILE, RESOURCES_FILE, rendered

SCHEMA_FOLDER = "schemas"
GITIGNORE = ".gitignore"
FIRST_RESOURCE_FILE = "users.yaml"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WHOLE_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
# What the commented example user of a new project holds, by field, where the vendor takes the field.
_EXAMPLE_USER = {
    "email": "ann.lee@example.com",
    "username": "ann.lee",
    "api_id": "ann-lee",
    "first_name": "Ann",
    "last_name": "Lee",
}


class ScaffoldError(LmsformError):
    pass


def schema_path(provider: type[Provider], file_name: str) -> Path:
    """Where a project keeps one of its provider's schemas, relative to the project."""
    return Path(SCHEMA_FOLDER, provider.name, file_name)


def modeline(provider: type[Provider], manifest: Path, root: Path) -> str:
    """The editor's modeline for `manifest` (a path inside `root`), without the leading `# `."""
    file_name = PROJECT_FILE if manifest == root / CONFIG_FILE else RESOURCES_FILE
    target = os.path.relpath(root / schema_path(provider, file_name), manifest.parent)
    return f"yaml-language-server: $schema={Path(target).as_posix()}"


def schema_files(provider: type[Provider], root: Path) -> dict[Path, str]:
    """The provider's schemas, as `lmsform schema` writes them, at their places in the project."""
    texts = rendered()
    return {
        root / schema_path(provider, name): texts[f"{provider.name}/{name}"]
        for name in (PROJECT_FILE, RESOURCES_FILE)
    }


def init_project(provider: type[Provider], root: Path) -> list[Path]:
    """Write a new project for `provider` in `root`; ScaffoldError, writing nothing, if a file exists."""
    files = {
        root / CONFIG_FILE: _commented(modeline(provider, root / CONFIG_FILE, root))
        + _project_text(provider),
        root
        / GITIGNORE: "# lmsform's local state: apply journals and lock, the sandbox's data.\n.lmsform/\n",
        root / FIRST_RESOURCE_FILE: _commented(modeline(provider, root / FIRST_RESOURCE_FILE, root))
        + _first_resources(provider),
        **schema_files(provider, root),
    }
    existing = [path for path in files if path.exists() or path.is_symlink()]
    if existing:
        raise ScaffoldError(
            f"init would overwrite {', '.join(str(relative(path)) for path in existing)}; nothing was "
            "written (choose an empty folder)"
        )
    return _write_all(files)


def write_missing_schemas(provider: type[Provider], root: Path) -> list[Path]:
    """The provider's schemas in the project, where it has none yet (a project may keep its own)."""
    return _write_all(
        {path: text for path, text in schema_files(provider, root).items() if not path.exists()}
    )


def _write_all(files: Mapping[Path, str]) -> list[Path]:
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # never over a file made in the meantime
            handle.write(text)
    return list(files)


def _commented(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.splitlines())


def _project_text(provider: type[Provider]) -> str:
    settings = provider.settings_model
    lines = [
        f"{provider.title} as code. `lmsform plan` shows what `lmsform apply` would change; nothing",
        "changes before you apply. Made by `lmsform init`.",
    ]
    text = _commented("\n".join(lines)) + f"provider:\n  type: {provider.name}\n"
    for name, field in settings.model_fields.items():
        if name != "type" and field.is_required():
            value = _placeholder(field.examples, field.annotation)
            text += f"  # {field.description or 'Required.'}\n  {name}: {value}\n"
    for name in sorted(settings.credential_settings()):
        variable = credential_variable(settings, name)
        text += f"  {name}: ${{{variable}}}  # read from the environment: never write the value here\n"
    text += (
        "  # To try lmsform without an account, on its built-in sandbox (an emulator of "
        f"{provider.title}\n"
        "  # keeping its data in .lmsform/): uncomment base_url and remove the lines that read variables.\n"
        "  # base_url: sandbox\n"
    )
    return text + "\n" + _manage_text(provider)


def _placeholder(examples: list[Any] | None, annotation: Any) -> str:
    """A value for a required setting that validates, for the user to replace."""
    if examples:
        return str(examples[0])
    return "1" if annotation is int else "change-me"


def credential_variable(settings: type[ProviderSettings], name: str) -> str:
    """The environment variable a credential setting is read from: the one its description names,
    else the vendor's key variable."""
    field = settings.model_fields.get(name)
    named = _VARIABLE.search(field.description or "") if field is not None else None
    return named.group(1) if named else settings.KEY_VARIABLE


def _manage_text(provider: type[Provider]) -> str:
    kinds = [name for name in ManageConfig.model_fields if name in provider.supports]
    lines = [
        "Per kind, what lmsform does with live objects the manifests do not declare: `additive` (the",
        "default) leaves them alone, `authoritative` removes them. Start additive, plan, then choose.",
        "manage:",
        *(f"  {name}: additive" for name in kinds),
    ]
    return _commented("\n".join(lines))


def _first_resources(provider: type[Provider]) -> str:
    support = provider.supports.get(USERS.name)
    if support is None:
        return "# Declare resources here, one kind per top-level key (see the schema for the kinds).\n"
    allowed = allowed_fields(USERS, support)
    wanted = [*(support.key or USERS.key_fields), *sorted(support.required)]
    fields = [name for name in _EXAMPLE_USER if name in allowed and (name in wanted or "name" in name)]
    entry = "\n".join(
        f"{'- ' if index == 0 else '  '}{name}: {_EXAMPLE_USER[name]}" for index, name in enumerate(fields)
    )
    example = "\n".join(
        [
            f"{provider.title} users, one entry each. Uncomment the example and run `lmsform plan`:",
            "users:",
            *(f"  {line}" for line in entry.splitlines()),
        ]
    )
    return _commented(example)


def exported_config(written: Mapping[str, Any], provider: type[Provider], header: Iterable[str]) -> str:
    """lmsform.yaml for an exported project: the provider settings as written in the project's own
    (a variable stays a variable), a secret written there as a value replaced by its variable."""
    settings = provider.settings_model
    provider_settings = dict(written)
    key = settings.key_setting()
    value = provider_settings.get(key) if key is not None else None
    if (
        key is not None
        and value is not None
        and not (isinstance(value, str) and _WHOLE_VARIABLE.fullmatch(value))
    ):
        provider_settings[key] = f"${{{credential_variable(settings, key)}}}"
    yaml = YAML(typ="rt")
    yaml.Emitter = EscapingEmitter
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    stream = StringIO()
    yaml.dump({"provider": provider_settings}, stream)
    return _commented("\n".join(header)) + stream.getvalue() + "\n" + _manage_text(provider)
