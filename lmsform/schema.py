"""JSON Schemas of the manifest format, generated from the models: one pair per provider, and one
schema of lmsform.yaml for every provider.

Providers manage different kinds and fields, so each gets its own pair (lmsform.yaml, resource
files) under `<provider>/`. The combined `lmsform.schema.json` chooses the provider's settings by
`provider.type`, so one schema (SchemaStore's) serves any project. Each schema's `$id` names its
file at the release that made it. The repository keeps the editors' copy in `schemas/` and ships
the same files in the package (`lmsform/schemas/`); `python -m lmsform.schema` rewrites both, and a
test fails when either is stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue

from lmsform import __version__
from lmsform.declarations import allowed_fields
from lmsform.kinds import DECLARABLE
from lmsform.project_config import ProjectConfig, ResourceFile
from lmsform.providers import registry
from lmsform.providers.base import Provider
from lmsform.specs import (
    _DOMAIN,
    _LOCAL_PART,
    _check_email,
    _check_email_domains,
    _check_https_url,
    _check_web_url,
)

if TYPE_CHECKING:
    from pydantic_core import core_schema

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
PROJECT_FILE = "lmsform.schema.json"
RESOURCES_FILE = "resources.schema.json"
# The project's public home is not settled; this is where the schemas' addresses point until it is.
REPOSITORY = "https://github.com/lmsform/lmsform"
SCHEMA_HOME = "https://raw.githubusercontent.com/lmsform/lmsform"
PACKAGE_SCHEMAS = Path(__file__).parent / "schemas"

# A value may read a variable (`${NAME}`, `${var.NAME}`), which `validate` checks once it is read.
_READS_A_VARIABLE = r"\$\{"
# The end of the text. Not `$`: in Python's re, which jsonschema uses, `$` also matches before a final
# newline, and ECMA-262 (editors) has no `\Z`.
_END = r"(?![\s\S])"
# What lmsform's own string checks accept, as patterns (a check is code, with no JSON Schema form).
# E-mail and domain are built from the very expressions `validate` uses; the local part of an address
# is at most 64 characters, and neither allows a character that is not ASCII.
EMAIL_PATTERN = rf"^(?=[^@]{{1,64}}@){_LOCAL_PART.pattern}@{_DOMAIN.pattern}{_END}"
DOMAIN_PATTERN = rf"^{_DOMAIN.pattern}{_END}"
WEB_URL_PATTERN = rf"^https?://[^\s/?#]+\S*{_END}"
HTTPS_URL_PATTERN = rf"^https://[^\s/?#]+\S*{_END}"
_STRING_PATTERNS: dict[Callable[..., Any], str] = {
    _check_email: EMAIL_PATTERN,
    _check_web_url: WEB_URL_PATTERN,
    _check_https_url: HTTPS_URL_PATTERN,
}
_ITEM_PATTERNS: dict[Callable[..., Any], str] = {_check_email_domains: DOMAIN_PATTERN}


class _StrictAsValidate(GenerateJsonSchema):
    """pydantic's schema, with the patterns of the string checks that `validate` runs."""

    def function_after_schema(self, schema: core_schema.AfterValidatorFunctionSchema) -> JsonSchemaValue:
        generated = super().function_after_schema(schema)
        check = schema["function"]["function"]
        if check in _STRING_PATTERNS:
            return {**generated, "pattern": _or_a_variable(_STRING_PATTERNS[check])}
        if check in _ITEM_PATTERNS:
            items = {**generated["items"], "pattern": _or_a_variable(_ITEM_PATTERNS[check])}
            return {**generated, "items": items}
        return generated


def _or_a_variable(pattern: str) -> str:
    return f"{pattern}|{_READS_A_VARIABLE}"


def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template="#/$defs/{model}", schema_generator=_StrictAsValidate)


def schema_id(relative_path: str) -> str:
    """A schema's address: its file in the repository at this release, stable once released."""
    return f"{SCHEMA_HOME}/v{__version__}/schemas/{relative_path}"


def project_schema(provider: type[Provider]) -> dict[str, Any]:
    """lmsform.yaml for one provider: `provider` is that provider's own settings model."""
    schema = _model_schema(ProjectConfig)
    reference = _add_settings(schema.setdefault("$defs", {}), provider)
    schema["properties"]["provider"] = {
        "description": f"{provider.title} and its settings.",
        "$ref": reference,
    }
    return _document(
        schema,
        f"lmsform project settings for {provider.title} (lmsform.yaml)",
        f"{provider.name}/{PROJECT_FILE}",
    )


def combined_project_schema() -> dict[str, Any]:
    """lmsform.yaml for any provider: `provider.type` chooses the settings model that applies."""
    schema = _model_schema(ProjectConfig)
    definitions = schema.setdefault("$defs", {})
    providers = sorted(registry().items())
    schema["properties"]["provider"] = {
        "description": "The vendor (`type`) and its settings.",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"description": "The vendor.", "enum": [name for name, _ in providers]}},
        "allOf": [
            {
                "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                "then": {"$ref": _add_settings(definitions, provider)},
            }
            for name, provider in providers
        ],
    }
    return _document(schema, "lmsform project settings (lmsform.yaml)", PROJECT_FILE)


def _add_settings(definitions: dict[str, Any], provider: type[Provider]) -> str:
    """Put the provider's settings model (and the models it uses) into `definitions`; its reference."""
    settings = _model_schema(provider.settings_model)
    name = provider.settings_model.__name__
    for definition, value in {**settings.pop("$defs", {}), name: settings}.items():
        if definitions.setdefault(definition, value) != value:
            raise ValueError(f"two models named {definition} differ; the schema can hold only one")
    return f"#/$defs/{name}"


def resources_schema(provider: type[Provider]) -> dict[str, Any]:
    """Resource files for one provider: only the kinds and fields it can manage."""
    schema = _model_schema(ResourceFile)
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
    return _document(
        schema, f"lmsform resource manifest for {provider.title}", f"{provider.name}/{RESOURCES_FILE}"
    )


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


def _document(schema: dict[str, Any], title: str, relative_path: str) -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, "$id": schema_id(relative_path), **schema, "title": title}


def one(vendor: str | None, project_file: bool) -> str:
    """The text of one schema: a vendor's resource files, its lmsform.yaml (`project_file`), or,
    without a vendor, lmsform.yaml's for every vendor."""
    if vendor is None:
        return _text(combined_project_schema())
    provider = registry()[vendor]
    return _text(project_schema(provider) if project_file else resources_schema(provider))


def rendered() -> dict[str, str]:
    """Relative path → file text, for every provider, and the combined lmsform.yaml schema."""
    files = {PROJECT_FILE: _text(combined_project_schema())}
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
    # The repository's two copies: the editors' (schemas/) and the package's.
    for folder in (Path(__file__).parent.parent / "schemas", PACKAGE_SCHEMAS):
        for written_path in write(folder):
            print(written_path)
