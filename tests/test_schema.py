"""The committed JSON Schemas match the models, accept the examples and reject what lmsform rejects."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from lmsform import schema
from tests.conftest import CliRunnerCall

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "schemas"
EXAMPLES = sorted((ROOT / "examples").glob("*/**/*.yaml"))


def _schema(relative: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((SCHEMAS / relative).read_text(encoding="utf-8"))
    return loaded


def test_committed_schemas_are_up_to_date() -> None:
    committed = {path.relative_to(SCHEMAS).as_posix() for path in SCHEMAS.rglob("*.json")}
    assert committed == set(schema.rendered()), "run `lmsform schema`"
    # Compared as JSON: pydantic releases write a bound as 0 or 0.0, which mean the same.
    for relative, text in schema.rendered().items():
        assert _schema(relative) == json.loads(text), f"run `lmsform schema` ({relative})"


def test_the_schema_command_writes_them(cli: CliRunnerCall, tmp_path: Path) -> None:
    result = cli("schema", tmp_path / "out")
    assert result.exit_code == 0
    written = json.loads((tmp_path / "out" / "skilljar" / "resources.schema.json").read_text())
    assert written == _schema("skilljar/resources.schema.json")


# examples/ci holds CI workflow files, not manifests.
MANIFEST_EXAMPLES = [path for path in EXAMPLES if path.relative_to(ROOT / "examples").parts[0] != "ci"]


@pytest.mark.parametrize("path", MANIFEST_EXAMPLES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_examples_name_their_schema_and_validate_against_it(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first_line.split("$schema=", 1)[1]).resolve()
    assert target.is_file() and SCHEMAS.resolve() in target.parents
    # YAML loads timestamps as datetimes; editors and JSON Schema see the text, a string.
    document = json.loads(json.dumps(YAML(typ="safe").load(path), default=lambda value: value.isoformat()))
    jsonschema.validate(document, json.loads(target.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("which", "document"),
    [
        ("skilljar/resources.schema.json", {"users": [{"email": "a@acme.com", "frist_name": "A"}]}),
        ("skilljar/resources.schema.json", {"groups": [{"name": "g", "discount_percent": 120}]}),
        ("skilljar/resources.schema.json", {"roles": [{"name": "admin"}]}),
        ("skilljar/lmsform.schema.json", {"provider": {"type": "skilljar"}}),
        ("skilljar/lmsform.schema.json", {"provider": {"type": "other", "domain": "a.b"}}),
        (
            "skilljar/lmsform.schema.json",
            {"provider": {"type": "skilljar", "domain": "a.b"}, "manage": {"users": "all"}},
        ),
        (
            "skilljar/lmsform.schema.json",
            {"provider": {"type": "skilljar", "domain": "a.b"}, "output": {"redact": "x"}},
        ),
    ],
)
def test_the_schemas_reject_what_lmsform_rejects(which: str, document: dict[str, object]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, _schema(which))
