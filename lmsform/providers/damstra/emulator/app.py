"""The emulator as a Flask app: routing, `AccessKey` authentication, one transaction per request, errors.

* Every path under `/api/v2` is served with and without a trailing slash (damstra.md Transport).
* The `AccessKey` header name is matched ignoring case, its value exactly (damstra.md A1); a missing or
  wrong key → 403 E806 (A2), in the terse E806S shape on the endpoints damstra.md Errors lists (A3). With
  `access_key=None` any non-empty value is accepted. The key is checked before anything else, so an
  unknown path or a wrong method with a bad key answers 403 too.
* Unknown paths → 404, known paths with another method → 405 (both with the A8 key set); paths with a
  non-numeric id (`/user/abc`) are unknown paths.
* Each request runs in one store transaction: an error rolls back everything it wrote.
* A crash inside the emulator answers 503 with the E500 body (A5).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import flask

from lmsform.providers.damstra.emulator.auth import ACCESS_KEY_HEADER, AccessKeyCheck
from lmsform.providers.damstra.emulator.bulk_import import BulkImportApi
from lmsform.providers.damstra.emulator.context import ApiArea, EmulatorContext, Operation
from lmsform.providers.damstra.emulator.errors import (
    ApiError,
    invalid_access_key,
    method_not_allowed,
    no_such_path,
    server_error,
)
from lmsform.providers.damstra.emulator.groups import GroupApi
from lmsform.providers.damstra.emulator.hooks import HookApi
from lmsform.providers.damstra.emulator.lessons import LessonApi
from lmsform.providers.damstra.emulator.memberships import MembershipApi
from lmsform.providers.damstra.emulator.options import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator.schedules import ScheduleApi
from lmsform.providers.damstra.emulator.sessions import SessionApi
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.damstra.emulator.users import UserApi
from lmsform.providers.emulation.flask_kit import (
    Handler,
    add_rule,
    answer_errors,
    keep_store,
    run_in_transaction,
    store_of,
    strip_trailing_slash,
)

API_PREFIX = "/api/v2"
HOOK_PREFIX = "/_emulator"
_DEFAULT_OPTIONS = DamstraEmulatorOptions()
_API_AREAS: Sequence[type[ApiArea]] = (
    UserApi,
    BulkImportApi,
    GroupApi,
    MembershipApi,
    LessonApi,
    ScheduleApi,
    SessionApi,
)


def _view(store: DamstraStore, operations: Mapping[str, Operation], keys: AccessKeyCheck | None) -> Handler:
    def view(**path_params: Any) -> flask.Response:
        operation = operations.get(flask.request.method)
        if keys is not None:
            keys.check(terse=operation is not None and operation.terse_auth_error)
        handler = None if operation is None else operation.handler
        return run_in_transaction(store, handler, _wrong_method, **path_params)

    return view


def _wrong_method() -> ApiError:
    return method_not_allowed(flask.request.method, flask.request.path)


def _unknown_path(keys: AccessKeyCheck) -> ApiError:
    request = flask.request
    if request.path.startswith(API_PREFIX + "/") and not keys.accepts(request.headers.get(ACCESS_KEY_HEADER)):
        return invalid_access_key(terse=False)
    return no_such_path(request.method, request.path)


def _register(app: flask.Flask, prefix: str, area: ApiArea, keys: AccessKeyCheck | None) -> None:
    for rule, operations in area.routes():
        add_rule(app, prefix + rule, _view(area.store, operations, keys))


def create_app(
    state_path: str | os.PathLike[str],
    *,
    access_key: str | None = None,
    options: DamstraEmulatorOptions = _DEFAULT_OPTIONS,
) -> flask.Flask:
    """The emulator as a WSGI app on the SQLite state at `state_path` (created, with its owner, if missing).

    `access_key=None` accepts any non-empty key. The store is reachable through `emulator_store(app)`,
    so whoever runs the app can close it.
    """
    options.check()
    store = DamstraStore(state_path)
    store.open_organisation(options.organisation, options.time_zone, options.owner_username)
    context = EmulatorContext(store, options)

    app = flask.Flask(__name__)
    keep_store(app, store)
    keys = AccessKeyCheck(access_key)
    for area_type in _API_AREAS:
        _register(app, API_PREFIX, area_type(context), keys)
    _register(app, HOOK_PREFIX, HookApi(context), None)
    answer_errors(
        app, unknown_path=partial(_unknown_path, keys), wrong_method=_wrong_method, crashed=server_error
    )
    app.wsgi_app = strip_trailing_slash(app.wsgi_app)  # type: ignore[method-assign]
    return app


def emulator_store(app: flask.Flask) -> DamstraStore:
    """The store behind an app made by `create_app`."""
    return store_of(app, DamstraStore)
