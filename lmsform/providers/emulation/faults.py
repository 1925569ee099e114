"""Network faults for every vendor's emulator: latency, a rate limit, errors, throttling, dropped answers,
hangs and malformed answers, changeable while the server runs; and scripted faults, armed for the next
requests that match a method and a path.

`Faults` holds the settings and makes each vendor request's random choices (one `random.Random(seed)`,
so a run is reproducible); `RequestRecorder` in `emulator` applies them and records which fault each
request met. Test hooks under `/_emulator/` never meet a fault; `/_emulator/chaos` reads (GET) and
changes (POST, a JSON object of settings) them over HTTP.

A request meets at most one fault. Each rate is an independent chance, tried in this order: the rate
limit, `throttle_rate`, `error_rate`, `hang_rate`, then `drop_rate` (writes only) or `malformed` (GETs
only). Five random numbers are drawn for every request whatever the rates, so changing one rate does
not reshuffle which requests meet another.

Scripted faults (`ScriptedFaults`) are the one mechanism behind every "the next N requests matching
method and path …" rule: answers refused or dropped by the server (`RequestRecorder`), writes that
commit late (`LateCommits`), and the `Retry-After` refusals an emulator's own hook arms
(`RetryLaterFaults`, Versal's `POST /_emulator/faults`).
"""

from __future__ import annotations

import io
import json
import math
import random
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Generic, Literal, TypedDict, TypeVar, Unpack, get_args
from urllib.parse import parse_qsl, urlencode, urlsplit

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HOOK_ROOT = "/_emulator"
CHAOS_HOOK = f"{HOOK_ROOT}/chaos"
# html: a proxy's error page; truncated: half the JSON; loop: paging that never ends (`next` pointing at
# itself, or the first page served again for any offset with a count that always promises one more);
# shape: an object where a list is expected, or a list where an object is; no_id: items without `id`.
MalformedKind = Literal["html", "truncated", "loop", "shape", "no_id"]
MALFORMED_KINDS: tuple[MalformedKind, ...] = get_args(MalformedKind)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Fault = Literal["rate_limit", "throttle", "error", "hang", "drop", "malformed"]

_RATES = ("error_rate", "throttle_rate", "drop_rate", "hang_rate", "malformed")


def is_hook(path: str) -> bool:
    return path == HOOK_ROOT or path.startswith(f"{HOOK_ROOT}/")


def _check_number(name: str, value: object, what: str, low: float, high: float = math.inf) -> None:
    in_range = isinstance(value, int | float) and math.isfinite(value) and low <= value <= high
    if isinstance(value, bool) or not in_range:
        raise ValueError(f"{name} must be {what}, not {value!r}")


