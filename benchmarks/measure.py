"""Run a vendor emulator and lmsform, and count what passes between them.

The emulator runs in a child process (its own interpreter, so its CPU and lmsform's do not share one
GIL): it is created on a fresh SQLite file, seeded in-process with the vendor's `seed()` (not through
lmsform), and served over real HTTP by `EmulatorServer` with a per-request latency and, optionally, a
rate limit answered with 429 and `Retry-After`. The parent asks it for traffic counts through a pipe.
Only vendor requests count: paths under `/_emulator/` are test hooks.

lmsform runs in the parent, in-process, through its click command (`CliRunner`), so wall and CPU time
are lmsform's own; the phases (load, read, plan, render, apply) are timed by wrapping the functions the
commands call. Peak memory of a plan is measured in a separate `python -m lmsform plan` subprocess (its
own VmHWM from /proc, read as it exits).
"""

from __future__ import annotations

import contextlib
import cProfile
import importlib
import io
import math
import multiprocessing
import os
import pstats
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HOOK_PREFIX = "/_emulator"
_MODULES = {
    "skilljar": "lmsform.providers.skilljar.emulator",
    "damstra": "lmsform.providers.damstra.emulator",
    "versal": "lmsform.providers.versal.emulator",
    "training-records": "lmsform.providers.training_records.emulator",
}


# --- traffic --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    """Vendor requests the emulator saw since the last mark."""

    total: int = 0
    reads: int = 0  # GET (and HEAD)
    writes: int = 0  # every other method
    by_status: Mapping[int, int] = field(default_factory=dict)
    by_route: Mapping[str, int] = field(default_factory=dict)  # "GET /v1/groups/{id}/users" → count
    served: int = 0  # requests that reached the vendor app (not turned away by the rate limit)
    # Seconds from the first to the last served request of each command, summed, and how many commands:
    # throughput is measured while lmsform talks to the vendor, not while it parses YAML.
    busy: float = 0.0
    windows: int = 0

    @property
    def throttled(self) -> int:
        return self.by_status.get(429, 0)

    @property
    def failed(self) -> int:
        """Answers of 400 or more other than 429 (a 429 is waited out and retried)."""
        return sum(count for status, count in self.by_status.items() if status >= 400 and status != 429)

    @property
    def served_per_second(self) -> float | None:
        if self.served <= self.windows or self.busy <= 0:
            return None
        return (self.served - self.windows) / self.busy

    def __add__(self, other: Traffic) -> Traffic:
        statuses = Counter(self.by_status)
        statuses.update(other.by_status)
        routes = Counter(self.by_route)
        routes.update(other.by_route)
        return Traffic(
            total=self.total + other.total,
            reads=self.reads + other.reads,
            writes=self.writes + other.writes,
            by_status=dict(statuses),
            by_route=dict(routes),
            served=self.served + other.served,
            busy=self.busy + other.busy,
            windows=self.windows + other.windows,
        )


_ID_SEGMENT = re.compile(r".*\d.*|[0-9a-z]{12,}")


def route(method: str, path: str) -> str:
    """A request's route with ids replaced by {id}: `GET /v1/groups/{id}/users`."""
    parts = []
    for segment in path.split("/"):
        if segment and not re.fullmatch(r"v\d+|api\d*", segment) and "." not in segment:
            segment = "{id}" if _ID_SEGMENT.fullmatch(segment) else segment
        parts.append(segment)
    return f"{method} {'/'.join(parts)}"


def summarise(
    exchanges: Iterable[tuple[str, str, int]], tally: tuple[int, float | None, float | None]
) -> Traffic:
    statuses: Counter[int] = Counter()
    routes: Counter[str] = Counter()
    reads = writes = 0
    for method, path, status in exchanges:
        if path.startswith(HOOK_PREFIX):
            continue
        statuses[status] += 1
        routes[route(method, path)] += 1
        if method in ("GET", "HEAD"):
            reads += 1
        else:
            writes += 1
    served, first, last = tally
    busy = last - first if first is not None and last is not None else 0.0
    return Traffic(
        reads + writes, reads, writes, dict(statuses), dict(routes), served, busy, 1 if served else 0
    )


