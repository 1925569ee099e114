"""Run a vendor emulator (a WSGI app) as a real HTTP server on loopback.

Every vendor's emulator is a WSGI application; this module serves it with werkzeug's threaded
server, in a background thread (tests, the built-in sandbox) or in the foreground
(`lmsform emulator VENDOR`). It also records every request it answers, so tests can count the
calls lmsform made, validate them against the vendor's own spec, and injects network faults
(`emulation.faults`) into every vendor's API alike.
"""

from __future__ import annotations

import contextlib
import io
import re
import socket
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import get_current_url

from lmsform.providers.emulation.faults import (
    CHAOS_HOOK,
    NO_FAULT,
    UNAVAILABLE,
    WRITES,
    Answer,
    Decision,
    Fault,
    Faults,
    MalformedKind,
    ScriptedFaults,
    chaos_hook,
    first_page_query,
    is_hook,
    malformed,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LOOPBACK = "127.0.0.1"
_POLL_SECONDS = 0.05  # how soon a background server notices stop(); werkzeug's default is 0.5 s


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One exchange as it went over the wire: the request, and what the emulator answered."""

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    # The emulator committed the change but dropped the connection instead of answering.
    dropped: bool = False
    fault: Fault | None = None  # the fault the request met (see `faults`); latency is none

    @property
    def url_path(self) -> str:
        return self.path + (f"?{self.query_string}" if self.query_string else "")


@dataclass
class _SpoilRule:
    kind: MalformedKind
    method: str | None  # None: any
    path: re.Pattern[str]
    remaining: int | None  # None: no end
    after_writes: int

    def takes(self, method: str, path: str, writes: int) -> bool:
        return (
            (self.remaining is None or self.remaining > 0)
            and writes >= self.after_writes
            and (self.method is None or self.method == method)
            and self.path.fullmatch(path) is not None
        )


class RequestRecorder:
    """WSGI middleware that logs every exchange and injects faults (thread-safe).

    `faults` (see `faults`) applies to every vendor request; `/_emulator/chaos` reads and changes
    it. `drop_answers` makes the next matching requests do their work and then lose their answer: the
    connection is closed before the response goes out, as when a network drops it after the vendor
    committed the change; `refuse_answers` makes them fail with 503 before the vendor does anything.
    `spoil_answers` makes matching answers malformed (any method, unlike the
    random `malformed` fault), for instance only once an apply has begun writing. Without
    `record_bodies`, the log keeps only method, path, status and fault.
    """

    def __init__(
        self, app: WSGIApplication, *, faults: Faults | None = None, record_bodies: bool = True
    ) -> None:
        self._app = app
        self.faults = faults if faults is not None else Faults()
        self._record_bodies = record_bodies
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._counts = _Counts()
        self._drops: ScriptedFaults[Fault] = ScriptedFaults()
        self._refusals: ScriptedFaults[Answer] = ScriptedFaults()
        self._spoils: list[_SpoilRule] = []
        self._writes_answered = 0
        self._closed = threading.Event()

    def drop_answers(self, method: str, path_pattern: str, count: int = 1) -> None:
        self._drops.arm(method, path_pattern, "drop", count)

    def refuse_answers(self, method: str, path_pattern: str, count: int = 1) -> None:
        self._refusals.arm(method, path_pattern, UNAVAILABLE, count)

    def spoil_answers(
        self,
        kind: MalformedKind,
        *,
        method: str | None = None,
        path_pattern: str = ".*",
        count: int | None = None,
        after_writes: int = 0,
    ) -> None:
        """Spoil the next `count` answers to matching vendor requests (None: all of them) as `kind`
        says, once `after_writes` writes (POST, PUT, PATCH, DELETE) have been answered; answers
        that cannot be spoilt so (not 2xx JSON, nothing to loop) do not count. The app still
        handles each request: a spoilt answer to a write was committed."""
        rule = _SpoilRule(kind, method and method.upper(), re.compile(path_pattern), count, after_writes)
        with self._lock:
            self._spoils.append(rule)

    def _spoil_rule(self, method: str, path: str) -> _SpoilRule | None:
        with self._lock:
            return next(
                (rule for rule in self._spoils if rule.takes(method, path, self._writes_answered)), None
            )

    def _spent(self, rule: _SpoilRule | None) -> None:
        """`rule` spoilt an answer: one fewer to go."""
        if rule is not None and rule.remaining is not None:
            with self._lock:
                rule.remaining -= 1

    def close(self) -> None:
        """The server stopped: requests still waiting out a delay give up instead of reaching the app."""
        self._closed.set()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        decision = NO_FAULT if is_hook(path) else self.faults.decide(method)
        if decision.delay > 0 and self._closed.wait(decision.delay):
            # The server stopped meanwhile: hang up rather than reach an app whose store may be closed.
            answer, fault, dropped = UNAVAILABLE, decision.fault, True
        else:
            answer, fault, dropped = self._answer(environ, body, decision)
        self._record(environ, body, answer, dropped, fault)
        if dropped:
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
        start_response(answer.status, answer.headers)
        return [answer.body]

    def _answer(
        self, environ: WSGIEnvironment, body: bytes, decision: Decision
    ) -> tuple[Answer, Fault | None, bool]:
        """The answer, the fault it met, and whether to drop it."""
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path == CHAOS_HOOK:
            return chaos_hook(self.faults, method, body), None, False
        if decision.answer is not None:
            return decision.answer, decision.fault, False
        refusal = self._refusals.take(method, path)
        if refusal is not None:
            return refusal, "error", False
        rule = None if decision.malform else self._spoil_rule(method, path)
        spoil = decision.malform or (rule and rule.kind)
        url = get_current_url(environ)
        first_page = first_page_query(environ.get("QUERY_STRING", "")) if spoil == "loop" else None
        if first_page is not None:
            environ = {**environ, "QUERY_STRING": first_page}
        answer = self._call_app(environ)
        if decision.drop or self._drops.take(method, path) is not None:
            return answer, "drop", True
        spoilt = spoil and malformed(spoil, answer, url)
        if spoilt:
            self._spent(rule)
            return spoilt, "malformed", False
        return answer, decision.fault, False

    def _call_app(self, environ: WSGIEnvironment) -> Answer:
        """The app's whole answer; it goes out only after faults had their say."""
        started: list[tuple[str, list[tuple[str, str]]]] = []
        written: list[bytes] = []

        def deferred_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            started.append((status, list(headers)))
            return written.append

        result = self._app(environ, deferred_start_response)
        try:
            written.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started[-1]
        return Answer(status, headers, b"".join(written))

    def _record(
        self, environ: WSGIEnvironment, body: bytes, answer: Answer, dropped: bool, fault: Fault | None
    ) -> None:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if self._record_bodies:
            request_headers = {
                key[5:].replace("_", "-").title(): str(value)
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            if environ.get("CONTENT_TYPE"):
                request_headers["Content-Type"] = environ["CONTENT_TYPE"]
            record = RecordedRequest(
                method=method,
                path=path,
                query_string=environ.get("QUERY_STRING", ""),
                headers=request_headers,
                body=body,
                status=answer.code,
                response_headers=dict(answer.headers),
                response_body=answer.body,
                dropped=dropped,
                fault=fault,
            )
        else:
            record = RecordedRequest(method, path, "", {}, b"", answer.code, dropped=dropped, fault=fault)
        with self._lock:
            self._log.append(record)
            if not is_hook(path):
                self._counts.add(record)
                if method in WRITES:
                    self._writes_answered += 1

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def counts(self) -> dict[str, Any]:
        """Vendor requests recorded (hooks left out): `{"total", "by_status", "by_method", "faults"}`."""
        with self._lock:
            return self._counts.snapshot()

    def clear(self) -> None:
        with self._lock:
            self._log.clear()
            self._counts = _Counts()


@dataclass
class _Counts:
    total: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)

    def add(self, record: RecordedRequest) -> None:
        self.total += 1
        self.by_status[record.status] += 1
        self.by_method[record.method] += 1
        if record.fault is not None:
            self.faults[record.fault] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_status": dict(self.by_status),
            "by_method": dict(self.by_method),
            "faults": dict(self.faults),
        }


