"""A deadline for each whole exchange with a vendor, enforced on the socket.

A `timeout` bounds each read from the socket, not the answer: a server that sends one byte a
second never lets a read time out, and so held a 5 s timeout for 400 s. The connections made here
end every read at the exchange's deadline instead: a read waits for the time the exchange has
left, and no read starts once it is spent, so the status line, the headers and the body end at the
deadline however slowly they come.

Why on the socket: the status line and the headers are read inside http.client, where no code of
ours runs between two reads (a single header line may be 64 KiB), so only the socket sees every
read. A timer that closes the socket from another thread would do too, but needs a thread per
call and a way to find the socket of a pooled connection; this needs neither. A TLS handshake
needs no help: the ssl module already bounds the whole handshake by the socket's timeout.

Each attempt has its own deadline, set when its request is sent; retries keep their own budget
(`http.BoundedRetry`). A connection through a SOCKS proxy is not wrapped (none is configured by
lmsform; the per-read timeout still applies there).
"""

from __future__ import annotations

import io
import math
import socket
import time
from collections.abc import Mapping
from typing import Any, cast

from urllib3 import poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

# An exchange may take this many times the per-read timeout in all, from sending the request to
# the last byte of the answer: a slow server may take nearly the whole timeout to start answering
# and still needs time to send a long page. Twice keeps "a 5 s timeout" meaning at most 10 s.
DEADLINE_FACTOR = 2.0


class DeadlinePassed(TimeoutError):
    """A read that would end after the exchange's deadline (a `socket.timeout`, so urllib3 and
    requests treat it as a read timeout, retried like one)."""


class _Deadline:
    """When the exchange on a connection must be over (monotonic seconds); shared with its socket."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf

    def start(self, timeout: Any) -> None:
        seconds = timeout if isinstance(timeout, int | float) and not isinstance(timeout, bool) else None
        self.at = time.monotonic() + DEADLINE_FACTOR * seconds if seconds is not None else math.inf


class _DeadlineSocket:
    """A connected socket (plain or TLS) whose reads end at the deadline; everything else passes on.

    It counts the files made from it as `socket.socket` does, so closing the connection while its
    answer is still being read (http.client does so for `Connection: close`) keeps the socket open
    until the answer's file is closed too.
    """

    def __init__(self, inner: socket.socket, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline
        self._timeout = inner.gettimeout()
        self._applied = self._timeout
        self._files = 0
        self._closed = False

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._applied = value
        self._inner.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def recv_into(self, buffer: Any, *args: Any) -> int:
        left = self._deadline.at - time.monotonic()
        if left <= 0:
            raise DeadlinePassed("the answer did not end before its deadline")
        wanted = left if self._timeout is None else min(self._timeout, left)
        if wanted != self._applied:
            self._inner.settimeout(wanted)
            self._applied = wanted
        try:
            return self._inner.recv_into(buffer, *args)
        except TimeoutError:
            if time.monotonic() >= self._deadline.at:
                raise DeadlinePassed("the answer did not end before its deadline") from None
            raise

    def makefile(self, mode: str = "rb", buffering: int | None = None, **_: Any) -> io.BufferedReader:
        if mode != "rb":  # http.client reads answers through "rb" files only
            raise ValueError(f"unsupported file mode {mode!r}")
        self._files += 1
        raw = socket.SocketIO(cast(socket.socket, self), "rb")
        return io.BufferedReader(raw, buffering or io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self) -> None:  # called by socket.SocketIO when its file closes
        self._files -= 1
        if self._closed and self._files <= 0:
            self._inner.close()

    def close(self) -> None:
        self._closed = True
        if self._files <= 0:
            self._inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class DeadlineHTTPConnection(HTTPConnection):
    """A connection whose every exchange (request sent to last byte read) has a deadline; the HTTPS one
    below inherits it, so both wrap their socket the same way once it is connected."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = _Deadline()

    def connect(self) -> None:
        super().connect()
        self.sock = cast(socket.socket, _DeadlineSocket(self.sock, self._deadline))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        self._deadline.start(self.timeout)
        super().request(method, url, *args, **kwargs)


class DeadlineHTTPSConnection(DeadlineHTTPConnection, HTTPSConnection):
    pass


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


_POOLS: Mapping[str, type[HTTPConnectionPool]] = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


def with_deadlines(manager: PoolManager) -> PoolManager:
    """The pool manager, its connections now bounded by a deadline (left as is when it makes its own
    kind of connection, as a SOCKS proxy's manager does)."""
    if dict(manager.pool_classes_by_scheme) == dict(poolmanager.pool_classes_by_scheme):
        manager.pool_classes_by_scheme = dict(_POOLS)
    return manager
