"""The emulator as a Flask app: routing, counting, Basic auth, one transaction per request, errors.

* The API is mounted under the `prefix` option (default: the root). Each path answers with or without
  its trailing slash, never with a redirect; doubled slashes are not merged (404).
* An API request is counted (`context`), then authenticated (`auth`), then checked for its method, then
  handled, all in one store transaction: an error rolls back everything it wrote. Authentication comes
  first, as in DRF: without credentials even a wrong method or an unknown record answers 401.
* `HEAD` is `GET` without a body. `OPTIONS` answers 200 with DRF's metadata (`name`, `description`,
  `renders`, `parses`). Any other method a route does not serve answers 405. Every answer of a
  record path carries `Allow` with the methods of that path, as DRF's do.
* Unknown paths answer 404 `{"detail": "Not found."}`; a crash inside the emulator answers 500
  `{"detail": "A server error occurred."}` (and its transaction is rolled back).
* Test hooks live under `/_emulator` (`hooks`), need no credentials and are not counted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import flask

from lmsform.providers.emulation.flask_kit import (
    Handler,
    RouteCounts,
    add_rule,
    answer_errors,
    json_response,
    keep_store,
    run_in_transaction,
    store_of,
)
from lmsform.providers.training_records.emulator.auth import BasicAuth
from lmsform.providers.training_records.emulator.context import EmulatorContext, Route
from lmsform.providers.training_records.emulator.errors import (
    ApiError,
    method_not_allowed,
    not_found,
    server_error,
)
from lmsform.providers.training_records.emulator.hooks import HookApi
from lmsform.providers.training_records.emulator.options import HOOK_ROOT, TrainingRecordsEmulatorOptions
from lmsform.providers.training_records.emulator.records import RecordApi
from lmsform.providers.training_records.emulator.requests_in import JSON
from lmsform.providers.training_records.emulator.store import TrainingRecordsStore

_ALLOW = "lmsform_allow"


def _allowed(operations: Mapping[str, Handler]) -> list[str]:
    methods = list(operations)
    if "GET" in methods:
        methods.append("HEAD")
    return [*methods, "OPTIONS"]


def _api_view(context: EmulatorContext, auth: BasicAuth, route: Route) -> Handler:
    allowed = _allowed(route.operations)

    def options(**_: str) -> flask.Response:
        return json_response({"name": route.name, "description": "", "renders": [JSON], "parses": [JSON]})

    operations = {**route.operations, "OPTIONS": options}
    if "GET" in operations:
        operations["HEAD"] = operations["GET"]

    def view(**path_params: str) -> flask.Response:
        request = flask.request
        flask.g.setdefault(_ALLOW, ", ".join(allowed))
        context.counts.count(f"{request.method} {route.template}")
        with context.store.transaction():
            auth.check(request.headers.get("Authorization"))
            operation = operations.get(request.method)
            if operation is None:
                raise method_not_allowed(request.method)
            return operation(**path_params)

    return view


def _hook_view(store: TrainingRecordsStore, route: Route) -> Handler:
    def view() -> flask.Response:
        return run_in_transaction(store, route.operations.get(flask.request.method), _wrong_method)

    return view


def _wrong_method() -> ApiError:
    return method_not_allowed(flask.request.method)


def _add_rule(app: flask.Flask, path: str, view: Handler) -> None:
    """Serve `path`, and the same without its trailing slash (two exact rules, so neither redirects and
    `…/record//` matches neither)."""
    for rule in dict.fromkeys((path, path.rstrip("/"))):
        add_rule(app, rule, view, endpoint=path)


def _answer_allow(app: flask.Flask) -> None:
    @app.after_request
    def allow_header(response: flask.Response) -> flask.Response:
        allowed = flask.g.get(_ALLOW)
        if allowed is not None:
            response.headers["Allow"] = allowed
        return response


def create_app(
    state_path: str | os.PathLike[str],
    *,
    api_key: str | None,
    options: TrainingRecordsEmulatorOptions | None = None,
) -> flask.Flask:
    """The emulator as a WSGI app on the SQLite state at `state_path` (created if missing).

    Callers authenticate as `options.username` with `api_key`; `None` accepts any non-empty username
    and key. The store is reachable through `emulator_store(app)`, so whoever runs the app can seed it
    in-process and close it.
    """
    options = options or TrainingRecordsEmulatorOptions()
    options.check()
    store = TrainingRecordsStore(state_path)
    context = EmulatorContext(store, options, RouteCounts())
    auth = BasicAuth(options.username, api_key)

    app = flask.Flask(__name__)
    app.url_map.merge_slashes = False
    keep_store(app, store)
    for route in RecordApi(context).routes():
        _add_rule(app, options.mount + route.rule, _api_view(context, auth, route))
    for route in HookApi(context).routes():
        _add_rule(app, HOOK_ROOT + route.rule, _hook_view(store, route))
    answer_errors(app, unknown_path=not_found, wrong_method=_wrong_method, crashed=server_error)
    _answer_allow(app)
    return app


def emulator_store(app: flask.Flask) -> TrainingRecordsStore:
    """The store behind an app made by `create_app`."""
    return store_of(app, TrainingRecordsStore)