# --- the emulator process -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmulatorSpec:
    vendor: str
    seed: Mapping[str, Any]
    latency: float = 0.03  # seconds added to every vendor request
    rate_limit: float | None = None  # vendor requests per second; more get 429 with Retry-After


class _Tally:
    """WSGI middleware next to the vendor app: when requests reached it (the rate limit let them in)."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.served = 0
        self.first: float | None = None
        self.last: float | None = None

    def reset(self) -> None:
        with self._lock:
            self.served, self.first, self.last = 0, None, None

    def snapshot(self) -> tuple[int, float | None, float | None]:
        with self._lock:
            return self.served, self.first, self.last

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not str(environ.get("PATH_INFO", "")).startswith(HOOK_PREFIX):
            now = time.monotonic()
            with self._lock:
                self.served += 1
                self.first = now if self.first is None else self.first
                self.last = now
        return self._app(environ, start_response)


class FallbackFaults:
    """Latency and a token-bucket rate limit, for as long as lmsform has no fault layer of its own
    (`lmsform.providers.emulation.faults`). The bucket holds one second of requests (`rate_limit`
    tokens, at least 1); a request finding it empty gets 429 with `Retry-After` in whole seconds."""

    def __init__(
        self, app: WSGIApplication, *, latency: float = 0.0, rate_limit: float | None = None
    ) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.latency = latency
        self.rate_limit = rate_limit
        self._tokens = max(1.0, rate_limit or 1.0)
        self._stamp = time.monotonic()

    def update(self, **settings: Any) -> None:
        """Change `latency` and/or `rate_limit` (None: no limit), as `Faults.update` does."""
        with self._lock:
            if "latency" in settings:
                self.latency = float(settings["latency"])
            if "rate_limit" in settings:
                self.rate_limit = settings["rate_limit"]
                self._tokens = max(1.0, self.rate_limit or 1.0)
                self._stamp = time.monotonic()

    def _admit(self) -> float:
        """0 when a request may go ahead, else the seconds until it may."""
        with self._lock:
            if not self.rate_limit:
                return 0.0
            now = time.monotonic()
            capacity = max(1.0, self.rate_limit)
            self._tokens = min(capacity, self._tokens + (now - self._stamp) * self.rate_limit)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate_limit

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith(HOOK_PREFIX):
            return self._app(environ, start_response)
        wait = self._admit()
        if wait > 0:
            body = b'{"detail": "Request was throttled."}'
            start_response(
                "429 Too Many Requests",
                [
                    ("Content-Type", "application/json"),
                    ("Retry-After", str(max(1, math.ceil(wait)))),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if self.latency > 0:
            time.sleep(self.latency)
        return self._app(environ, start_response)


def _serve(conn: Connection, spec: EmulatorSpec, state_dir: str) -> None:
    """The child process: build, seed and serve the emulator, then answer the parent's commands."""
    from lmsform.providers.emulation.registry import emulator_for
    from lmsform.providers.emulation.server import EmulatorServer

    try:
        module = importlib.import_module(_MODULES[spec.vendor])
        state = Path(state_dir) / f"{spec.vendor}.sqlite3"
        key = {"access_key": None} if spec.vendor == "damstra" else {"api_key": None}
        app = module.create_app(state, **key)
        started = time.perf_counter()
        module.seed(module.emulator_store(app), dict(spec.seed))
        seed_seconds = time.perf_counter() - started
        tally = _Tally(app)
        server, fault_layer = _start_server(EmulatorServer, tally, spec)
        server.start()
        api_root = emulator_for(spec.vendor).api_root(server.url)
        conn.send(("ready", {"api_root": api_root, "seed_seconds": seed_seconds, "faults": fault_layer}))
    except BaseException as error:  # report anything to the parent, which raises it there
        conn.send(("error", f"{type(error).__name__}: {error}"))
        return
    mark = 0
    try:
        while True:
            command, argument = conn.recv()
            if command == "mark":
                mark = _clear(server)
                tally.reset()
                conn.send(("ok", None))
            elif command == "traffic":
                exchanges = [(r.method, r.path, r.status) for r in server.requests[mark:]]
                conn.send(("ok", summarise(exchanges, tally.snapshot())))
            elif command == "faults":
                _set_faults(server, argument)
                conn.send(("ok", None))
            elif command == "stop":
                break
    finally:
        server.stop()
        with contextlib.suppress(Exception):
            module.emulator_store(app).close()
        conn.send(("ok", None))