class _KeepAliveHandler(WSGIRequestHandler):
    """Answers HTTP/1.1 requests and keeps the connection open for the next one.

    werkzeug's handler closes every connection, so each request paid for a new TCP connection and a
    new server thread; a plan of 5,000 reads opened 5,000 connections. The app here is always a
    `RequestRecorder`: it reads each request's body (by its Content-Length) and hands back the whole
    answer, so the answer goes out with its length and the next request can follow on the same
    connection. A request whose body is chunked, an answer without a length, a dropped answer and
    an error close the connection, as before.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, the second waits for the client's
    # delayed acknowledgement of the first (40 ms) on a connection that stays open.
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # the recorder does not read a body without a length
        environ = self.make_environ()
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            started[:] = [(status, list(headers))]
            return self._refuse_write

        try:
            result = self.server.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            status, headers = started[-1]
        except Exception:
            self.close_connection = True
            self.log_error("Error on request %r:\n%s", self.requestline, traceback.format_exc())
            status, headers = "500 Internal Server Error", [("Content-Type", "text/plain")]
            body = b"Internal Server Error"
        try:
            self._send(status, headers, body)
        except OSError:  # the client hung up, or the recorder dropped the answer on purpose
            self.close_connection = True

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code, _, reason = status.partition(" ")
        names = {name.lower() for name, _ in headers}
        bodiless = int(code) in (204, 304) or code.startswith("1") or self.command == "HEAD"
        if "content-length" not in names and not bodiless:
            self.close_connection = True  # the end of the body is where the connection ends
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("connection", "transfer-encoding"):
                self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not bodiless:
            self.wfile.write(body)
        self.wfile.flush()

    @staticmethod
    def _refuse_write(data: bytes) -> object:
        raise RuntimeError("the emulator's apps return their body; they do not write() it")


class _QuietHandler(_KeepAliveHandler):
    """werkzeug logs every request to stderr by default; an emulator in a test must not."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _KeepAliveServer(ThreadedWSGIServer):
    """A thread per connection, as werkzeug's; `close_connections` ends those still open (a client
    keeping one must not reach an emulator that was stopped)."""

    def __init__(self, host: str, port: int, app: WSGIApplication, handler: type[WSGIRequestHandler]) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(host, port, app, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            still_open = list(self._open)
        for connection in still_open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """A threaded HTTP server for one emulator app, on 127.0.0.1 and an ephemeral port by default."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        port: int = 0,
        quiet: bool = True,
        on_stop: Callable[[], None] | None = None,
        faults: Faults | None = None,
        record_bodies: bool = True,
    ) -> None:
        self.recorder = RequestRecorder(app, faults=faults, record_bodies=record_bodies)
        self._server = _KeepAliveServer(
            LOOPBACK, port, self.recorder, _QuietHandler if quiet else _KeepAliveHandler
        )
        # Keep-alive connections hold handler threads; stopping must not wait for clients to hang up.
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread: threading.Thread | None = None
        self._on_stop = on_stop

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.recorder.requests

    @property
    def faults(self) -> Faults:
        return self.recorder.faults

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name="lmsform-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        try:
            self._server.serve_forever()
        finally:
            self._close()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._close()

    def _close(self) -> None:
        self.recorder.close()
        self._server.server_close()
        self._server.close_connections()
        if self._on_stop is not None:
            on_stop, self._on_stop = self._on_stop, None
            on_stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
