"""Run a vendor emulator (a WSGI app) as a real HTTP server on loopback.

Every vendor's emulator is a WSGI application; this module serves it with werkzeug's threaded
server, in a background thread (tests, the built-in sandbox) or in the foreground
(`lmsform emulator VENDOR`). It also records every request it answers, so tests can count the
calls lmsform made, validate them against the vendor's own spec, and inject faults.
"""

from __future__ import annotations

import io
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LOOPBACK = "127.0.0.1"
_POLL_SECONDS = 0.05  # how soon a background server notices stop(); werkzeug's default is 0.5 s


@dataclass(frozen=True)
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

    @property
    def url_path(self) -> str:
        return self.path + (f"?{self.query_string}" if self.query_string else "")


@dataclass
class _DropRule:
    method: str
    path: re.Pattern[str]
    remaining: int


class RequestRecorder:
    """WSGI middleware that logs every exchange and can inject faults (thread-safe).

    `drop_answers` makes the next matching requests do their work and then lose their answer: the
    connection is closed before the response goes out, as when a network drops it after the
    vendor committed the change.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._drops: list[_DropRule] = []

    def drop_answers(self, method: str, path_pattern: str, count: int = 1) -> None:
        with self._lock:
            self._drops.append(_DropRule(method.upper(), re.compile(path_pattern), count))

    def _take_drop(self, method: str, path: str) -> bool:
        with self._lock:
            for rule in self._drops:
                if rule.remaining > 0 and rule.method == method and rule.path.fullmatch(path):
                    rule.remaining -= 1
                    return True
        return False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        answer: dict[str, Any] = {}

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            answer["status"] = int(status.split(" ", 1)[0])
            answer["headers"] = dict(headers)
            return start_response(status, headers, exc_info)

        result = self._app(environ, recording_start_response)
        try:
            response_body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        dropped = self._take_drop(method, path)
        self._record(environ, body, answer, response_body, dropped)
        if dropped:
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
        return [response_body]

    def _record(
        self,
        environ: WSGIEnvironment,
        body: bytes,
        answer: dict[str, Any],
        response_body: bytes,
        dropped: bool,
    ) -> None:
        request_headers = {
            key[5:].replace("_", "-").title(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            request_headers["Content-Type"] = environ["CONTENT_TYPE"]
        record = RecordedRequest(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", ""),
            query_string=environ.get("QUERY_STRING", ""),
            headers=request_headers,
            body=body,
            status=answer.get("status", 0),
            response_headers=answer.get("headers", {}),
            response_body=response_body,
            dropped=dropped,
        )
        with self._lock:
            self._log.append(record)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def clear(self) -> None:
        with self._lock:
            self._log.clear()


class _QuietHandler(WSGIRequestHandler):
    """werkzeug logs every request to stderr by default; an emulator in a test must not."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class EmulatorServer:
    """A threaded HTTP server for one emulator app, on 127.0.0.1 and an ephemeral port by default."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        port: int = 0,
        quiet: bool = True,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self.recorder = RequestRecorder(app)
        self._server: BaseWSGIServer = make_server(
            LOOPBACK,
            port,
            self.recorder,
            threaded=True,
            request_handler=_QuietHandler if quiet else None,
        )
        # Keep-alive connections hold handler threads; stopping must not wait for clients to hang up.
        setattr(self._server, "daemon_threads", True)  # noqa: B010 - a ThreadingMixIn attribute
        setattr(self._server, "block_on_close", False)  # noqa: B010
        self._thread: threading.Thread | None = None
        self._on_stop = on_stop

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.recorder.requests

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
        self._server.server_close()
        if self._on_stop is not None:
            on_stop, self._on_stop = self._on_stop, None
            on_stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
