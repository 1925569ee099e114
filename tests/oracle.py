"""Validate what went over the wire against the vendor's own API spec (tests/oracles/)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest

from lmsform.providers.emulator import RecordedRequest

ORACLES = Path(__file__).parent / "oracles"


@cache
def skilljar_spec() -> OpenAPI:
    with (ORACLES / "skilljar-v1-openapi.yml").open(encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    # The spec has two known defects (manual_course_time: default '' with minLength 1), so it is
    # used without validating the spec document itself.
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def request_errors(spec: OpenAPI, recorded: Iterable[RecordedRequest]) -> list[str]:
    """One line per request that does not validate against the spec."""
    problems = []
    for request in recorded:
        prepared = requests.Request(
            request.method,
            f"http://127.0.0.1{request.url_path}",
            headers=request.headers,
            data=request.body or None,
        ).prepare()
        result = spec.unmarshal_request(RequestsOpenAPIRequest(prepared))
        if result.errors:
            details = "; ".join(
                f"{error!r} {getattr(error, '__cause__', '') or ''}" for error in result.errors
            )
            problems.append(f"{request.method} {request.url_path}: {details}")
    return problems
