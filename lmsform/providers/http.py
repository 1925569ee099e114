"""The one HTTP layer every provider uses: transport (timeouts, retries, limits) and decoding, with
errors that say where. How lists are paged is `paging`, built on this.

Retries: urllib3's Retry re-sends idempotent requests (GET, PUT, PATCH, DELETE) that got a 429, a
5xx or no answer, with exponential backoff and jitter, honouring `Retry-After`. A POST is re-sent
only when the caller says the vendor makes it idempotent (Skilljar's enrollment create with an
explicit `enrolled_at`); other creates are made safe by reading before writing.

Retrying is bounded in count (`retries`) and in time (`retry_budget`, from the first failure): a
`Retry-After` asking for longer than the budget has left is not waited out, and the call fails at
once with an error that says so, rather than sleeping for an hour.

A server is not trusted to behave: no redirect is followed (credentials go only to the configured
origin), an answer is read up to `MAX_ANSWER_BYTES` once decompressed, each exchange ends at a
deadline however slowly it trickles (`deadline`), and no link leads to another origin.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from lmsform import __version__
from lmsform.errors import ProviderError
from lmsform.logs import TRACE
from lmsform.providers.deadline import DEADLINE_FACTOR, DeadlinePassed, with_deadlines
from lmsform.providers.vendor_answers import (
    describe_body,
    invalid_json,
    item_fields_missing,
    missing_fields,
    vendor_message,
)
from lmsform.secrets import redact

if TYPE_CHECKING:
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

    from lmsform.providers.base import ProviderSettings

log = logging.getLogger("lmsform.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# Seconds a call may go on retrying after its first failure, waits included. It also caps what a
# `Retry-After` may ask for: two minutes covers a vendor's per-minute rate limit window.
RETRY_BUDGET = 120.0
_BACKOFF_MAX = 30.0
# The most an answer may hold once decompressed. The largest page lmsform asks for (1,000 Skilljar
# users) is about a megabyte, while a 1 MB gzip bomb expands to gigabytes: the body is read in
# pieces, and reading stops past this.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
_READ_CHUNK = 64 * 1024


class BoundedRetry(Retry):
    """urllib3's Retry, bounded in time as well as in count.

    No retry starts when its wait would end more than `budget` seconds after the call's first
    failure. A status answer then comes back to the caller as it is (a 429 asking to wait an hour
    is reported, not slept through); a failed connection ends in the usual MaxRetryError. An
    unreadable `Retry-After` counts as absent (exponential backoff applies).

    Each retry is logged at INFO (method, path, status or error, the wait and why): never a header
    or a body.
    """

    def __init__(
        self, *args: Any, budget: float = RETRY_BUDGET, first_failure: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget
        self.first_failure = first_failure
        self._backoff: float | None = None

    def new(self, **kw: Any) -> BoundedRetry:
        kw.setdefault("budget", self.budget)
        kw.setdefault("first_failure", self.first_failure)
        made: BoundedRetry = super().new(**kw)
        return made

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None

    def get_backoff_time(self) -> float:
        """The backoff, jitter drawn once: the budget check, the log and the sleep see the same wait."""
        if self._backoff is None:
            self._backoff = super().get_backoff_time()
        return self._backoff

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> BoundedRetry:
        now = time.monotonic()
        first_failure = self.first_failure if self.first_failure is not None else now
        retried: BoundedRetry = super().increment(method, url, response, error, _pool, _stacktrace)
        retried.first_failure = first_failure
        asked = self.get_retry_after(response) if response is not None else None
        wait = asked if asked is not None else retried.get_backoff_time()
        retry = _Retry(method or "", _path_of(url or ""), response, error, len(retried.history), asked)
        if now + wait > first_failure + self.budget:
            retry.log_not_retried(wait, self.budget)
            raise MaxRetryError(_pool, url or "", error or ResponseError("out of retry time"))  # type: ignore[arg-type]
        # urllib3 sleeps for a Retry-After only when it is above zero, for the backoff otherwise.
        retry.log(asked if asked else retried.get_backoff_time())
        return retried


@dataclass(frozen=True)
class _Retry:
    """One retry as the log tells it: the call, what went wrong (a status, or the error's type: its text
    may hold a host or a header) and the wait."""

    method: str
    path: str
    response: BaseHTTPResponse | None
    error: Exception | None
    number: int
    asked: float | None

    @property
    def what(self) -> str:
        if self.response is not None:
            return f"-> {self.response.status}"
        return f"got no answer ({type(self.error).__name__})" if self.error else "got no answer"

    def fields(self, wait: float) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.response.status if self.response is not None else None,
            "error": type(self.error).__name__ if self.error else None,
            "retry": self.number,
            "wait_seconds": round(wait, 3),
            "retry_after": self.asked,
        }

    def log(self, wait: float) -> None:
        why = "as Retry-After asks" if self.asked else "backing off"
        log.info(
            "%s %s %s; retry %d in %.1f s (%s)",
            self.method,
            self.path,
            self.what,
            self.number,
            wait,
            why,
            extra=self.fields(wait),
        )

    def log_not_retried(self, wait: float, budget: float) -> None:
        log.info(
            "%s %s %s; not retried: the wait of %.1f s would end past lmsform's %g s of retrying",
            self.method,
            self.path,
            self.what,
            wait,
            budget,
            extra=self.fields(wait),
        )


def _path_of(url: str) -> str:
    """A URL as logs show it: path and query, secrets masked (urllib3 hands retries the path, or the
    whole URL through a proxy)."""
    parts = urlsplit(url)
    return redact(parts.path + (f"?{parts.query}" if parts.query else ""))


class Pacer:
    """Spaces the starts of requests evenly, across threads, so a vendor's rate limit is never hit:
    running at the limit beats bouncing off 429s and waiting out their `Retry-After`."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            log.debug(
                "pacing to the rate limit: waiting %.2f s", start - now, extra={"wait_seconds": start - now}
            )
            time.sleep(start - now)


