"""docs/coverage.md: generated from the providers' declarations, up to date, and it keeps the README's
promise: every operation of each vendor's spec or document is managed, a read-only reference, refused
with the reason, or operational; none is unknown."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from lmsform import coverage
from lmsform.providers import registry
from lmsform.providers.base import ApiProvider, Provider
from lmsform.providers.endpoints import Declared, Handling, Unmanaged

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = sorted(registry())


def _provider(name: str) -> type[Provider]:
    return registry()[name]


def test_the_committed_table_is_up_to_date() -> None:
    committed = (ROOT / coverage.COVERAGE_FILE).read_text(encoding="utf-8")
    assert committed == coverage.rendered(ROOT), "run `python -m lmsform.coverage`"


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_operation_of_the_vendor_is_in_exactly_one_row(name: str) -> None:
    provider = _provider(name)
    operations = coverage.operations_of(coverage.vendor_endpoints(provider), ROOT)
    assert [op for op, count in Counter(operations).items() if count > 1] == []
    assert Counter(row.endpoint for row in coverage.rows(provider, ROOT)) == Counter(operations)


@pytest.mark.parametrize("name", ["skilljar", "versal"])
def test_the_spec_vendors_are_read_from_their_spec(name: str) -> None:
    endpoints = coverage.vendor_endpoints(_provider(name))
    assert endpoints.spec is not None and endpoints.documented == ()
    assert len(coverage.operations_of(endpoints, ROOT)) >= 16


@pytest.mark.parametrize("name", PROVIDERS)
def test_no_row_is_unknown(name: str) -> None:
    unknown = [
        row.endpoint for row in coverage.rows(_provider(name), ROOT) if row.handling == coverage.UNKNOWN
    ]
    assert unknown == [], "give each a kind's call or read, or an `unmanaged` entry with the reason"


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_refused_or_operational_row_says_why(name: str) -> None:
    for row in coverage.rows(_provider(name), ROOT):
        if row.handling in (Handling.REFUSED, Handling.OPERATIONAL):
            assert row.detail.strip(), row.endpoint


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_operation_the_provider_has_declares_the_endpoints_it_calls(name: str) -> None:
    """Step 4 of "add a kind": a new entry of OPERATIONS names its endpoints in the vendor's endpoints.py."""
    provider = _provider(name)
    assert issubclass(provider, ApiProvider)
    assert set(coverage.vendor_endpoints(provider).calls) == set(provider.OPERATIONS)


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_endpoint_named_is_one_the_vendor_has(name: str) -> None:
    endpoints = coverage.vendor_endpoints(_provider(name))
    known = set(coverage.operations_of(endpoints, ROOT))
    named = {endpoint for called in endpoints.calls.values() for endpoint in called}
    named |= {endpoint for read in endpoints.reads.values() for endpoint in read}
    assert sorted(named - known) == []


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_kind_and_field_a_row_names_is_declared_by_the_provider(name: str) -> None:
    provider = _provider(name)
    endpoints = coverage.vendor_endpoints(provider)
    declared = set(provider.supports) | set(provider.unsupported_kinds)
    named = {kind for kind, _ in endpoints.calls} | set(endpoints.reads)
    named |= {kind for row in coverage.rows(provider, ROOT) for kind in row.kinds}
    assert sorted(named - declared) == []
    for rule in endpoints.unmanaged:
        if isinstance(rule.reason, Declared) and rule.reason.field is not None:
            assert rule.reason.field in provider.supports[rule.reason.kind].unsupported_fields
        elif isinstance(rule.reason, Declared):
            assert rule.reason.kind in provider.unsupported_kinds


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_unmanaged_entry_still_decides_a_row(name: str) -> None:
    """An entry whose endpoints have all become managed (or were never the vendor's) is stale: remove it."""
    provider = _provider(name)
    endpoints = coverage.vendor_endpoints(provider)
    table = coverage.rows(provider, ROOT)
    for rule in endpoints.unmanaged:
        for pattern in rule.patterns:
            deciding = [row for row in table if row.rule is rule and rule.matches(row.endpoint)]
            assert any(_matches_pattern(pattern, row.endpoint) for row in deciding), pattern


def _matches_pattern(pattern: str, endpoint: str) -> bool:
    return Unmanaged(Handling.REFUSED, (pattern,), "").matches(endpoint)


def test_a_row_of_each_handling_is_rendered() -> None:
    text = coverage.rendered(ROOT)
    for handling in Handling:
        assert f"| {handling} |" in text
    assert f"| {coverage.UNKNOWN} |" not in text