@dataclass(frozen=True)
class FaultSettings:
    """What faults a server injects; validated on construction (ValueError)."""

    latency: float = 0.0  # seconds added to every vendor request
    rate_limit: float | None = None  # vendor requests per second; None: no limit
    rate_burst: float | None = None  # the bucket's size; None: one second's worth, at least 1
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    drop_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    malformed: float = 0.0
    malformed_kind: MalformedKind = "html"
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("latency", "hang_seconds"):
            _check_number(name, getattr(self, name), "a number of seconds, 0 or more", 0)
        for name in _RATES:
            _check_number(name, getattr(self, name), "a number from 0 to 1", 0, 1)
        if self.rate_limit is not None:
            _check_number("rate_limit", self.rate_limit, "a number of requests per second above 0", 1e-9)
        if self.rate_burst is not None:
            _check_number("rate_burst", self.rate_burst, "a number of requests, 1 or more", 1)
        if self.malformed_kind not in MALFORMED_KINDS:
            raise ValueError(
                f"malformed_kind must be one of {', '.join(MALFORMED_KINDS)}, not {self.malformed_kind!r}"
            )
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ValueError(f"seed must be an integer, not {self.seed!r}")

    @property
    def burst(self) -> float:
        if self.rate_burst is not None:
            return self.rate_burst
        return max(1.0, self.rate_limit or 1.0)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """A whole WSGI answer: the status line, headers and body."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def with_header(self, name: str, value: str) -> Answer:
        kept = [(key, old) for key, old in self.headers if key.lower() != name.lower()]
        return Answer(self.status, [*kept, (name, value)], self.body)

    def with_body(self, body: bytes) -> Answer:
        return Answer(self.status, self.headers, body).with_header("Content-Length", str(len(body)))


def json_answer(status: str, document: object, *headers: tuple[str, str]) -> Answer:
    body = json.dumps(document).encode()
    return Answer(status, [("Content-Type", "application/json"), *headers], b"").with_body(body)


def throttled(seconds: int) -> Answer:
    unit = "second" if seconds == 1 else "seconds"
    detail = f"Request was throttled. Expected available in {seconds} {unit}."
    return json_answer("429 Too Many Requests", {"detail": detail}, ("Retry-After", str(seconds)))


UNAVAILABLE = json_answer("503 Service Unavailable", {"detail": "Service unavailable"})


@dataclass(frozen=True)
class Decision:
    """What happens to one request: recorded as `fault`, delayed `delay` seconds, then answered with
    `answer` instead of the app's, or the app's answer dropped or spoilt as `malform` says."""

    fault: Fault | None = None
    delay: float = 0.0
    answer: Answer | None = None
    drop: bool = False
    malform: MalformedKind | None = None


NO_FAULT = Decision()


class FaultChanges(TypedDict, total=False):
    """Keyword arguments naming `FaultSettings` fields, for type checkers; checked again at run time."""

    latency: float
    rate_limit: float | None
    rate_burst: float | None
    error_rate: float
    throttle_rate: float
    drop_rate: float
    hang_rate: float
    hang_seconds: float
    malformed: float
    malformed_kind: MalformedKind
    seed: int | None


class Faults:
    """The fault settings of one server and the state behind them (random numbers, the token bucket);
    thread-safe, changeable while the server runs."""

    def __init__(self, **settings: Unpack[FaultChanges]) -> None:
        self._lock = threading.Lock()
        self._settings = _changed(FaultSettings(), settings)
        self._random = random.Random(self._settings.seed)
        self._tokens = self._settings.burst
        self._stamp = time.monotonic()

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def to_json(self) -> dict[str, Any]:
        """The settings as `GET /_emulator/chaos` shows them."""
        return self._settings.to_json()

    def update(self, **changes: Unpack[FaultChanges]) -> FaultSettings:
        """Change the given settings (ValueError if any is unknown or invalid; then nothing changes).
        A `seed` restarts the random numbers; a `rate_limit` or `rate_burst` refills the bucket."""
        return self.apply(changes)

    def apply(self, changes: Mapping[str, Any]) -> FaultSettings:
        """`update` for settings that come as data (JSON, a benchmark's mapping)."""
        with self._lock:
            self._settings = _changed(self._settings, changes)
            if "seed" in changes:
                self._random.seed(self._settings.seed)
            if "rate_limit" in changes or "rate_burst" in changes:
                self._tokens, self._stamp = self._settings.burst, time.monotonic()
            return self._settings

    def decide(self, method: str) -> Decision:
        """The fate of one vendor request, decided as it arrives."""
        with self._lock:
            settings = self._settings
            throttle, error, hang, drop, malform = (self._random.random() for _ in range(5))
            wait = self._take_token()
        latency = settings.latency
        if wait > 0:
            return Decision("rate_limit", latency, throttled(max(1, math.ceil(wait))))
        if throttle < settings.throttle_rate:
            return Decision("throttle", latency, throttled(1))
        if error < settings.error_rate:
            return Decision("error", latency, UNAVAILABLE)
        if hang < settings.hang_rate:
            return Decision("hang", latency + settings.hang_seconds)
        if method in WRITES and drop < settings.drop_rate:
            return Decision("drop", latency, drop=True)
        if method == "GET" and malform < settings.malformed:
            return Decision(delay=latency, malform=settings.malformed_kind)
        return Decision(delay=latency)

    def _take_token(self) -> float:
        """0 when the request may go ahead (it took a token), else the seconds until the next token."""
        rate = self._settings.rate_limit
        if rate is None:
            return 0.0
        now = time.monotonic()
        self._tokens = min(self._settings.burst, self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / rate


def _changed(current: FaultSettings, changes: Mapping[str, Any]) -> FaultSettings:
    known = {setting.name for setting in fields(FaultSettings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"unknown fault setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
    return replace(current, **changes)


def malformed(kind: MalformedKind, answer: Answer, url: str) -> Answer | None:
    """The answer spoilt as `kind` says, or None when it cannot be (not a 2xx JSON answer, or nothing to
    loop, reshape or strip). `url` is the request's own, for `loop`."""
    content_type = answer.header("Content-Type") or ""
    if not 200 <= answer.code < 300 or "json" not in content_type:
        return None
    if kind == "html":
        page = _BAD_GATEWAY.encode()
        return Answer("502 Bad Gateway", [("Content-Type", "text/html; charset=utf-8")], b"").with_body(page)
    if kind == "truncated":
        return answer.with_body(answer.body[: len(answer.body) // 2])
    if kind == "loop":
        return _looped(answer, url)
    try:
        document = json.loads(answer.body) if answer.body else None
    except ValueError:
        return None
    spoilt = _reshaped(document) if kind == "shape" else _without_ids(document)
    return None if spoilt is None else answer.with_body(json.dumps(spoilt).encode())


# Query parameters of offset paging: Damstra's `startIndex`, Django REST Framework's `offset`.
OFFSET_PARAMETERS = ("startIndex", "offset")


def first_page_query(query_string: str) -> str | None:
    """For `loop`: the query of an offset-paged request with its offset set to 0 (the server ignores
    the offset and serves the first page again), or None when the request names no offset."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if not any(name in OFFSET_PARAMETERS for name, _ in pairs):
        return None
    return urlencode([(name, "0" if name in OFFSET_PARAMETERS else value) for name, value in pairs])


def _looped(answer: Answer, url: str) -> Answer | None:
    """A paging answer whose next page is itself: `next` in a JSON object, or `nextPage` in `X-Pagination`;
    for offset paging (the first page was served), a count that promises one more item than was asked."""
    pagination = _json_object(answer.header("X-Pagination") or "")
    if pagination is not None and "nextPage" in pagination:
        page = pagination.get("page")
        pagination["nextPage"] = page
        if isinstance(page, int) and isinstance(pagination.get("pageCount"), int):
            pagination["pageCount"] = max(pagination["pageCount"], page + 1)  # promise more than this page
        return answer.with_header("X-Pagination", json.dumps(pagination, separators=(",", ":")))
    document = _json_object(answer.body.decode("utf-8", "replace"))
    if document is None:
        return None
    looped = False
    offset = _requested_offset(url)
    results = document.get("results")
    if offset is not None and isinstance(results, list):
        promised = offset + len(results) + 1
        meta = document.get("meta")
        if isinstance(meta, dict) and "totalResultCount" in meta:
            meta["totalResultCount"] = promised
            looped = True
        if "count" in document:
            document["count"] = promised
            looped = True
    if "next" in document:
        document["next"] = url
        looped = True
    return answer.with_body(json.dumps(document).encode()) if looped else None


def _requested_offset(url: str) -> int | None:
    for name, value in parse_qsl(urlsplit(url).query):
        if name in OFFSET_PARAMETERS and value.isdigit():
            return int(value)
    return None


def _reshaped(document: Any) -> Any:
    """An object where the list was (numbered entries), or a list holding the object that was expected."""
    if isinstance(document, list):
        return _numbered(document)
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        return {**document, "results": _numbered(document["results"])}
    if isinstance(document, dict):
        return [document]
    return None


def _numbered(items: list[Any]) -> dict[str, Any]:
    return {str(position): item for position, item in enumerate(items)}


_ID_FIELDS = frozenset({"id", "api_id"})


def _without_ids(document: Any) -> Any:
    """The document with every `id` and `api_id` taken out of its items (or of the object itself); None
    when there was none to take."""
    stripped = _strip_ids(document)
    return None if stripped == document else stripped


def _strip_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: _strip_ids(item) for name, item in value.items() if name not in _ID_FIELDS}
    if isinstance(value, list):
        return [_strip_ids(item) for item in value]
    return value


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        document = json.loads(text) if text else None
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


_BAD_GATEWAY = """<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""


def chaos_hook(faults: Faults, method: str, body: bytes) -> Answer:
    """`GET /_emulator/chaos`: the settings; `POST` with a JSON object: change them, then the settings."""
    if method == "POST":
        changes = _json_object(body.decode("utf-8", "replace"))
        if changes is None:
            return json_answer("400 Bad Request", {"detail": "Expected a JSON object of fault settings."})
        try:
            faults.apply(changes)
        except ValueError as error:
            return json_answer("400 Bad Request", {"detail": str(error)})
    elif method != "GET":
        return json_answer(
            "405 Method Not Allowed", {"detail": f'Method "{method}" not allowed.'}, ("Allow", "GET, POST")
        )
    return json_answer("200 OK", faults.to_json())


# --- scripted faults: the next requests that match ------------------------------------------------------

EffectT = TypeVar("EffectT")


@dataclass
class ScriptedFault(Generic[EffectT]):
    """The next `remaining` requests of `method` whose path `path` matches whole meet `effect`."""

    method: str
    path: re.Pattern[str]
    remaining: int
    effect: EffectT

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method == method and self.path.fullmatch(path) is not None


class ScriptedFaults(Generic[EffectT]):
    """Faults armed for the next matching requests, each used up by one request (thread-safe); the first
    armed that matches is taken first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[ScriptedFault[EffectT]] = []

    def arm(self, method: str, path: str | re.Pattern[str], effect: EffectT, count: int = 1) -> None:
        """The next `count` requests of `method` whose path matches `path` whole meet `effect`."""
        pattern = path if isinstance(path, re.Pattern) else re.compile(path)
        with self._lock:
            self._armed.append(ScriptedFault(method.upper(), pattern, count, effect))

    def take(self, method: str, path: str) -> EffectT | None:
        """The effect this request meets, used up by one; None when no armed fault matches it."""
        with self._lock:
            for fault in self._armed:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault.effect
        return None

    def pending(self) -> list[ScriptedFault[EffectT]]:
        """The faults not used up yet, as they stand now."""
        with self._lock:
            return [replace(fault) for fault in self._armed if fault.remaining > 0]

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()


RETRY_LATER_STATUSES = {429: "Too many requests", 503: "Service unavailable"}
"""The statuses a `RetryLater` may answer, with the message a vendor's error body may carry."""
_RULE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class RetryLater:
    """A refusal the client is told to retry: `status` (429 or 503) with `Retry-After: seconds`."""

    status: int
    seconds: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.seconds)}


class RetryLaterFaults(ScriptedFaults[RetryLater]):
    """`Retry-After` refusals an emulator answers itself, armed over HTTP by a test hook.

    The hook's body: `{"method", "path": <regex matched against the whole path>, "status": 429|503 = 503,
    "count": 1, "retryAfter": 1}`; `as_json` lists the pending rules in the same shape."""

    def arm_from_json(self, body: Mapping[str, Any]) -> None:
        """Arm the rule `body` describes (ValueError, saying what is wrong, for a bad one)."""
        method, path = body.get("method"), body.get("path")
        if not isinstance(method, str) or method.upper() not in _RULE_METHODS:
            raise ValueError(f"method must be one of {', '.join(_RULE_METHODS)}")
        if not isinstance(path, str):
            raise ValueError("path must be a regular expression")
        try:
            pattern = re.compile(path)
        except re.error as error:
            raise ValueError(f"path is not a regular expression: {error}") from None
        status = body.get("status", 503)
        if status not in RETRY_LATER_STATUSES:
            raise ValueError("status must be 429 or 503")
        refusal = RetryLater(status, _positive(body, "retryAfter", 1))
        self.arm(method, pattern, refusal, _positive(body, "count", 1))

    def as_json(self) -> list[dict[str, Any]]:
        return [
            {
                "method": fault.method,
                "path": fault.path.pattern,
                "status": fault.effect.status,
                "count": fault.remaining,
                "retryAfter": fault.effect.seconds,
            }
            for fault in self.pending()
        ]


def _positive(body: Mapping[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer")
    return value


# --- writes that commit late ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Late:
    delay: float
    gateway: bool


@dataclass
class LateCommits:
    """WSGI middleware around a vendor's app: the next matching writes commit `delay` seconds late.

    As when the vendor is slow: the client stops waiting (its timeout) and the vendor commits the write
    afterwards. By default the request is held, and reaches the app only after `delay` seconds, in its
    own thread; its answer then goes to a client that may be gone. With `gateway`, a gateway answers
    504 at once and the write reaches the app `delay` seconds later, in the background. `committed`
    lists the (method, path) of the late writes the app has handled; `settle()` waits for those under
    way. Goes inside `EmulatorServer`'s recorder, which then records the held request when it ends.
    """

    app: WSGIApplication
    committed: list[tuple[str, str]] = field(default_factory=list)
    _rules: ScriptedFaults[_Late] = field(default_factory=ScriptedFaults)
    _late: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(
        self, method: str, path_pattern: str, *, delay: float, count: int = 1, gateway: bool = False
    ) -> None:
        _check_number("delay", delay, "a number of seconds, 0 or more", 0)
        self._rules.arm(method, path_pattern, _Late(delay, gateway), count)

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every late write the middleware started in the background has been handled."""
        with self._lock:
            late = list(self._late)
        for thread in late:
            thread.join(timeout)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        held = self._rules.take(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
        if held is None:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if not held.gateway:
            time.sleep(held.delay)
            return self._commit(environ, body, start_response)
        late = threading.Thread(
            target=self._commit_later, args=(dict(environ), body, held.delay), daemon=True
        )
        with self._lock:
            self._late.append(late)
        late.start()
        answer = json_answer("504 Gateway Timeout", {"detail": "The upstream server did not answer in time."})
        start_response(answer.status, answer.headers)
        return [answer.body]

    def _commit_later(self, environ: WSGIEnvironment, body: bytes, delay: float) -> None:
        time.sleep(delay)
        result = self._commit(environ, body, lambda status, headers, exc_info=None: lambda data: None)
        b"".join(result)

    def _commit(
        self, environ: WSGIEnvironment, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        environ["wsgi.input"] = io.BytesIO(body)
        result = list(self.app(environ, start_response))
        with self._lock:
            self.committed.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return result


# --- parsing the command line -------------------------------------------------------------------------

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_DURATION = re.compile(rf"{_NUMBER}\s*(ms|s)?", re.IGNORECASE)
_RATE = re.compile(rf"{_NUMBER}\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?", re.IGNORECASE)
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_duration(text: str) -> float:
    """Seconds from `30ms`, `0.03s` or a bare number of seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration; try 30ms, 0.03s or 0.03 (seconds)")
    number, unit = match.groups()
    return float(number) / (1000 if (unit or "s").lower() == "ms" else 1)


def parse_rate(text: str) -> float:
    """Requests per second from `600/min`, `10/s` or a bare number per second."""
    match = _RATE.fullmatch(text.strip())
    if match is None or float(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a rate above 0; try 600/min, 10/s or 10 (per second)")
    number, per = match.groups()
    return float(number) / _PER[(per or "s").lower()]


__all__ = [
    "CHAOS_HOOK",
    "MALFORMED_KINDS",
    "NO_FAULT",
    "RETRY_LATER_STATUSES",
    "UNAVAILABLE",
    "Answer",
    "Decision",
    "Fault",
    "FaultChanges",
    "FaultSettings",
    "Faults",
    "LateCommits",
    "MalformedKind",
    "RetryLater",
    "RetryLaterFaults",
    "ScriptedFault",
    "ScriptedFaults",
    "chaos_hook",
    "first_page_query",
    "is_hook",
    "malformed",
    "parse_duration",
    "parse_rate",
]
