"""The Flask pieces every vendor's emulator app is made of.

An emulator is a Flask app over one SQLite store. Its API is split into areas (`ApiArea`), each a few
related resources with one handler method per operation; the vendor's `app` module registers every
area's routes (`add_rule`) with a view of its own, which checks credentials as the vendor does and runs
the handler in one store transaction (`run_in_transaction`), so that a request failing half-way leaves
nothing behind. What differs between vendors (credentials, error shapes, paging) stays in the vendor's
emulator; what does not is here: the error type and its JSON answer, the answers to unknown paths,
wrong methods and crashes (in the vendor's words), the context areas share, JSON bodies and their
fields, the store kept on the app, trailing slashes, request counts per route.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import flask
from werkzeug.exceptions import InternalServerError, MethodNotAllowed, NotFound

Handler = Callable[..., flask.Response]
"""A route's handler for one method, called with the path parameters by name."""

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""Every rule takes every method, so that the view (not Flask) answers a wrong one, in the vendor's words."""

_STORE_EXTENSION = "lmsform_emulator_store"


class Transactional(Protocol):
    def transaction(self) -> AbstractContextManager[None]: ...


StoreT = TypeVar("StoreT")
OptionsT = TypeVar("OptionsT")
RouteT = TypeVar("RouteT")


class ApiError(Exception):
    """An HTTP error answered with a JSON body (and perhaps extra headers); the vendor's `errors`
    module builds each one in the vendor's words."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class EmulatorContext(Generic[StoreT, OptionsT]):
    """What every area of one emulator shares; a vendor's subclass adds what it keeps in memory
    (request counts, faults, background jobs)."""

    store: StoreT
    options: OptionsT


class ApiArea(ABC, Generic[StoreT, OptionsT, RouteT]):
    """A few related resources: one handler method per operation, each run inside one store transaction.

    `routes()` lists URL rules (relative to where the vendor mounts its API) with what serves each
    method; `RouteT` is the vendor's (a rule with a handler, or with an operation carrying the
    vendor's rules, per method)."""

    def __init__(self, context: EmulatorContext[StoreT, OptionsT]) -> None:
        self.store = context.store
        self.options = context.options

    @abstractmethod
    def routes(self) -> Sequence[RouteT]: ...


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


def answer_errors(
    app: flask.Flask,
    *,
    unknown_path: Callable[[], ApiError],
    wrong_method: Callable[[], ApiError],
    crashed: Callable[[], ApiError],
) -> None:
    """Answer every `ApiError` as JSON, and Flask's own 404, 405 and 500 with the vendor's errors."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> flask.Response:
        return json_response(error.body, error.status, error.headers)

    @app.errorhandler(NotFound)
    def not_found(_: NotFound) -> flask.Response:
        return api_error(unknown_path())

    @app.errorhandler(MethodNotAllowed)
    def method_not_allowed(_: MethodNotAllowed) -> flask.Response:
        return api_error(wrong_method())

    @app.errorhandler(InternalServerError)
    def crash(_: InternalServerError) -> flask.Response:
        return api_error(crashed())


def json_object(
    raw: bytes, malformed: Callable[[ValueError], Exception], not_an_object: Callable[[Any], Exception]
) -> dict[str, Any]:
    """`raw` decoded as a JSON object; `malformed(error)` or `not_an_object(value)` is raised otherwise."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise malformed(error) from None
    if not isinstance(data, dict):
        raise not_an_object(data)
    return data


def request_object(
    malformed: Callable[[ValueError], Exception], not_an_object: Callable[[Any], Exception]
) -> dict[str, Any]:
    """The request's body as a JSON object whatever its content type (see `json_object`); empty is `{}`."""
    raw = flask.request.get_data(cache=True)
    if not raw.strip():
        return {}
    return json_object(raw, malformed, not_an_object)


class JsonFields:
    """Typed access to a JSON object's fields: `None` from a getter means "not sent"; a field of another
    type is refused with `refuse(message)`, the vendor's 400. `where` prefixes the names in messages."""

    def __init__(
        self, data: Mapping[str, Any], refuse: Callable[[str], Exception], *, where: str = ""
    ) -> None:
        self._data = data
        self._refuse = refuse
        self._where = where

    def has(self, name: str) -> bool:
        return name in self._data

    def raw(self, name: str) -> Any:
        return self._data.get(name)

    def label(self, name: str) -> str:
        return f"{self._where}{name}"

    def refused(self, name: str, problem: str) -> Exception:
        """The vendor's 400 for field `name`, e.g. `refused("email", "is required")`."""
        return self._refuse(f"{self.label(name)} {problem}")

    def typed(self, name: str, accepts: Callable[[Any], bool], wanted: str) -> Any:
        """The field's value as sent (None when not sent); "… must be `wanted`" unless `accepts` it."""
        if name not in self._data:
            return None
        value = self._data[name]
        if not accepts(value):
            raise self.refused(name, f"must be {wanted}")
        return value

    def text(self, name: str) -> str | None:
        text: str | None = self.typed(name, _is_str, "a string")
        return text

    def boolean(self, name: str) -> bool | None:
        flag: bool | None = self.typed(name, _is_bool, "true or false")
        return flag


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


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
