"""The one HTTP layer every provider uses: timeouts, retries, pagination and errors that say where.

Retries: urllib3's Retry re-sends idempotent requests (GET, PUT, PATCH, DELETE) that got a 429, a
5xx or no answer, with exponential backoff and jitter, honouring `Retry-After`. A POST is re-sent
only when the caller says the vendor makes it idempotent (Skilljar's enrollment create with an
explicit `enrolled_at`); other creates are made safe by reading before writing.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.util.retry import Retry

from lmsform import __version__
from lmsform.errors import ProviderError
from lmsform.secrets import redact

if TYPE_CHECKING:
    from lmsform.providers.base import ProviderSettings

log = logging.getLogger("lmsform.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
_MESSAGE_LIMIT = 300


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
            time.sleep(start - now)


class _PacedAdapter(HTTPAdapter):
    def __init__(self, pacer: Pacer | None, **kwargs: Any) -> None:
        self._pacer = pacer
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if self._pacer is not None:
            self._pacer.wait()
        return super().send(request, *args, **kwargs)


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
        rate_limit: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """`rate_limit`: most requests per second, shared by every thread (None: no pacing)."""
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._origin = urlsplit(self.base_url)
        common_headers = {
            "Accept": "application/json",
            "User-Agent": f"lmsform/{__version__}",
            **(headers or {}),
        }

        pacer = Pacer(rate_limit) if rate_limit else None

        def session(methods: frozenset[str]) -> requests.Session:
            retry = Retry(
                total=retries,
                connect=retries,
                read=retries,
                status=retries,
                other=0,
                allowed_methods=methods,
                status_forcelist=RETRY_STATUSES,
                backoff_factor=backoff,
                backoff_jitter=backoff / 2,
                respect_retry_after_header=True,
                raise_on_status=False,
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
        deduplicates.
        """
        url = self._url(path)
        started = time.monotonic()
        try:
            session = self._idempotent_post_session if idempotent else self._session
            response = session.request(method, url, params=params, json=json_body, timeout=self.timeout)
        except requests.RequestException as error:
            raise ProviderError(
                vendor=self.vendor,
                message=f"request failed: {type(error).__name__}: {redact(str(error))}",
                method=method,
                path=self._shown(url, params),
                kind=kind,
                key=key,
            ) from None
        if log.isEnabledFor(logging.INFO):
            elapsed_ms = (time.monotonic() - started) * 1000
            shown = self._shown(url, params)
            log.info("%s %s -> %s (%.0f ms)", method, shown, response.status_code, elapsed_ms)
        if response.status_code >= 400:
            raise ProviderError(
                vendor=self.vendor,
                message=vendor_message(response),
                status=response.status_code,
                method=method,
                path=self._shown(url, params),
                kind=kind,
                key=key,
            )
        return response

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
    ) -> Any:
        response = self.request(
            method, path, params=params, json_body=json_body, kind=kind, key=key, idempotent=idempotent
        )
        return self.decode(response, kind=kind, key=key)

    def decode(self, response: requests.Response, *, kind: str | None = None, key: str | None = None) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ProviderError(
                vendor=self.vendor,
                message=f"malformed response: expected JSON, got {_describe_body(response)}",
                status=response.status_code,
                method=response.request.method,
                path=self._shown(response.url, None),
                kind=kind,
                key=key,
            ) from None

    def paginate(
        self, path: str, *, params: Mapping[str, Any] | None = None, kind: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list, following `next` links until there are none.

        Accepts the three list shapes vendors use: a page envelope `{count, next, results}`, a
        cursor envelope `{next, results}`, and a bare JSON array (the whole list).
        """
        url: str | None = path
        query = params
        seen: set[str] = set()
        while url is not None:
            page_id = url + json.dumps(query, sort_keys=True, default=str)
            if page_id in seen:
                raise ProviderError(
                    vendor=self.vendor,
                    message="pagination loops: `next` points to a page already read",
                    path=self._shown(url, query),
                    kind=kind,
                )
            seen.add(page_id)
            body = self.json("GET", url, params=query, kind=kind)
            if isinstance(body, list):
                yield from body
                return
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise ProviderError(
                    vendor=self.vendor,
                    message="malformed list response: no `results` array",
                    path=self._shown(url, query),
                    kind=kind,
                )
            yield from body["results"]
            url = self._follow(body.get("next"), kind=kind)
            query = None  # `next` carries the query of the following page

    def paginate_offset(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        size: int = 100,
        start_param: str = "startIndex",
        size_param: str = "maxResults",
        kind: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of an offset-paged list (`{results, meta: {totalResultCount}}`).

        Advances by the number of items actually received (a server may clamp the page size);
        stops at an empty page, at `meta.totalResultCount`, or, without `meta`, at a short page.
        """
        start = 0
        while True:
            query = {**(params or {}), start_param: start, size_param: size}
            body = self.json("GET", path, params=query, kind=kind)
            results = body.get("results") if isinstance(body, dict) else None
            if not isinstance(results, list):
                raise ProviderError(
                    vendor=self.vendor,
                    message="malformed list response: no `results` array",
                    path=self._shown(self._url(path), query),
                    kind=kind,
                )
            yield from results
            start += len(results)
            meta = body.get("meta")
            total = meta.get("totalResultCount") if isinstance(meta, dict) else None
            if (
                not results
                or (isinstance(total, int) and start >= total)
                or (total is None and len(results) < size)
            ):
                return

    def _follow(self, next_url: Any, *, kind: str | None) -> str | None:
        if next_url in (None, ""):
            return None
        parts = urlsplit(str(next_url))
        if parts.netloc != self._origin.netloc:
            raise ProviderError(
                vendor=self.vendor,
                message=f"refusing to follow a `next` link to another host ({parts.netloc})",
                kind=kind,
            )
        # Behind a proxy a vendor may build `next` with http://; keep the scheme we were given.
        return urlunsplit((self._origin.scheme, *parts[1:]))

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    def _shown(self, url: str, params: Mapping[str, Any] | None) -> str:
        parts = urlsplit(url)
        shown = parts.path + (f"?{parts.query}" if parts.query else "")
        if params:
            query = "&".join(f"{name}={value}" for name, value in params.items())
            shown += ("&" if parts.query else "?") + query
        return redact(shown)


def vendor_message(response: requests.Response) -> str:
    """The vendor's own explanation of an error, in one line."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.reason or 'error'}: {_describe_body(response)}"
    return redact(_flatten(body))[:_MESSAGE_LIMIT]


def _flatten(body: Any) -> str:
    if isinstance(body, dict):
        if set(body) == {"detail"}:
            return str(body["detail"])
        return "; ".join(f"{field}: {_flatten(value)}" for field, value in body.items())
    if isinstance(body, list):
        return " ".join(_flatten(item) for item in body)
    return str(body)


def _describe_body(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "no content type")
    text = " ".join(response.text.split())[:120]
    return f"{content_type} body {text!r}" if text else f"{content_type}, empty body"
