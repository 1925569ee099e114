"""Runs last: no secret the suite used shows in anything lmsform wrote or printed during the run.

The suite's secrets all contain `CANARY` (API keys, webhook and user passwords). This searches every
CLI output of the run (stdout, stderr with --verbose logs, error texts) and every plan file, journal
and log lmsform wrote under the run's temporary folders.
"""

from __future__ import annotations

import pytest

from tests.conftest import CLI_OUTPUTS

MARK = "CANARY"
WRITTEN = ("*.json", "*.jsonl", "*.log", "*.md", "*.txt")


def test_no_secret_appears_in_any_output_plan_or_journal(tmp_path_factory: pytest.TempPathFactory) -> None:
    written = [
        path
        for pattern in WRITTEN
        for path in tmp_path_factory.getbasetemp().rglob(pattern)
        if path.is_file() and "/.pytest_cache/" not in path.as_posix()
    ]
    if not CLI_OUTPUTS:
        pytest.skip("no CLI command ran in this selection of tests")

    leaks = [f"CLI output #{index}" for index, text in enumerate(CLI_OUTPUTS) if MARK in text]
    leaks += [str(path) for path in written if MARK in path.read_text(encoding="utf-8", errors="replace")]

    assert leaks == []


def test_the_search_covers_what_it_claims(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.getbasetemp()
    if len(CLI_OUTPUTS) < 100:
        pytest.skip("only meaningful after the whole suite")
    assert any(base.rglob("*.jsonl")), "no apply journal was searched"
    assert any(base.rglob("plan*.json")), "no plan file was searched"
