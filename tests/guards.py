"""Guards over the whole test run: no secret the suite used shows in anything lmsform wrote or printed,
and no test reaches past loopback.

The suite's secrets all contain `CANARY` (API keys, webhook and user passwords). `leaks` searches every
CLI output of the run (stdout, stderr with --verbose logs, error texts) and every plan file, journal and
log lmsform wrote under the run's temporary folders; conftest runs it once every test has finished,
whatever order they ran in.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MARK = "CANARY"
WRITTEN = ("*.json", "*.jsonl", "*.log", "*.md", "*.txt")
# The whole suite runs the CLI many more times than this; fewer means the search missed its output.
WHOLE_SUITE_RUNS = 100


def leaks(outputs: Sequence[str], base: Path) -> list[str]:
    """Where the mark shows: `CLI output #N` or the path of a file written below `base`."""
    found = [f"CLI output #{index}" for index, text in enumerate(outputs) if MARK in text]
    for pattern in WRITTEN:
        for path in sorted(base.rglob(pattern)):
            if path.is_file() and MARK in path.read_text(encoding="utf-8", errors="replace"):
                found.append(str(path))
    return found


def uncovered(outputs: Sequence[str], base: Path) -> list[str]:
    """What a search after the whole suite should have read and did not (it would prove nothing)."""
    missing = [] if len(outputs) >= WHOLE_SUITE_RUNS else [f"only {len(outputs)} CLI outputs were searched"]
    if not any(base.rglob("*.jsonl")):
        missing.append("no apply journal was searched")
    if not any(base.rglob("plan*.json")):
        missing.append("no plan file was searched")
    return missing


class NonLoopbackRefused(OSError):
    """A test tried to open a connection beyond this machine."""


def _loopback_only(address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else None
    if host is None or host == "localhost":
        return  # a Unix socket, or the name that resolves to loopback
    try:
        loopback = ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise NonLoopbackRefused(f"tests may connect to loopback only, not {host!r}")


def refuse_non_loopback() -> None:
    """Make every socket connection in this process to an address other than loopback fail at once."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        _loopback_only(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        _loopback_only(address)
        return connect_ex(self, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
