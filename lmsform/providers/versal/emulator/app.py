"""The emulator as a Flask app: routing, the `SID` check, faults, one transaction per request, errors.

* The API is served under `/api2` (the spec's `basePath`), over plain HTTP (versal.md Transport); test
  hooks under `/_emulator` need no `SID`.
* Each API request is counted, then may be answered by an injected fault (`context`), then is authenticated
  (`auth`), then runs in one store transaction: an error rolls back everything it wrote.
* Unknown paths answer 404 and known paths with another method 405, both as `Error_View_Model`; a
  crash inside the emulator answers 500 the same way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import flask

from lmsform.providers.emulation.faults import RETRY_LATER_STATUSES, RetryLaterFaults
from lmsform.providers.emulation.flask_kit import (
    Handler,
    RouteCounts,
    add_rule,
    answer_errors,
    keep_store,
    run_in_transaction,
    store_of,
)
from lmsform.providers.versal.emulator.auth import SID_HEADER, Authenticator, KeyCheck
from lmsform.providers.versal.emulator.context import ApiArea, EmulatorContext, Operation
from lmsform.providers.versal.emulator.courses import CourseApi
from lmsform.providers.versal.emulator.errors import ApiError, method_not_allowed, no_such_path, server_error
from lmsform.providers.versal.emulator.gadgets import GadgetApi
from lmsform.providers.versal.emulator.hooks import HookApi
from lmsform.providers.versal.emulator.learners import LearnerApi
from lmsform.providers.versal.emulator.options import VersalEmulatorOptions
from lmsform.providers.versal.emulator.org_users import OrgUserApi
from lmsform.providers.versal.emulator.sessions import SessionApi
from lmsform.providers.versal.emulator.store import VersalStore

API_PREFIX = "/api2"
HOOK_PREFIX = "/_emulator"
_DEFAULT_OPTIONS = VersalEmulatorOptions()
_API_AREAS: Sequence[type[ApiArea]] = (SessionApi, OrgUserApi, CourseApi, LearnerApi, GadgetApi)
_SPEC_NAMES = {
    "org_ref": "orgId",
    "user_ref": "userId",
    "course_ref": "courseId",
    "lesson_ref": "lessonId",
    "gadget_ref": "gadgetId",
}


def spec_template(rule: str) -> str:
    """A Flask rule as the spec writes the path: `/orgs/<org_ref>/members` → `/orgs/{orgId}/members`."""
    return re.sub(r"<(\w+)>", lambda match: "{" + _SPEC_NAMES[match.group(1)] + "}", rule)


def _api_view(
    context: EmulatorContext, auth: Authenticator, rule: str, operations: Mapping[str, Operation]
) -> Handler:
    route = spec_template(rule)

    def view(**path_params: Any) -> flask.Response:
        request = flask.request
        context.counts.count(f"{request.method} {route}")
        refusal = context.faults.take(request.method, request.path)
        if refusal is not None:
            raise ApiError(refusal.status, RETRY_LATER_STATUSES[refusal.status], refusal.headers)
        operation = operations.get(request.method)
        if operation is None:
            raise method_not_allowed(request.method, request.path)
        with context.store.transaction():
            caller = auth.authorise(request.headers.get(SID_HEADER), operation.rights)
            return operation.handler(caller, **path_params)

    return view


def _hook_view(store: VersalStore, operations: Mapping[str, Operation]) -> Handler:
    def view(**path_params: Any) -> flask.Response:
        operation = operations.get(flask.request.method)
        handler = None if operation is None else operation.handler
        return run_in_transaction(store, handler, _wrong_method, **path_params)

    return view


def _wrong_method() -> ApiError:
    return method_not_allowed(flask.request.method, flask.request.path)


def _unknown_path() -> ApiError:
    return no_such_path(flask.request.method, flask.request.path)


def create_app(
    state_path: str | os.PathLike[str],
    *,
    api_key: str | None = None,
    options: VersalEmulatorOptions = _DEFAULT_OPTIONS,
) -> flask.Flask:
    """The emulator as a WSGI app on the SQLite state at `state_path` (created if missing).

    `api_key` is the primary org's key; `None` accepts any non-empty `SID` that is not a session id
    or a seeded org's key. The store is reachable through `emulator_store(app)`, so whoever runs the
    app can close it.
    """
    options.check()
    store = VersalStore(state_path)
    store.open_primary_org(options.org_id, options.org_name)
    context = EmulatorContext(store, options, RetryLaterFaults(), RouteCounts())
    auth = Authenticator(store, KeyCheck(api_key), options.session_days)

    app = flask.Flask(__name__)
    keep_store(app, store)
    for area_type in _API_AREAS:
        for rule, operations in area_type(context).routes():
            add_rule(app, API_PREFIX + rule, _api_view(context, auth, rule, operations))
    for rule, operations in HookApi(context).routes():
        add_rule(app, HOOK_PREFIX + rule, _hook_view(store, operations))
    answer_errors(app, unknown_path=_unknown_path, wrong_method=_wrong_method, crashed=server_error)
    return app


def emulator_store(app: flask.Flask) -> VersalStore:
    """The store behind an app made by `create_app`."""
    return store_of(app, VersalStore)
