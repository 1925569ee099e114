"""JSON Schemas of the manifest format, generated from the models (editors use them to validate YAML).

`python -m lmsform.schema` rewrites schemas/; a test fails when the committed files are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lmsform.model import ProjectConfig, ResourceFile
from lmsform.providers import registry

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILES = {"lmsform.schema.json": "project", "resources.schema.json": "resources"}


def project_schema() -> dict[str, Any]:
    """lmsform.yaml, with `provider` as one of the providers' own settings models."""
    schema = ProjectConfig.model_json_schema()
    definitions: dict[str, Any] = schema.setdefault("$defs", {})
    choices = []
    for _, provider in sorted(registry().items()):
        settings = provider.settings_model.model_json_schema(ref_template="#/$defs/{model}")
        definitions.update(settings.pop("$defs", {}))
        definitions[provider.settings_model.__name__] = settings
        choices.append({"$ref": f"#/$defs/{provider.settings_model.__name__}"})
    schema["properties"]["provider"] = {"description": "Which vendor, and its settings.", "oneOf": choices}
    return _document(schema, "lmsform project settings (lmsform.yaml)")


def resources_schema() -> dict[str, Any]:
    return _document(ResourceFile.model_json_schema(), "lmsform resource manifest")


def _document(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, **schema, "title": title}


def rendered() -> dict[str, str]:
    builders = {"project": project_schema, "resources": resources_schema}
    return {
        name: json.dumps(builders[which](), indent=2, sort_keys=True) + "\n" for name, which in FILES.items()
    }


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")
    for path in write(target):
        print(path)
