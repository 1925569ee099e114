"""A WSGI middleware beside a vendor emulator that SIGKILLs the lmsform process applying to it, at an exact
write: deterministic with respect to the emulator, whatever the threads and the machine's load.

Writes are numbered as the emulator receives them (every vendor request but GET; test hooks excluded).
At the chosen one the process is killed, either before the vendor acts on it (the write never
happened) or after the vendor committed it but before its answer leaves (the vendor did it, lmsform
never heard). Either way the answer goes out only once the process is dead. Write 0 stands for the
first request of all, while lmsform reads the account: a kill before any write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.measure import route
from lmsform.providers.emulation.faults import is_hook

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@dataclass(frozen=True)
class KillPoint:
    write: int  # 1-based, counted from the start of the apply; 0: the first request, a read
    after_commit: bool  # True: the vendor made the change, its answer is lost with the process
    stage: str  # the write's route, for messages: "POST /v1/groups/{id}/users"

    def __str__(self) -> str:
        if not self.write:
            return "its first request, while it reads the account"
        when = "after the vendor committed it" if self.after_commit else "before the vendor acted on it"
        return f"write #{self.write} ({self.stage}), {when}"


class KillSwitch:
    """Counts vendor writes from `arm` on; kills the `attach`ed process at the armed point. Thread-safe."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._in_flight = 0
        self._writes: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._started = threading.Event()
        self._point: KillPoint | None = None
        self._earlier_threads: set[threading.Thread] = set()

    def arm(self, point: KillPoint | None) -> None:
        """Start counting writes from 0; kill the process `attach` names at `point` (None: only count)."""
        with self._lock:
            self._writes = []
            self._point = point
            self._process = None
            self._started.clear()
            self._earlier_threads = set(threading.enumerate())

    def attach(self, process: subprocess.Popen[bytes]) -> None:
        """The process to kill (started after `arm`, so that no write of it goes uncounted)."""
        self._process = process
        self._started.set()

    @property
    def writes(self) -> list[str]:
        """The routes of the writes since `arm`, in the order they arrived."""
        with self._lock:
            return list(self._writes)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Until the vendor has done whatever the dead process sent it: no request inside the app, and no
        connection still being served (a request that reached the server just before the kill is served
        after it), for a tenth of a second in a row (twice the time the server takes to notice a new
        connection)."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while True:
            now = time.monotonic()
            with self._lock:
                busy = self._in_flight > 0 or self._serving_connections()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= 0.1:
                return
            if now > deadline:
                raise TimeoutError("the emulator is still busy with requests of the killed apply")
            time.sleep(0.01)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        vendor, write = not is_hook(path), method not in ("GET", "HEAD")
        fire: KillPoint | None = None
        with self._lock:
            self._in_flight += 1
            if vendor and write:
                self._writes.append(route(method, path))
            point = self._point
            due = point is not None and (point.write == 0 or (write and len(self._writes) == point.write))
            if vendor and due:
                fire, self._point = point, None
        try:
            if fire is not None and not fire.after_commit:
                self._kill()
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"killed before the vendor acted"]
            answer = self.app(environ, start_response)
            try:
                body = b"".join(answer)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
            if fire is not None:
                self._kill()
            return [body]
        finally:
            with self._lock:
                self._in_flight -= 1

    def _serving_connections(self) -> bool:
        """Whether the threaded server serves a connection opened since `arm` (socketserver names its
        connection threads after the method they run; earlier ones, of other clients, do not count)."""
        return any(
            thread.name.endswith("(process_request_thread)") and thread not in self._earlier_threads
            for thread in threading.enumerate()
        )

    def _kill(self) -> None:
        if not self._started.wait(30):
            raise RuntimeError("no process was attached to the kill switch")
        process = self._process
        assert process is not None
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
