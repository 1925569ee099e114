"""JSON Schemas of the manifest format, generated from the models, one set per provider.

Providers manage different kinds and fields, so each gets its own pair of schemas (lmsform.yaml,
resource files) under `schemas/<provider>/`. `lmsform schema` rewrites them; a test fails when
the committed files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lmsform.declarations import allowed_fields
from lmsform.kinds import DECLARABLE
from lmsform.project_config import ProjectConfig, ResourceFile
from lmsform.providers import registry
from lmsform.providers.base import Provider

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
PROJECT_FILE = "lmsform.schema.json"
RESOURCES_FILE = "resources.schema.json"


def project_schema(provider: type[Provider]) -> dict[str, Any]:
    """lmsform.yaml for one provider: `provider` is that provider's own settings model."""
    schema = ProjectConfig.model_json_schema()
    definitions: dict[str, Any] = schema.setdefault("$defs", {})
    settings = provider.settings_model.model_json_schema(ref_template="#/$defs/{model}")
    definitions.update(settings.pop("$defs", {}))
    definitions[provider.settings_model.__name__] = settings
    schema["properties"]["provider"] = {
        "description": f"{provider.title} and its settings.",
        "$ref": f"#/$defs/{provider.settings_model.__name__}",
    }
    return _document(schema, f"lmsform project settings for {provider.title} (lmsform.yaml)")


def resources_schema(provider: type[Provider]) -> dict[str, Any]:
    """Resource files for one provider: only the kinds and fields it can manage."""
    schema = ResourceFile.model_json_schema()
    definitions = schema.get("$defs", {})
    for kind_name, kind in DECLARABLE.items():
        support = provider.supports.get(kind_name)
        if support is None:
            schema["properties"].pop(kind_name, None)
            continue
        assert kind.spec is not None
        allowed = allowed_fields(kind, support)
        spec_schema = definitions[kind.spec.__name__]
        spec_schema["properties"] = {
            name: value for name, value in spec_schema["properties"].items() if name in allowed
        }
        required = set(spec_schema.get("required", ())) & allowed
        required |= set(support.key or kind.key_fields) | support.required
        required &= spec_schema["properties"].keys()
        if required:
            spec_schema["required"] = sorted(required)
        if "roles" in spec_schema["properties"]:
            _offer(spec_schema["properties"]["roles"], sorted(provider.roles))
    _drop_unreferenced(definitions, schema)
    return _document(schema, f"lmsform resource manifest for {provider.title}")


def _drop_unreferenced(definitions: dict[str, Any], schema: dict[str, Any]) -> None:
    """Leave out the models of kinds the vendor cannot manage (and models only they used)."""
    while True:
        text = json.dumps(schema)
        unused = [name for name in definitions if f'"#/$defs/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del definitions[name]


def _offer(roles: dict[str, Any], offered: list[str]) -> None:
    """Narrow a roles list to the vendor's roles."""
    for option in roles.get("anyOf", [roles]):
        if option.get("type") == "array":
            option["items"] = {"enum": offered, "type": "string"}


def _document(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, **schema, "title": title}


def rendered() -> dict[str, str]:
    """Relative path → file text, for every provider."""
    files = {}
    for name, provider in sorted(registry().items()):
        files[f"{name}/{PROJECT_FILE}"] = _text(project_schema(provider))
        files[f"{name}/{RESOURCES_FILE}"] = _text(resources_schema(provider))
    return files


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    written = []
    for relative_path, text in rendered().items():
        path = directory / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write(Path("schemas")):
        print(written_path)
