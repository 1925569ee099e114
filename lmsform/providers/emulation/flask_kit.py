"""The Flask pieces every vendor's emulator app is made of.

An emulator is a Flask app over one SQLite store. Its API is split into areas (`ApiArea`), each a few
related resources with one handler method per operation; the vendor's `app` module registers every
area's routes (`add_rule`) with a view of its own, which checks credentials as the vendor does and runs
the handler in one store transaction (`run_in_transaction`), so that a request failing half-way leaves
nothing behind. What differs between vendors (credentials, error shapes, paging) stays in the vendor's
emulator; what does not is here: JSON answers, the store kept on the app, trailing slashes, request
counts per route.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar

import flask

Handler = Callable[..., flask.Response]
"""A route's handler for one method, called with the path parameters by name."""

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""Every rule takes every method, so that the view (not Flask) answers a wrong one, in the vendor's words."""

_STORE_EXTENSION = "lmsform_emulator_store"


class Transactional(Protocol):
    def transaction(self) -> AbstractContextManager[None]: ...


StoreT = TypeVar("StoreT")
OptionsT = TypeVar("OptionsT")


class ApiArea(ABC, Generic[StoreT, OptionsT]):
    """A few related resources: one handler method per operation, each run inside one store transaction.

    `routes()` lists URL rules (relative to where the vendor mounts its API) with what serves each
    method; its exact type is the vendor's (rules with a handler, or with an operation carrying the
    vendor's rules, per method)."""

    def __init__(self, store: StoreT, options: OptionsT) -> None:
        self.store = store
        self.options = options

    @abstractmethod
    def routes(self) -> Sequence[Any]: ...


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> flask.Response:
    response = flask.Response(json.dumps(body), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response


def empty_response(status: int = 204) -> flask.Response:
    """An answer without a body, and without a `Content-Type`."""
    response = flask.Response(b"", status=status)
    del response.headers["Content-Type"]
    return response


def run_in_transaction(
    store: Transactional, handler: Handler | None, wrong_method: Callable[[], Exception], **path_params: Any
) -> flask.Response:
    """`handler`'s answer, in one store transaction; `wrong_method()` is raised when there is none."""
    if handler is None:
        raise wrong_method()
    with store.transaction():
        return handler(**path_params)


def add_rule(app: flask.Flask, rule: str, view: Handler, *, endpoint: str | None = None) -> None:
    """Serve `rule` with `view` for every method (the view answers those it does not serve)."""
    app.add_url_rule(
        rule,
        endpoint=endpoint or rule,
        view_func=view,
        methods=list(HTTP_METHODS),
        provide_automatic_options=False,
    )


def strip_trailing_slash(wsgi_app: Any) -> Any:
    """The app seeing `/users/` as `/users` (the root stays `/`)."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if len(path) > 1 and path.endswith("/"):
            environ = {**environ, "PATH_INFO": path.rstrip("/") or "/"}
        return wsgi_app(environ, start_response)

    return app


def keep_store(app: flask.Flask, store: object) -> None:
    """Keep `store` on `app`, for `store_of` (whoever runs the app closes it, or seeds it in-process)."""
    app.extensions[_STORE_EXTENSION] = store


def store_of(app: flask.Flask, store_type: type[StoreT]) -> StoreT:
    """The store `keep_store` put on `app`."""
    store = app.extensions[_STORE_EXTENSION]
    assert isinstance(store, store_type)
    return store


class RouteCounts:
    """Requests per route, behind an emulator's `GET /_emulator/requests`; kept in memory (thread-safe).

    Keys are `"<METHOD> <path as the vendor's reference writes it>"`, e.g. `"GET /courses/{courseId}"`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, route: str) -> None:
        with self._lock:
            self._counts[route] += 1

    def as_json(self) -> dict[str, Any]:
        """`{"total": n, "routes": {route: n, …}}`, routes in order."""
        with self._lock:
            return {"total": sum(self._counts.values()), "routes": dict(sorted(self._counts.items()))}

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
