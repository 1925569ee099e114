"""docs/coverage.md: every operation of each vendor's spec or document, and what lmsform does with it.

Generated, never written by hand: `python -m lmsform.coverage` in the repository. Each row comes from
the providers' own declarations (`supports`, `unsupported_kinds`, `OPERATIONS`) and each vendor's
`endpoints.py` (which endpoints each operation calls, and the few it leaves alone, with the reason).
The specs are read from the repository's test oracles, so this runs in a checkout, not an install.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from lmsform.providers import registry
from lmsform.providers.base import ApiProvider, Provider
from lmsform.providers.endpoints import METHODS, Declared, Handling, Unmanaged, VendorEndpoints

COVERAGE_FILE = Path("docs") / "coverage.md"
ORACLES = Path("tests") / "oracles"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Row:
    endpoint: str
    handling: str  # a Handling, or UNKNOWN
    kinds: tuple[str, ...]
    # Managed: what lmsform does (`create, update`, `read`) and the kinds' fields; otherwise the reason.
    detail: str
    # The rule of `unmanaged` that gave it, if one did.
    rule: Unmanaged | None = None


def vendor_endpoints(provider: type[Provider]) -> VendorEndpoints:
    """What the provider declares of its vendor's endpoints (`ApiProvider.ENDPOINTS`)."""
    assert issubclass(provider, ApiProvider), f"{provider.__name__} is not an ApiProvider"
    return provider.ENDPOINTS


def operations_of(endpoints: VendorEndpoints, root: Path) -> list[str]:
    """Every operation (`METHOD /path`) of the vendor's spec, or of its document where it has none."""
    if endpoints.spec is None:
        return list(endpoints.documented)
    spec = _spec(root / ORACLES / endpoints.spec)
    return [
        f"{method.upper()} {route}"
        for route, item in spec["paths"].items()
        for method in item
        if method.upper() in METHODS
    ]


@cache
def _spec(path: Path) -> Mapping[str, Any]:
    text = path.read_text(encoding="utf-8")
    loaded: Mapping[str, Any] = json.loads(text) if path.suffix == ".json" else YAML(typ="safe").load(text)
    return loaded


def _managed_kinds(provider: type[Provider]) -> set[str]:
    operations = provider.OPERATIONS if issubclass(provider, ApiProvider) else {}
    return {kind for kind, _ in operations}


def _names(names: Iterator[str] | frozenset[str]) -> str:
    return ", ".join(f"`{name}`" for name in sorted(names))


def _kinds_table(provider: type[Provider]) -> Iterator[str]:
    """The kinds the provider declares: the fields it manages, and those it refuses with the reason."""
    yield "| Kind | Fields lmsform manages | Refused, and why |"
    yield "|---|---|---|"
    for kind, support in sorted(provider.supports.items()):
        refused = "; ".join(f"`{name}`: {why}" for name, why in sorted(support.unsupported_fields.items()))
        if kind in provider.unsupported_kinds:
            refused = "; ".join(filter(None, (provider.unsupported_kinds[kind], refused)))
        managed = "names only" if support.names_only else _names(support.fields | support.relations)
        if not managed:
            managed = "its key" if kind in _managed_kinds(provider) else "none: read only"
        yield f"| `{kind}` | {managed} | {refused} |"
    for kind, why in sorted(provider.unsupported_kinds.items()):
        if kind not in provider.supports:
            yield f"| `{kind}` | refused | {why} |"


def _reason(provider: type[Provider], reason: str | Declared) -> str:
    if isinstance(reason, str):
        return reason
    if reason.field is None:
        return provider.unsupported_kinds[reason.kind]
    return provider.supports[reason.kind].unsupported_fields[reason.field]


def _path(endpoint: str) -> str:
    return endpoint.split(" ", 1)[1]


