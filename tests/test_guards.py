"""The run-wide guards of tests/guards.py catch what they exist for."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.guards import MARK, NonLoopbackRefused, leaks, uncovered


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder outside the run's temporary folders: a planted secret there is not a leak of the run."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def test_a_secret_in_an_output_or_a_written_file_is_found(outside: Path) -> None:
    journal = outside / "run" / ".lmsform" / "journal.jsonl"
    journal.parent.mkdir(parents=True)
    journal.write_text(f'{{"key": "sk-{MARK}-1"}}\n', encoding="utf-8")
    (outside / "run" / "plan.json").write_text("{}", encoding="utf-8")

    found = leaks(["clean", f"Error: bad key sk-{MARK}-1"], outside)

    assert found == ["CLI output #1", str(journal)]


def test_nothing_is_found_where_no_secret_is(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text('{"changes": []}', encoding="utf-8")

    assert leaks(["Plan: 0 to add"], tmp_path) == []


def test_a_whole_suite_search_that_read_no_journal_says_so(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text("{}", encoding="utf-8")

    assert uncovered(["output"] * 100, tmp_path) == ["no apply journal was searched"]
    assert uncovered(["output"] * 3, tmp_path) == [
        "only 3 CLI outputs were searched",
        "no apply journal was searched",
    ]


@pytest.mark.parametrize("address", [("192.0.2.1", 443), ("2001:db8::1", 443), ("example.com", 80)])
def test_a_connection_beyond_loopback_is_refused_before_it_leaves(address: tuple[str, int]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe, pytest.raises(NonLoopbackRefused):
        probe.connect(address)


def test_loopback_stays_reachable() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
