"""The layers of ARCHITECTURE.md, checked: what may import what, and that each step of "how to add a
kind" and "how to add a vendor" has been taken for every kind and vendor there is."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform.declarations import DesiredStateBuilder
from lmsform.kinds import DECLARABLE, KINDS_BY_NAME
from lmsform.project_config import ManageConfig
from lmsform.providers import registry
from lmsform.providers.base import Provider
from tests.providers.cases import CASES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lmsform"
VENDORS = tuple(path.name for path in (PACKAGE / "providers").iterdir() if (path / "provider.py").is_file())

# Core modules by layer (module names below `lmsform.`). Imports point one way: the loader turns
# manifests into a desired State; the planner diffs it against the live State into a Plan; apply
# carries a plan out; output shows plans and results. Entry points (cli, app) wire them together.
LOADER = {
    "manifest",
    "declarations",
    "includes",
    "yamlsource",
    "yamllimits",
    "yamlmessages",
    "sourcefile",
    "variables",
}
PLANNER = {
    "planner",
    "targeting",
    "expansion",
    "equality",
    "safety",
    "ignoring",
    "hierarchy",
    "prerequisites",
    "references",
}
APPLY = {"apply", "journal", "lock"}
ENTRY = {"cli", "app", "console", "sandbox", "export", "schema", "manifest_layout", "scaffold"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every lmsform module a file imports, at any depth (function-level imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("lmsform"):
                yield node.module
                yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("lmsform"))


def _graph() -> dict[str, set[str]]:
    return {_module_name(path): set(_imports(path)) for path in PACKAGE.rglob("*.py")}


GRAPH = _graph()


def _core(name: str) -> str | None:
    """The top-level core module a name belongs to (`lmsform.output.text` → `output`)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "lmsform" and parts[1] != "providers" else None


def _violations(importers: set[str], forbidden: set[str]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _core(module) in importers
        for target in targets
        if _core(target) in forbidden
    )


def test_the_graph_is_read() -> None:
    assert "lmsform.planner" in GRAPH
    assert "lmsform.references" in GRAPH["lmsform.planner"]


def test_the_planner_does_not_reach_back_into_the_loader_or_forward_into_apply_and_output() -> None:
    assert _violations(PLANNER, LOADER | APPLY | ENTRY | {"output"}) == []


def test_apply_knows_nothing_of_manifests_planning_or_output() -> None:
    assert _violations(APPLY, LOADER | PLANNER | ENTRY | {"output"}) == []


def test_output_reads_plans_and_results_only() -> None:
    assert _violations({"output"}, LOADER | PLANNER | ENTRY) == []


def test_the_loader_does_not_import_the_planner_apply_or_output() -> None:
    assert (
        _violations(
            LOADER, (PLANNER - {"references", "hierarchy", "prerequisites"}) | APPLY | ENTRY | {"output"}
        )
        == []
    )


def _vendor_of(name: str) -> str | None:
    parts = name.split(".")
    return (
        parts[2] if len(parts) > 2 and parts[:2] == ["lmsform", "providers"] and parts[2] in VENDORS else None
    )


def test_only_the_registries_name_a_vendor() -> None:
    """Core and shared provider code never import a vendor's package: the registry of providers and the
    registry of emulators are the two places that know which vendors there are."""
    registries = {"lmsform.providers", "lmsform.providers.emulation.registry"}
    reaching = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _vendor_of(module) is None and module not in registries
        for target in targets
        if _vendor_of(target) is not None
    )
    assert reaching == []


def test_a_vendor_imports_no_other_vendor() -> None:
    crossing = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _vendor_of(module) and _vendor_of(target) and _vendor_of(module) != _vendor_of(target)
    )
    assert crossing == []


def _emulated(name: str) -> bool:
    return ".emulator" in name or name.startswith("lmsform.providers.emulation")


def test_the_client_side_never_imports_an_emulator() -> None:
    """A provider talks to its vendor over HTTP; its fake is found through the emulation registry, so
    journaling, planning and applying never load an emulator."""
    allowed = {"lmsform.sandbox", "lmsform.cli", "lmsform.providers.emulation.registry"}
    reaching = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if not _emulated(module) and module not in allowed
        for target in targets
        if _emulated(target)
    )
    assert reaching == []


