"""Validate Versal exchanges against Versal's own Swagger 2.0 spec (tests/oracles/versal-swagger.json).

openapi-core reads only OpenAPI 3, so Swagger 2.0 is checked with bravado-core, a Swagger 2.0
validator. The spec's known defects (versal.md Spec) are worked around here, in one place:

* no global `consumes`/`produces`: three body-bearing operations declare none, so the overlay adds
  `application/json` globally (what the vendor's own example requests send);
* `GET /courses/{courseId}/userdata` declares one `Learner_Progress_View_Model` although it answers
  a page of them: its 200 schema becomes an array of that model;
* the spec has no `required` lists: nothing is added, so requests are checked as the spec says.

Everything else, including `Batch_Delete_Members_Input_Model.users` typed `string`, is as published.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bravado_core.exception import SwaggerMappingError
from bravado_core.operation import Operation
from bravado_core.request import IncomingRequest, unmarshal_request
from bravado_core.response import OutgoingResponse, validate_response_body
from bravado_core.spec import Spec
from bravado_core.validate import validate_schema_object
from jsonschema import validators
from jsonschema.exceptions import ValidationError
from requests.structures import CaseInsensitiveDict

from lmsform.providers.emulation.server import RecordedRequest

SPEC_PATH = Path(__file__).parent / "oracles" / "versal-swagger.json"
JSON = "application/json"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def versal_document() -> dict[str, Any]:
    """The published document with the overlay the module docstring lists."""
    document: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    document["consumes"] = [JSON]
    document["produces"] = [JSON]
    userdata = document["paths"]["/courses/{courseId}/userdata"]["get"]["responses"]["200"]
    userdata["schema"] = {"type": "array", "items": copy.deepcopy(userdata["schema"])}
    return document


@cache
def versal_spec() -> Spec:
    """The spec, loaded offline. bravado-core resolves every meta-schema jsonschema has registered
    while it loads a spec; openapi-core, once imported, registers OAS 3.1/3.2 dialects whose `$ref`s
    point at spec.openapis.org. Those are hidden (jsonschema's private registry) for the load only."""
    known = validators._META_SCHEMAS  # type: ignore[attr-defined]  # private, so not in the stubs
    hidden = {uri: schema for uri, schema in known.items() if "//json-schema.org/" not in uri}
    for uri in hidden:
        del known[uri]
    try:
        return _load_spec()
    finally:
        known.update(hidden)


def _load_spec() -> Spec:
    # bravado-core ships py.typed, but from_dict, unmarshal_request and validate_response_body
    # are unannotated.
    spec: Spec = Spec.from_dict(  # type: ignore[no-untyped-call]
        versal_document(),
        origin_url=SPEC_PATH.as_uri(),
        config={
            "validate_requests": True,
            "validate_responses": True,
            "validate_swagger_spec": True,
            "use_models": False,
        },
    )
    return spec


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    operation: Operation


@cache
def _routes() -> tuple[_Route, ...]:
    spec = versal_spec()
    base = spec.spec_dict.get("basePath", "")
    assert spec.resources is not None, "Spec.from_dict builds the resources"
    routes = []
    for resource in spec.resources.values():
        for operation in resource.operations.values():
            template = re.escape(base + operation.path_name)
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", template)
            routes.append(_Route(operation.http_method.upper(), re.compile(pattern), operation))
    return tuple(routes)


def operation_for(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for route in _routes():
        matched = route.pattern.fullmatch(path)
        if route.method == method.upper() and matched:
            return route.operation, matched.groupdict()
    return None


class _Incoming(IncomingRequest):
    def __init__(self, exchange: RecordedRequest, path_params: Mapping[str, str]) -> None:
        self.path = dict(path_params)
        self.query = {name: values[-1] for name, values in parse_qs(exchange.query_string).items()}
        self.headers = CaseInsensitiveDict(exchange.headers)
        self.form: dict[str, Any] = {}
        self.files: dict[str, Any] = {}
        self._body = exchange.body

    def json(self, **kwargs: Any) -> Any:
        return json.loads(self._body)


class _Outgoing(OutgoingResponse):
    def __init__(self, exchange: RecordedRequest) -> None:
        headers = {name.lower(): value for name, value in exchange.response_headers.items()}
        self.content_type = headers.get("content-type", "").split(";")[0].strip()
        self.text = exchange.response_body.decode("utf-8")
        self.raw_bytes = exchange.response_body
        self.headers = headers

    def json(self, **kwargs: Any) -> Any:
        return json.loads(self.text)


def request_errors(exchange: RecordedRequest) -> list[str]:
    """What is wrong with one request by the spec: unknown operation, parameters, body, content type."""
    found = operation_for(exchange.method, exchange.path)
    if found is None:
        return ["no such operation in the spec"]
    operation, path_params = found
    problems = []
    content_type = exchange.headers.get("Content-Type", "").split(";")[0].strip()
    if exchange.method in _BODY_METHODS and content_type not in operation.consumes:
        problems.append(f"content type {content_type!r} is not one of {operation.consumes}")
    try:
        unmarshal_request(_Incoming(exchange, path_params), operation)  # type: ignore[no-untyped-call]
    except (ValidationError, SwaggerMappingError, ValueError) as error:
        problems.append(str(error).splitlines()[0])
    body_schema = next(
        (param.get("schema") for param in operation.op_spec.get("parameters", []) if param["in"] == "body"),
        None,
    )
    if body_schema is not None and exchange.body:
        problems += _undeclared_properties(operation.swagger_spec, body_schema, json.loads(exchange.body), "")
    return problems


def _undeclared_properties(spec: Spec, schema: Mapping[str, Any], value: Any, where: str) -> list[str]:
    """Body keys the model does not declare. Swagger allows them (no `additionalProperties: false`),
    but a key the vendor does not know is silently dropped: a typo lmsform must not make."""
    schema = spec.deref(schema)
    properties = schema.get("properties")
    if not isinstance(value, dict) or not properties:
        return []
    problems = [f"{where}{name} is not a property of the model" for name in value if name not in properties]
    for name, item in value.items():
        if name in properties:
            problems += _undeclared_properties(spec, properties[name], item, f"{where}{name}.")
    return problems


def response_errors(exchange: RecordedRequest) -> list[str]:
    """What is wrong with one successful response by the spec (status, headers, body)."""
    found = operation_for(exchange.method, exchange.path)
    if found is None:
        return ["no such operation in the spec"]
    operation, _ = found
    if str(exchange.status) not in operation.op_spec["responses"]:
        return [f"status {exchange.status} is not declared"]
    declared = operation.op_spec["responses"][str(exchange.status)]
    try:
        validate_response_body(operation, declared, _Outgoing(exchange))  # type: ignore[no-untyped-call]
    except (ValidationError, SwaggerMappingError, ValueError) as error:
        return [str(error).splitlines()[0]]
    return _header_errors(operation, declared, CaseInsensitiveDict(exchange.response_headers))


def _header_errors(operation: Operation, declared: Mapping[str, Any], sent: Mapping[str, str]) -> list[str]:
    """Declared response headers that were sent must have the declared type. HTTP header values are
    text and names ignore case, which bravado-core's own header check does not allow for."""
    problems = []
    for name, schema in (declared.get("headers") or {}).items():
        if name not in sent:
            continue
        text = sent[name]
        value: Any = text
        if schema.get("type") == "integer":
            value = int(text) if re.fullmatch(r"-?\d+", text) else text
        try:
            validate_schema_object(operation.swagger_spec, schema, value)
        except ValidationError as error:
            problems.append(f"header {name}: {error.message}")
    return problems


def exchange_errors(recorded: Iterable[RecordedRequest], *, responses: bool = True) -> list[str]:
    """One line per request (and, with `responses`, per 2xx response) that the spec rejects."""
    problems = []
    for exchange in recorded:
        if exchange.path.startswith("/_emulator"):
            continue
        where = f"{exchange.method} {exchange.url_path}"
        problems += [f"request {where}: {problem}" for problem in request_errors(exchange)]
        if responses and 200 <= exchange.status < 300 and not exchange.dropped:
            problems += [f"response {exchange.status} to {where}: {p}" for p in response_errors(exchange)]
    return problems