class _PacedAdapter(HTTPAdapter):
    """Paces the requests it sends, and bounds each exchange by a deadline (`deadline`)."""

    def __init__(self, pacer: Pacer | None, **kwargs: Any) -> None:
        self._pacer = pacer
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        with_deadlines(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return with_deadlines(super().proxy_manager_for(proxy, **proxy_kwargs))

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if self._pacer is not None:
            self._pacer.wait()
        return super().send(request, *args, **kwargs)


class HeaderAuth(AuthBase):
    """Every call carries the credential in one header (Damstra's `AccessKey`, Versal's `SID`, a DRF
    `Authorization: Token <key>`)."""

    def __init__(self, header: str, value: str) -> None:
        self._header = header
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self._header] = self._value
        return request


class HttpClient:
    """A requests session bound to one vendor's API root."""

    @classmethod
    def for_settings(
        cls,
        settings: ProviderSettings,
        *,
        vendor: str,
        base_url: str,
        auth: AuthBase | None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpClient:
        """A client with the timeouts, parallelism, retries and rate limit of a project's settings."""
        return cls(
            vendor=vendor,
            base_url=base_url,
            auth=auth,
            timeout=settings.timeout,
            parallelism=settings.parallelism,
            retries=settings.retries,
            rate_limit=settings.rate_limit / 60 if settings.rate_limit else None,
            headers=headers,
        )

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        auth: AuthBase | None,
        timeout: float,
        parallelism: int,
        retries: int = 5,
        backoff: float = 0.5,
        retry_budget: float = RETRY_BUDGET,
        rate_limit: float | None = None,
        headers: Mapping[str, str] | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        """`rate_limit`: most requests per second, shared by every thread (None: no pacing);
        `retry_budget`: seconds a call may go on retrying after its first failure; `max_answer_bytes`:
        the largest answer read, once decompressed."""
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self.retries = retries
        self.retry_budget = retry_budget
        self.parallelism = max(parallelism, 1)
        # However many threads call, no more than `parallelism` requests are in flight at once.
        self._in_flight = threading.BoundedSemaphore(self.parallelism)
        self._origin = urlsplit(self.base_url)
        common_headers = {
            "Accept": "application/json",
            "User-Agent": f"lmsform/{__version__}",
            **(headers or {}),
        }

        pacer = Pacer(rate_limit) if rate_limit else None

        def session(methods: frozenset[str]) -> requests.Session:
            retry = BoundedRetry(
                total=retries,
                connect=retries,
                read=retries,
                status=retries,
                other=0,
                allowed_methods=methods,
                status_forcelist=RETRY_STATUSES,
                backoff_factor=backoff,
                backoff_jitter=backoff / 2,
                backoff_max=_BACKOFF_MAX,
                respect_retry_after_header=True,
                raise_on_status=False,
                budget=retry_budget,
            )
            adapter = _PacedAdapter(
                pacer, max_retries=retry, pool_connections=2, pool_maxsize=max(parallelism, 1) * 2
            )
            made = requests.Session()
            # The environment (proxies, CA bundle) is read once here, not again for every request,
            # where scanning it cost about a fifth of a request's CPU. Every request goes to one host.
            made.trust_env = False
            made.proxies.update(requests.utils.get_environ_proxies(self.base_url))
            if self._origin.scheme == "https":  # a bundle's path costs a stat() per request
                made.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            made.auth = auth
            made.headers.update(common_headers)
            made.mount("http://", adapter)
            made.mount("https://", adapter)
            return made

        self._session = session(IDEMPOTENT_METHODS)
        self._idempotent_post_session = session(IDEMPOTENT_METHODS | {"POST"})

    @property
    def attempts(self) -> int:
        """How many times a call may be sent in all: the first time and the retries."""
        return self.retries + 1

    def close(self) -> None:
        self._session.close()
        self._idempotent_post_session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        kind: str | None = None,
        key: str | None = None,
        idempotent: bool = False,
    ) -> requests.Response:
        """Send one request; a non-2xx answer raises ProviderError with the vendor's message.

        `idempotent` lets a POST be re-sent after a lost answer: only for creates the vendor
        deduplicates. No redirect is followed (a 3xx is an error), so credentials, which go in
        headers a redirect would carry along, reach only the configured origin.
        """
        url = self._url(path, method=method, kind=kind, key=key)
        if log.isEnabledFor(TRACE):
            log.log(TRACE, "%s %s: sending", method, self.shown(url, params))
        started = time.monotonic()
        retried = self.retries > 0 and (idempotent or method in IDEMPOTENT_METHODS)
        try:
            session = self._idempotent_post_session if idempotent else self._session
            with self._in_flight:
                response = session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                )
                self._read_body(response, kind=kind, key=key)
        except requests.RequestException as error:
            gave_up = f"; retried, gave up after {time.monotonic() - started:.1f} s" if retried else ""
            raise ProviderError(
                vendor=self.vendor,
                message=f"{self._failure(error)}{gave_up}",
                method=method,
                path=self.shown(url, params),
                kind=kind,
                key=key,
            ) from None
        elapsed = time.monotonic() - started
        if log.isEnabledFor(logging.INFO):
            shown = self.shown(url, params)
            log.info(
                "%s %s -> %s (%.0f ms)",
                method,
                shown,
                response.status_code,
                elapsed * 1000,
                extra={
                    "method": method,
                    "path": shown,
                    "status": response.status_code,
                    "elapsed_ms": round(elapsed * 1000),
                },
            )
        if 300 <= response.status_code < 400:
            raise ProviderError(
                vendor=self.vendor,
                message=self._redirected(response),
                status=response.status_code,
                method=method,
                path=self.shown(url, params),
                kind=kind,
                key=key,
            )
        if response.status_code >= 400:
            message = vendor_message(response)
            if retried and response.status_code in RETRY_STATUSES:
                message += self._gave_up(response, elapsed)
            raise ProviderError(
                vendor=self.vendor,
                message=message,
                status=response.status_code,
                method=method,
                path=self.shown(url, params),
                kind=kind,
                key=key,
                retry_after=retry_after(response),
            )
        return response

    def _read_body(self, response: requests.Response, *, kind: str | None, key: str | None) -> None:
        """Read a streamed answer's body, decompressed, in pieces, stopping past `max_answer_bytes`;
        then `response.content` and `response.json()` work as for an answer read whole."""
        body = bytearray()
        for piece in response.iter_content(_READ_CHUNK):
            body += piece
            if len(body) > self.max_answer_bytes:
                response.close()
                raise self.malformed(
                    f"the answer is larger than {_size(self.max_answer_bytes)} once decompressed; "
                    "lmsform reads no more of it (no answer it asks for comes near that size)",
                    response,
                    kind=kind,
                    key=key,
                )
        # requests keeps a body read whole here; filling it lets every reader of the answer work alike.
        response._content = bytes(body)

    def _redirected(self, response: requests.Response) -> str:
        """Why a 3xx answer is an error, naming where it pointed (its origin only: a `Location` may
        hold a token in its path or query)."""
        target = urlsplit(urljoin(response.url, response.headers.get("Location", "")))
        host = target.netloc.rpartition("@")[2]
        if target.scheme in ("http", "https") and re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", host):
            where = f"{target.scheme}://{host}"
        else:
            where = "an address lmsform will not show"
        hint = ""
        if (
            target.scheme == "https"
            and self._origin.scheme == "http"
            and target.hostname == self._origin.hostname
        ):
            hint = "; the vendor serves HTTPS only: give the base URL as https://"
        return (
            f"the server redirects to {where}; lmsform follows no redirect, so that credentials go "
            f"only to the configured address{hint}"
        )

    def _failure(self, error: requests.RequestException) -> str:
        """What went wrong with a call that got no answer, in words (and without the URL, shown apart)."""
        text = str(error)
        if _caused_by(error, DeadlinePassed):
            return (
                f"the answer did not end within {self.timeout * DEADLINE_FACTOR:g} s (the deadline of a "
                f"whole answer, {DEADLINE_FACTOR:g} times the {self.timeout:g} s timeout)"
            )
        if isinstance(error, requests.Timeout) or "timed out" in text.lower():
            return f"no answer within {self.timeout:g} s (timeout)"
        if isinstance(error, requests.ConnectionError):
            if "RemoteDisconnected" in text or "ProtocolError" in text or "reset" in text.lower():
                return "the connection closed before an answer came"
            refused = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
            reason = refused.group(1) if refused else _reason(error)
            return redact(f"cannot connect to {self._origin.netloc}: {reason}")
        return f"request failed: {type(error).__name__}: {redact(_reason(error))}"

    def _gave_up(self, response: requests.Response, elapsed: float) -> str:
        """Why a retryable answer is final: the vendor asks to wait too long, or retrying ran out."""
        asked = retry_after(response)
        if asked is not None and asked > self.retry_budget:
            return (
                f"; the vendor asks to wait {asked:g} s before trying again (Retry-After), longer than "
                f"lmsform waits ({self.retry_budget:g} s): try again later"
            )
        history = getattr(getattr(response.raw, "retries", None), "history", ())
        attempts = 1 + len(history)
        if attempts == 1:
            return ""
        return f"; gave up after {attempts} attempts in {elapsed:.1f} s"

    def json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        kind: str | None = None,
        key: str | None = None,
        idempotent: bool = False,
        fields: Sequence[str] | None = None,
        item_fields: Sequence[str] | None = None,
    ) -> Any:
        """The answer's JSON. `fields`: it must be an object holding these (dotted: `user.id`), not
        null; `item_fields`: it must be an array of such objects. Otherwise a malformed-response
        error naming the endpoint and what is missing."""
        response = self.request(
            method, path, params=params, json_body=json_body, kind=kind, key=key, idempotent=idempotent
        )
        body = self.decode(response, kind=kind, key=key)
        problem = None
        if fields is not None:
            problem = missing_fields(body, fields)
        elif item_fields is not None:
            problem = item_fields_missing(body, item_fields)
        if problem is not None:
            raise self.malformed(f"malformed response: {problem}", response, kind=kind, key=key)
        return body

    def decode(self, response: requests.Response, *, kind: str | None = None, key: str | None = None) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            if "json" not in response.headers.get("Content-Type", "").lower():
                what = f"expected JSON, got {describe_body(response)}"
            else:
                what = invalid_json(error, response)
            raise self.malformed(f"malformed response: {what}", response, kind=kind, key=key) from None

    def malformed(
        self, message: str, response: requests.Response, *, kind: str | None, key: str | None = None
    ) -> ProviderError:
        """An error for an answer that is not what was asked for, naming the call it answered."""
        return ProviderError(
            vendor=self.vendor,
            message=message,
            status=response.status_code,
            method=response.request.method,
            path=self.shown(response.url, None),
            kind=kind,
            key=key,
        )

    def on_own_origin(self, link: str) -> str | None:
        """A link (a `next` page) as lmsform sends it: on the configured scheme and address; None
        when it names another server. Behind a proxy a vendor may build links with http://; keeping
        the scheme we were given means a link can neither downgrade HTTPS nor lead anywhere else."""
        parts = urlsplit(link)
        if not self._is_own_server(parts):
            return None
        return urlunsplit((self._origin.scheme, self._origin.netloc, *parts[2:]))

    def _is_own_server(self, parts: SplitResult) -> bool:
        """Whether a link names the configured host and port (no user part; a link with no port
        means the default port of the configured scheme, which is the one lmsform will use)."""
        default = 443 if self._origin.scheme == "https" else 80
        try:
            port, own_port = parts.port or default, self._origin.port or default
        except ValueError:
            return False
        same_host = (parts.hostname or "").lower() == (self._origin.hostname or "").lower()
        return same_host and port == own_port and "@" not in parts.netloc

    def _url(self, path: str, *, method: str, kind: str | None, key: str | None) -> str:
        """The URL of a path under the base URL. A whole URL (a `next` link) must be on the configured
        origin, scheme included: this is the one place every request passes."""
        if not path.startswith(("http://", "https://")):
            return self.base_url + path
        parts = urlsplit(path)
        if (parts.scheme, parts.netloc) != (self._origin.scheme, self._origin.netloc):
            raise ProviderError(
                vendor=self.vendor,
                message="refusing to send a request to another origin than the configured one",
                method=method,
                path=self.shown(path),
                kind=kind,
                key=key,
            )
        return path

    def shown(self, url: str, params: Mapping[str, Any] | None = None) -> str:
        """A URL as errors and logs show it: path and query, secrets masked."""
        parts = urlsplit(url)
        shown = parts.path + (f"?{parts.query}" if parts.query else "")
        if params:
            query = "&".join(f"{name}={value}" for name, value in params.items())
            shown += ("&" if parts.query else "?") + query
        return redact(shown)


def retry_after(response: requests.Response) -> float | None:
    """The seconds a `Retry-After` header asks for (a number or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return BoundedRetry().parse_retry_after(value)
    except InvalidHeader:
        return None


def _caused_by(error: BaseException, cause: type[BaseException]) -> bool:
    """Whether `cause` is anywhere in the chain requests and urllib3 wrap a failure in."""
    seen: set[int] = set()
    waiting: list[BaseException] = [error]
    while waiting:
        current = waiting.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, cause):
            return True
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
        waiting.extend(item for item in linked if isinstance(item, BaseException))
    return False


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _reason(error: Exception) -> str:
    """The innermost reason urllib3 gives, without the pool and URL it wraps it in."""
    text = str(error)
    caused = text.rfind("(Caused by ")
    return text[caused + len("(Caused by ") : -1] if caused >= 0 and text.endswith(")") else text