def test_an_emulator_never_imports_the_client_side() -> None:
    client_side = ("provider", "client", "reader", "operations", "settings")
    reaching = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if ".emulator" in module
        for target in targets
        if _vendor_of(target) and target.split(".")[3:4] and target.split(".")[3] in client_side
    )
    assert reaching == []


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_vendor_has_the_same_files(vendor: str) -> None:
    """The client side and the emulator of every vendor are split by the same roles. (A response
    `shapes` module is there where answers are built from more than one table; Training Records
    answers its stored rows as they are.)"""
    folder = PACKAGE / "providers" / vendor
    client_side = {"__init__.py", "settings.py", "client.py", "reader.py", "operations.py", "endpoints.py"}
    client_side |= {"provider.py"}
    assert client_side - {path.name for path in folder.glob("*.py")} == set()
    roles = {"__init__.py", "app.py", "context.py", "factory.py", "options.py", "store.py", "errors.py"}
    roles |= {"requests_in.py", "paging.py", "auth.py", "hooks.py", "seeding.py"}
    assert roles - {path.name for path in (folder / "emulator").glob("*.py")} == set()


# Code cites vendor facts as `<vendor>.md <key>`: a section title or a decision id of docs/vendors/.
_CITATION = re.compile(
    r"\b(skilljar|damstra|versal|training-records)\.md "
    r"([A-Z][A-Za-z]*\d*(?:(?:, | to | and )[A-Z][A-Za-z]*\d*)*)"
)


def _citable(doc: Path) -> set[str]:
    text = doc.read_text(encoding="utf-8")
    return set(re.findall(r"^## (\S+)", text, re.MULTILINE)) | set(
        re.findall(r"\*\*([A-Z]\d+[A-Z]?)\.?\*\*", text)
    )


def _sources() -> Iterator[Path]:
    for folder in ("lmsform", "tests", "benchmarks"):
        yield from (ROOT / folder).rglob("*.py")


def test_every_vendor_fact_the_code_cites_is_in_the_repository() -> None:
    citable = {doc.stem: _citable(doc) for doc in (ROOT / "docs" / "vendors").glob("*.md")}
    unresolved = [
        f"{path.relative_to(ROOT)}:{number}: {vendor}.md {key}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for vendor, keys in _CITATION.findall(line)
        for key in re.split(r", | to | and ", keys)
        if key not in citable.get(vendor, set())
    ]
    assert unresolved == []


def test_no_comment_cites_a_document_outside_the_repository() -> None:
    outside = ("\N{SECTION SIGN}", "shared/vendors", "shared/oracles")
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _sources()
        if path.name != "test_architecture.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(mark in line for mark in outside)
    ]
    assert citing == []


# "How to add a kind" and "How to add a vendor" (ARCHITECTURE.md): each step that can be forgotten
# has a check here or names the test that checks it.


def test_the_vendor_folders_are_found() -> None:
    assert set(VENDORS) == {"skilljar", "damstra", "versal", "training_records"}


def test_add_a_kind_step_2_every_declarable_kind_has_a_builder() -> None:
    builder = DesiredStateBuilder(None, ManageConfig(), [])
    assert set(builder.builders) == set(DECLARABLE)


@pytest.mark.parametrize("name", sorted(registry()))
def test_add_a_kind_step_3_every_provider_manages_each_declarable_kind_or_says_why_not(name: str) -> None:
    provider = registry()[name]
    silent = set(DECLARABLE) - set(provider.supports) - set(provider.unsupported_kinds)
    assert silent == set()
    assert set(provider.supports) <= set(KINDS_BY_NAME)


def _folder_of(provider: type[Provider]) -> str:
    return provider.__module__.split(".")[2]


@pytest.mark.parametrize("name", sorted(registry()))
def test_add_a_vendor_every_provider_has_its_folder_docs_example_schemas_and_contract_case(name: str) -> None:
    provider = registry()[name]
    assert _folder_of(provider) in VENDORS
    assert (ROOT / "docs" / "vendors" / f"{name}.md").is_file()
    assert (ROOT / "examples" / name / "lmsform.yaml").is_file()
    assert (ROOT / "schemas" / name / "resources.schema.json").is_file()
    assert name in {case.provider for case in CASES}
    assert f"### {provider.title}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_check_architecture_md_names_exists() -> None:
    """The steps of ARCHITECTURE.md name the test that fails when a step is skipped: each is a test."""
    named = re.findall(r"`(test_\w+?)(?:…)?`", (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    defined = {
        match
        for path in (ROOT / "tests").rglob("test_*.py")
        for match in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    }
    assert len(named) >= 10
    assert [name for name in named if not any(test.startswith(name) for test in defined)] == []