def _start_server(server_type: Any, app: WSGIApplication, spec: EmulatorSpec) -> tuple[Any, str]:
    """An EmulatorServer with lmsform's fault layer if it has one, else with `FallbackFaults`."""
    try:
        from lmsform.providers.emulation.faults import Faults

        faults = Faults(latency=spec.latency, rate_limit=spec.rate_limit)
        return server_type(app, faults=faults, record_bodies=False), "lmsform.providers.emulation.faults"
    except (ImportError, TypeError):  # no fault layer yet, or a server that does not take one
        fallback = FallbackFaults(app, latency=spec.latency, rate_limit=spec.rate_limit)
        server = server_type(fallback)
        server.fallback_faults = fallback
        return server, "benchmarks.measure.FallbackFaults"


def _set_faults(server: Any, settings: Mapping[str, Any]) -> None:
    fallback = getattr(server, "fallback_faults", None)
    if fallback is not None:
        fallback.update(**settings)
    else:
        server.faults.update(**settings)


def _clear(server: Any) -> int:
    """Forget the recorded exchanges if the recorder can; else the index to count from."""
    clear = getattr(server.recorder, "clear", None)
    if clear is not None:
        clear()
        return 0
    return len(server.requests)


class Emulator:
    """The parent's handle on an emulator process (a context manager)."""

    def __init__(self, spec: EmulatorSpec) -> None:
        self.spec = spec
        self._tmp = tempfile.TemporaryDirectory(prefix=f"lmsform-bench-{spec.vendor}-")
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, spec, self._tmp.name), name=f"emulator-{spec.vendor}", daemon=True
        )
        self._process.start()
        child.close()
        status, answer = self._conn.recv()
        if status != "ready":
            self._process.join(5)
            self._tmp.cleanup()
            raise RuntimeError(f"the {spec.vendor} emulator did not start: {answer}")
        self.api_root: str = answer["api_root"]
        self.seed_seconds: float = answer["seed_seconds"]
        self.fault_layer: str = answer["faults"]

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        status, answer = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"emulator: {answer}")
        return answer

    def mark(self) -> None:
        """Start counting afresh."""
        self._ask("mark")

    def traffic(self) -> Traffic:
        traffic: Traffic = self._ask("traffic")
        return traffic

    def set_faults(self, **settings: Any) -> None:
        self._ask("faults", settings)

    def stop(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(EOFError, BrokenPipeError, OSError):
                self._ask("stop")
            self._process.join(30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._tmp.cleanup()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- running lmsform --------------------------------------------------------------------------------------

# Functions the commands call, timed as phases: (module, attribute, phase).
_PHASES = (
    ("lmsform.app", "load", "load"),
    ("lmsform.app", "read", "read"),
    ("lmsform.app", "make_plan", "plan"),
    ("lmsform.cli", "_show", "render"),
    ("lmsform.cli", "_run", "apply"),
)


@contextlib.contextmanager
def timed_phases() -> Iterator[dict[str, float]]:
    """Wall seconds spent in each phase of the commands run inside (summed over calls)."""
    spent: dict[str, float] = {}
    patched: list[tuple[Any, str, Any]] = []

    def wrap(function: Callable[..., Any], phase: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - started

        return timed

    for module_name, attribute, phase in _PHASES:
        module = importlib.import_module(module_name)
        original = getattr(module, attribute, None)
        if original is not None:
            patched.append((module, attribute, original))
            setattr(module, attribute, wrap(original, phase))
    try:
        yield spent
    finally:
        for module, attribute, original in patched:
            setattr(module, attribute, original)


class ThreadProfiler:
    """cProfile over the main thread and every thread started while it runs (lmsform reads and applies
    in thread pools), merged into one `pstats.Stats`."""

    def __init__(self) -> None:
        self._profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _start_in_thread(self, *_: Any) -> None:
        profile = cProfile.Profile()
        with self._lock:
            self._profiles.append(profile)
        profile.enable()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        main = cProfile.Profile()
        self._profiles.append(main)
        threading.setprofile(self._start_in_thread)
        main.enable()
        try:
            yield
        finally:
            main.disable()
            threading.setprofile(None)

    def stats(self) -> pstats.Stats:
        stream = io.StringIO()
        merged: pstats.Stats | None = None
        for profile in self._profiles:
            with contextlib.suppress(Exception):
                profile.create_stats()
                if merged is None:
                    merged = pstats.Stats(profile, stream=stream)
                else:
                    merged.add(profile)
        assert merged is not None
        return merged


@dataclass
class CliRun:
    """One lmsform command run in-process."""

    args: tuple[str, ...]
    exit_code: int
    output: str
    wall: float
    cpu: float  # process CPU of the parent (lmsform only: the emulator is another process)
    phases: dict[str, float]
    error: str | None = None

    @property
    def no_changes(self) -> bool:
        return "No changes." in self.output

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


def run_lmsform(
    args: Iterable[str], env: Mapping[str, str], *, profiler: ThreadProfiler | None = None
) -> CliRun:
    """`lmsform ARGS` through its click command, in this process."""
    from click.testing import CliRunner

    from lmsform.cli import main

    arguments = tuple(args)
    runner = CliRunner()
    with timed_phases() as phases:
        cpu, wall = time.process_time(), time.perf_counter()
        with profiler.running() if profiler is not None else contextlib.nullcontext():
            result = runner.invoke(main, list(arguments), env=dict(env), catch_exceptions=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    error = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = f"{type(result.exception).__name__}: {result.exception}"
    return CliRun(arguments, result.exit_code, result.output, wall, cpu, dict(phases), error)


@dataclass(frozen=True)
class ProcessRun:
    """One lmsform command run as `python -m lmsform` in a subprocess."""

    exit_code: int
    output: str
    wall: float
    peak_rss_mb: float  # the process's own peak resident memory (VmHWM)


# Run in the child: lmsform's command line, then its peak resident set (VmHWM, KiB) to a file. Not
# `ru_maxrss`: Linux carries the parent's peak over fork and exec into it, so a child of a big
# benchmark process would report the benchmark's memory.
_CHILD = """
import atexit, os, runpy, sys

def _report():
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["LMSFORM_BENCH_PEAK"], "w", encoding="ascii") as out:
        out.write(peak)

atexit.register(_report)
sys.argv = ["lmsform", *sys.argv[1:]]
runpy.run_module("lmsform", run_name="__main__", alter_sys=True)
"""


def run_lmsform_subprocess(
    args: Iterable[str], env: Mapping[str, str], cwd: Path | None = None
) -> ProcessRun:
    """`python -m lmsform ARGS` in a child process, with its peak resident memory."""
    with tempfile.TemporaryDirectory(prefix="lmsform-bench-peak-") as scratch:
        peak_file = Path(scratch) / "peak"
        output_file = Path(scratch) / "output"
        with output_file.open("wb") as output:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, *args],
                env={**os.environ, **env, "LMSFORM_BENCH_PEAK": str(peak_file)},
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=cwd,
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        text = output_file.read_text(encoding="utf-8", errors="replace")
        try:
            peak_kib = float(peak_file.read_text(encoding="ascii"))
        except (OSError, ValueError):  # no /proc: ru_maxrss, an upper bound (see _CHILD)
            peak_kib = float(usage.ru_maxrss)
    return ProcessRun(process.returncode, text, wall, peak_kib / 1024)
