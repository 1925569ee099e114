"""The committed JSON Schemas match the models, accept the examples and reject what lmsform rejects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML

from lmsform import __version__, schema
from lmsform.specs import Email, EmailDomains, HttpsUrl, WebUrl
from tests.conftest import CliRunnerCall

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "schemas"
EXAMPLES = sorted((ROOT / "examples").glob("*/**/*.yaml"))


def _schema(relative: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((SCHEMAS / relative).read_text(encoding="utf-8"))
    return loaded


# The editors' copy, and the copy the package ships.
@pytest.mark.parametrize("folder", [SCHEMAS, schema.PACKAGE_SCHEMAS], ids=["schemas", "package"])
def test_committed_schemas_are_up_to_date(folder: Path) -> None:
    committed = {path.relative_to(folder).as_posix() for path in folder.rglob("*.json")}
    assert committed == set(schema.rendered()), "run `python -m lmsform.schema`"
    # Compared as JSON: pydantic releases write a bound as 0 or 0.0, which mean the same.
    for relative, text in schema.rendered().items():
        committed_schema = json.loads((folder / relative).read_text(encoding="utf-8"))
        assert committed_schema == json.loads(text), f"run `python -m lmsform.schema` ({relative})"


def test_the_schema_command_writes_them(cli: CliRunnerCall, tmp_path: Path) -> None:
    result = cli("schema", tmp_path / "out")
    assert result.exit_code == 0
    written = json.loads((tmp_path / "out" / "skilljar" / "resources.schema.json").read_text())
    assert written == _schema("skilljar/resources.schema.json")
    assert json.loads((tmp_path / "out" / "lmsform.schema.json").read_text()) == _schema(
        "lmsform.schema.json"
    )


@pytest.mark.parametrize(
    ("options", "printed"),
    [
        (["--provider", "versal"], "versal/resources.schema.json"),
        (["--provider", "versal", "--config"], "versal/lmsform.schema.json"),
        (["--config"], "lmsform.schema.json"),
    ],
)
def test_the_schema_command_prints_one(cli: CliRunnerCall, options: list[str], printed: str) -> None:
    result = cli("schema", *options)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == _schema(printed)
    assert not Path("schemas").exists()


def test_the_schema_command_refuses_a_folder_with_an_option_to_print(cli: CliRunnerCall) -> None:
    result = cli("schema", "out", "--provider", "skilljar")
    assert result.exit_code == 2
    assert not Path("out").exists()


def test_every_schema_is_valid_and_has_its_own_address_for_this_release() -> None:
    addresses = set()
    for relative in schema.rendered():
        document = _schema(relative)
        jsonschema.Draft202012Validator.check_schema(document)
        address = document["$id"]
        assert isinstance(address, str)
        assert address.startswith("https://") and address.endswith(f"/v{__version__}/schemas/{relative}")
        addresses.add(address)
    assert len(addresses) == len(schema.rendered())


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
        ("skilljar/resources.schema.json", {"users": [{"email": "Jane <jane@acme.com>"}]}),
        ("skilljar/resources.schema.json", {"users": [{"email": "jane@acme.com\n"}]}),
        ("skilljar/resources.schema.json", {"groups": [{"name": "g", "rule_email_domains": ["@acme.com"]}]}),
        (
            "versal/resources.schema.json",
            {"users": [{"email": "jane@acme.com", "previously": ["jane@acme"]}]},
        ),
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


@pytest.mark.parametrize(
    "document",
    [
        {"users": [{"email": "jane.o'neil+lms@mail.acme.com"}]},
        {"users": [{"email": "${LMSFORM_ADMIN_EMAIL}"}]},
        {"groups": [{"name": "g", "rule_email_domains": ["acme.com", "${var.partner_domain}"]}]},
    ],
)
def test_the_resources_schema_accepts_addresses_and_variables(document: dict[str, object]) -> None:
    jsonschema.validate(document, _schema("skilljar/resources.schema.json"))


SAMPLES = [
    "jane.doe@acme.com",
    "JANE@ACME.COM",
    "jane.o'neil+lms@mail.acme.com",
    "a" * 64 + "@acme.com",
    "a" * 65 + "@acme.com",
    "Jane <jane@acme.com>",
    "jane doe@acme.com",
    "jane@acme",
    "jane@acme.com ",
    "jane@acme.com\n",
    "\njane@acme.com",
    ".jane@acme.com",
    "jane..doe@acme.com",
    "jane@-acme.com",
    "jane@acme-.com",
    "jane@@acme.com",
    "jan\u00e9@acme.com",
    "jane@\u0430cme.com",
    "acme.com",
    "xn--bcher-kva.example",
    "https://hooks.acme.com/lms?x=1",
    "http://hooks.acme.com",
    "https://",
    "https:// hooks.acme.com",
    "ftp://hooks.acme.com",
    "https://hooks.acme.com/\n",
]


@pytest.mark.parametrize(
    ("checked", "pattern"),
    [
        (Email, schema.EMAIL_PATTERN),
        (WebUrl, schema.WEB_URL_PATTERN),
        (HttpsUrl, schema.HTTPS_URL_PATTERN),
        (EmailDomains, schema.DOMAIN_PATTERN),
    ],
    ids=["email", "web-url", "https-url", "email-domain"],
)
@pytest.mark.parametrize("text", SAMPLES)
def test_a_pattern_accepts_exactly_what_validate_accepts(checked: Any, pattern: str, text: str) -> None:
    one_item = checked is EmailDomains
    adapter: TypeAdapter[Any] = TypeAdapter(checked)
    try:
        adapter.validate_python([text] if one_item else text)
        accepted = True
    except ValidationError:
        accepted = False
    assert (re.search(pattern, text) is not None) == accepted


# Every lmsform.yaml of the examples, whichever vendor it is for.
PROJECT_FILES = sorted((ROOT / "examples").glob("**/lmsform.yaml"))


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_the_schema_for_every_vendor_accepts_every_example_project(path: Path) -> None:
    document = json.loads(json.dumps(YAML(typ="safe").load(path), default=lambda value: value.isoformat()))
    jsonschema.validate(document, _schema("lmsform.schema.json"))


@pytest.mark.parametrize(
    "provider",
    [
        {"type": "skilljar"},
        {"type": "skilljar", "domain": "acme.skilljar.com", "organisation": "acme"},
        {"type": "damstra", "domain": "acme.skilljar.com"},
        {"type": "versal", "base_url": "sandbox", "bulk_timeout": 60},
        {"type": "moodle", "domain": "acme.skilljar.com"},
        {"domain": "acme.skilljar.com"},
    ],
)
def test_the_schema_for_every_vendor_applies_the_settings_of_provider_type(
    provider: dict[str, object],
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"provider": provider}, _schema("lmsform.schema.json"))
