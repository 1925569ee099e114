"""The emulator as a Flask app: routing, authentication, one transaction per request, DRF-shaped errors."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import partial

import flask
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import BaseConverter

from lmsform.providers.emulation.flask_kit import (
    HTTP_METHODS,
    Handler,
    add_rule,
    answer_errors,
    json_response,
    keep_store,
    run_in_transaction,
    store_of,
    strip_trailing_slash,
)
from lmsform.providers.skilljar.emulator.auth import Authenticator
from lmsform.providers.skilljar.emulator.catalogue_rules import CatalogueRuleApi
from lmsform.providers.skilljar.emulator.context import ApiArea, EmulatorContext
from lmsform.providers.skilljar.emulator.courses import CourseApi
from lmsform.providers.skilljar.emulator.enrollments import EnrollmentApi
from lmsform.providers.skilljar.emulator.errors import ApiError, not_found
from lmsform.providers.skilljar.emulator.group_rules import GroupRuleApi
from lmsform.providers.skilljar.emulator.hooks import HookApi
from lmsform.providers.skilljar.emulator.ilt import IltApi
from lmsform.providers.skilljar.emulator.jobs import BackgroundJobs
from lmsform.providers.skilljar.emulator.managers import ManagerAccessApi
from lmsform.providers.skilljar.emulator.options import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator.paths import PathApi
from lmsform.providers.skilljar.emulator.people import PeopleApi
from lmsform.providers.skilljar.emulator.publications import PublicationApi
from lmsform.providers.skilljar.emulator.store import SkilljarStore
from lmsform.providers.skilljar.emulator.webhooks import WebhookApi

_DEFAULT_OPTIONS = SkilljarEmulatorOptions()
_API_AREAS: Sequence[type[ApiArea]] = (
    PeopleApi,
    CourseApi,
    PublicationApi,
    CatalogueRuleApi,
    PathApi,
    EnrollmentApi,
    WebhookApi,
    ManagerAccessApi,
    GroupRuleApi,
    IltApi,
)


class _DomainNameConverter(BaseConverter):
    regex = r"[-:.0-9a-z]+"


class _ObjectIdConverter(BaseConverter):
    regex = r"[0-9a-z]+"


def _method_not_allowed(method: str, allowed: Sequence[str]) -> ApiError:
    return ApiError(405, {"detail": f'Method "{method}" not allowed.'}, {"Allow": ", ".join(allowed)})


def _view(
    store: SkilljarStore, handlers: Mapping[str, Handler], authenticator: Authenticator | None
) -> Handler:
    allowed = [*handlers, *(["HEAD"] if "GET" in handlers else [])]

    def view(**path_params: str) -> flask.Response:
        # As in DRF: credentials are checked before the method.
        if authenticator is not None:
            authenticator.check(flask.request.headers.get("Authorization"))
        method = "GET" if flask.request.method == "HEAD" else flask.request.method
        wrong_method = partial(_method_not_allowed, flask.request.method, allowed)
        return run_in_transaction(store, handlers.get(method), wrong_method, **path_params)

    return view


def _register(app: flask.Flask, area: ApiArea, authenticator: Authenticator | None) -> None:
    for rule, handlers in area.routes():
        add_rule(app, rule, _view(area.store, handlers, authenticator))


def _answer_errors(app: flask.Flask) -> None:
    answer_errors(app, unknown_path=not_found, wrong_method=_unrouted_method, crashed=_crashed)

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> flask.Response:
        return json_response({"detail": error.description}, error.code or 500)


def _unrouted_method() -> ApiError:
    """A method no rule takes (every rule takes all of `HTTP_METHODS`)."""
    return _method_not_allowed(flask.request.method, HTTP_METHODS)


def _crashed() -> ApiError:
    return ApiError(500, {"detail": InternalServerError.description})


def create_app(
    state_path: str | os.PathLike[str],
    *,
    api_key: str | None = None,
    options: SkilljarEmulatorOptions = _DEFAULT_OPTIONS,
) -> flask.Flask:
    """The emulator as a WSGI app on the SQLite state at `state_path` (created if missing).

    `api_key=None` accepts any non-empty key. The store is reachable through `emulator_store(app)`,
    so whoever runs the app can close it.
    """
    options.check()
    store = SkilljarStore(state_path)
    for domain_name in options.domains:
        store.ensure_domain(domain_name)
    context = EmulatorContext(store, options, BackgroundJobs(store))

    app = flask.Flask(__name__)
    app.url_map.converters["domain"] = _DomainNameConverter
    app.url_map.converters["oid"] = _ObjectIdConverter
    keep_store(app, store)
    authenticator = Authenticator(api_key)
    for area_type in _API_AREAS:
        _register(app, area_type(context), authenticator)
    _register(app, HookApi(context), None)
    _answer_errors(app)
    if options.accept_trailing_slash:
        app.wsgi_app = strip_trailing_slash(app.wsgi_app)  # type: ignore[method-assign]
    return app


def emulator_store(app: flask.Flask) -> SkilljarStore:
    """The store behind an app made by `create_app`."""
    return store_of(app, SkilljarStore)