class _Classifier:
    def __init__(self, provider: type[Provider], endpoints: VendorEndpoints) -> None:
        self.provider = provider
        self.endpoints = endpoints
        self.managed = _managed_kinds(provider)
        self.callers: dict[str, list[tuple[str, str]]] = {}
        for (kind, action), called in endpoints.calls.items():
            for endpoint in called:
                self.callers.setdefault(endpoint, []).append((kind, str(action)))

    def row(self, endpoint: str) -> Row:
        return (
            self._called(endpoint)
            or self._read(endpoint)
            or self._beside_a_called_one(endpoint)
            or self._unmanaged(endpoint)
            or Row(endpoint, UNKNOWN, (), "in no row of the vendor's endpoints.py")
        )

    def _managed_row(self, endpoint: str, by_kind: Mapping[str, Sequence[str]]) -> Row:
        doing = sorted({what for whats in by_kind.values() for what in whats})
        return Row(endpoint, Handling.MANAGED, tuple(by_kind), ", ".join(doing))

    def _called(self, endpoint: str) -> Row | None:
        by_kind: dict[str, list[str]] = {}
        for kind, action in self.callers.get(endpoint, []):
            by_kind.setdefault(kind, []).append(action)
        return self._managed_row(endpoint, by_kind) if by_kind else None

    def _read(self, endpoint: str) -> Row | None:
        kinds = tuple(kind for kind, reads in self.endpoints.reads.items() if endpoint in reads)
        if not kinds:
            return None
        if all(kind in self.managed for kind in kinds):
            return self._managed_row(endpoint, {kind: ["read"] for kind in kinds})
        return Row(
            endpoint, Handling.REFERENCE, kinds, "read only: manifests name these, lmsform never writes them"
        )

    def _beside_a_called_one(self, endpoint: str) -> Row | None:
        """A GET or PUT on the path of an endpoint lmsform calls is the same object, managed alike."""
        twins = sorted(called for called in self.callers if _path(called) == _path(endpoint))
        if not twins:
            return None
        kinds = sorted({kind for twin in twins for kind, _ in self.callers[twin]})
        methods = ", ".join(twin.split(" ", 1)[0] for twin in twins)
        return self._managed_row(endpoint, {kind: [f"the object of its {methods}"] for kind in kinds})

    def _unmanaged(self, endpoint: str) -> Row | None:
        for rule in self.endpoints.unmanaged:
            if rule.matches(endpoint):
                kinds = (rule.reason.kind,) if isinstance(rule.reason, Declared) else ()
                return Row(endpoint, rule.handling, kinds, _reason(self.provider, rule.reason), rule)
        return None


def rows(provider: type[Provider], root: Path) -> list[Row]:
    endpoints = vendor_endpoints(provider)
    classifier = _Classifier(provider, endpoints)
    ordered = sorted(operations_of(endpoints, root), key=lambda op: (_path(op), METHODS.index(op.split()[0])))
    return [classifier.row(endpoint) for endpoint in ordered]


def _counts(table: Sequence[Row]) -> str:
    order = [*Handling, UNKNOWN]
    counted = {handling: sum(1 for row in table if row.handling == handling) for handling in order}
    return ", ".join(f"{count} {handling}" for handling, count in counted.items() if count)


def _source(provider: type[Provider], endpoints: VendorEndpoints) -> str:
    if endpoints.spec is not None:
        return f"Every operation of its spec (`{(ORACLES / endpoints.spec).as_posix()}`)"
    listed = _module_path(provider)
    return f"Every operation its document lists (it has no machine-readable spec; the list is in `{listed}`)"


def _module_path(provider: type[Provider]) -> str:
    return provider.__module__.rpartition(".")[0].replace(".", "/") + "/endpoints.py"


def _vendor_section(provider: type[Provider], root: Path) -> Iterator[str]:
    endpoints = vendor_endpoints(provider)
    table = rows(provider, root)
    yield f"## {provider.title}"
    yield ""
    yield f"{_source(provider, endpoints)}: {len(table)} ({_counts(table)})."
    yield ""
    yield from _kinds_table(provider)
    yield ""
    yield "| Operation | lmsform | Kind | What lmsform does, or why not |"
    yield "|---|---|---|---|"
    for row in table:
        kinds = ", ".join(f"`{kind}`" for kind in row.kinds)
        yield f"| `{row.endpoint}` | {row.handling} | {kinds} | {row.detail} |"
    yield ""


def rendered(root: Path) -> str:
    lines = [
        "# What lmsform does with each vendor operation",
        "",
        "Generated by `python -m lmsform.coverage` from the providers' declarations and each vendor's",
        "`endpoints.py`; do not edit. Each operation is one of:",
        "",
        "- **managed**: lmsform reads or writes a kind it manages through it (each vendor's first table",
        "  gives the kinds' fields);",
        "- **reference**: lmsform reads a kind that manifests only name, and never writes it;",
        "- **refused**: something an organisation could keep as configuration that lmsform does not "
        "manage, and why;",
        "- **operational**: activity or a one-off action, not desired state.",
        "",
    ]
    for provider in sorted(registry().values(), key=lambda provider: provider.title):
        lines.extend(_vendor_section(provider, root))
    return "\n".join(lines).rstrip("\n") + "\n"


def write(root: Path) -> Path:
    path = root / COVERAGE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rendered(root), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
