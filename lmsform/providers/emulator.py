"""Run a vendor emulator (a WSGI app) as a real HTTP server on loopback.

Every vendor's emulator is a WSGI application; this module serves it with werkzeug's threaded
server, in a background thread (tests, the built-in sandbox) or in the foreground
(`lmsform emulator VENDOR`). It also records every request it answers, so tests can count the
calls lmsform made and validate them against the vendor's own spec.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LOOPBACK = "127.0.0.1"
_POLL_SECONDS = 0.05  # how soon a background server notices stop(); werkzeug's default is 0.5 s


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived on the wire, and the status the emulator answered."""

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def url_path(self) -> str:
        return self.path + (f"?{self.query_string}" if self.query_string else "")


class RequestRecorder:
    """WSGI middleware that keeps a thread-safe log of the requests it passes on."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        seen: dict[str, int] = {}

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        result = self._app(environ, recording_start_response)
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
            status=seen.get("status", 0),
        )
        with self._lock:
            self._log.append(record)
        return result

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
            target=self._server.serve_forever, name="lmsform-emulator", daemon=True
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
