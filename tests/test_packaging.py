"""What `pip install lmsform` gets: every library lmsform imports declared, and a wheel that carries
the schemas, the licence and the metadata an index shows."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.message import Message
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

from lmsform import __version__, schema

ROOT = Path(__file__).parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _distribution(requirement: str) -> str:
    """The normalised project name a requirement names (PEP 503)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match is not None, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


DEPENDENCIES = {_distribution(requirement) for requirement in PYPROJECT["project"]["dependencies"]}


def _only_when_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imported_at_run_time(tree: ast.AST) -> set[str]:
    """The top-level modules a file imports, leaving out `if TYPE_CHECKING:` blocks."""
    modules: set[str] = set()
    nodes: list[ast.AST] = [tree]
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.If) and _only_when_type_checking(node):
            nodes.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            modules.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.partition(".")[0])
        nodes.extend(ast.iter_child_nodes(node))
    return modules


def test_every_library_lmsform_imports_is_a_declared_dependency() -> None:
    imported: dict[str, set[str]] = {}
    for path in (ROOT / "lmsform").rglob("*.py"):
        for module in _imported_at_run_time(ast.parse(path.read_text(encoding="utf-8"))):
            imported.setdefault(module, set()).add(path.relative_to(ROOT).as_posix())
    third_party = sorted(set(imported) - set(sys.stdlib_module_names) - {"lmsform"})
    providers = packages_distributions()
    assert {"werkzeug", "urllib3"} <= set(third_party)
    for module in third_party:
        distributions = {_distribution(name) for name in providers.get(module, [module])}
        assert distributions & DEPENDENCIES, f"{module} ({sorted(imported[module])}) is not a dependency"


def _copy_of_the_sources(destination: Path) -> Path:
    """What the build reads, away from the checkout: an in-tree build would write build/ into it."""
    destination.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, destination / name)
    shutil.copytree(
        ROOT / "lmsform", destination / "lmsform", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return destination


def _built_wheel(tmp_path: Path) -> zipfile.ZipFile:
    sources = _copy_of_the_sources(tmp_path / "src")
    wheels = tmp_path / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--wheel-dir", str(wheels), str(sources)]
    # Only the command line: the build must need nothing from a pip configuration or an index.
    environment = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    subprocess.run(command, check=True, cwd=tmp_path, env=environment, capture_output=True)
    (wheel,) = wheels.glob("lmsform-*.whl")
    return zipfile.ZipFile(wheel)


def _metadata(wheel: zipfile.ZipFile) -> Message:
    text = wheel.read(f"lmsform-{__version__}.dist-info/METADATA").decode("utf-8")
    return Parser().parsestr(text, headersonly=True)


def test_the_wheel_carries_the_schemas_the_licence_and_the_dependencies(tmp_path: Path) -> None:
    with _built_wheel(tmp_path) as wheel:
        for relative in schema.rendered():
            shipped = wheel.read(f"lmsform/schemas/{relative}")
            assert shipped == (schema.PACKAGE_SCHEMAS / relative).read_bytes()
        licence = wheel.read(f"lmsform-{__version__}.dist-info/licenses/LICENSE").decode("utf-8")
        assert "Apache License" in licence and "Version 2.0, January 2004" in licence
        metadata = _metadata(wheel)

    assert metadata["License-Expression"] == "Apache-2.0"
    required = metadata.get_all("Requires-Dist") or []
    unconditional = {_distribution(line) for line in required if "extra ==" not in line}
    assert unconditional == DEPENDENCIES
    assert {"werkzeug", "urllib3"} <= unconditional
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = set(metadata.get_all("Classifier") or [])
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)} <= classifiers
    urls = {line.partition(",")[0] for line in metadata.get_all("Project-URL") or []}
    assert {"Homepage", "Source", "Issues", "Changelog"} <= urls
