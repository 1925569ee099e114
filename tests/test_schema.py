"""The committed JSON Schemas match the models, and accept the examples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from lmsform import schema

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "schemas"


def _schema(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


def test_committed_schemas_are_up_to_date() -> None:
    for name, text in schema.rendered().items():
        assert (SCHEMAS / name).read_text(encoding="utf-8") == text, (
            f"run `python -m lmsform.schema` ({name})"
        )


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("*.yaml")), ids=lambda path: path.name)
def test_the_examples_validate_against_the_schemas(path: Path) -> None:
    which = "lmsform.schema.json" if path.name == "lmsform.yaml" else "resources.schema.json"
    # YAML loads timestamps as datetimes; editors and JSON Schema see the text, a string.
    document = json.loads(json.dumps(YAML(typ="safe").load(path), default=lambda value: value.isoformat()))
    jsonschema.validate(document, _schema(which))


@pytest.mark.parametrize(
    ("which", "document"),
    [
        ("resources.schema.json", {"users": [{"email": "a@acme.com", "frist_name": "A"}]}),
        ("resources.schema.json", {"groups": [{"name": "g", "discount_percent": 120}]}),
        ("lmsform.schema.json", {"provider": {"type": "skilljar"}}),
        ("lmsform.schema.json", {"provider": {"type": "other", "domain": "a.b"}}),
        (
            "lmsform.schema.json",
            {"provider": {"type": "skilljar", "domain": "a.b"}, "manage": {"users": "all"}},
        ),
    ],
)
def test_the_schemas_reject_what_lmsform_rejects(which: str, document: dict[str, object]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, _schema(which))
