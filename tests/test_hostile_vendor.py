"""A hostile vendor: hangs, unbounded `Retry-After`, endless retries, and malformed answers of every kind.

Each ends in a clear error naming the vendor, the endpoint and what was wrong, after a bounded time,
with nothing further written. The transport cases run the shared HTTP layer against a scripted server
with short timeouts; the malformed answers run `plan` and `apply` against every vendor's emulator.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import flask
import pytest

from lmsform.errors import ProviderError
from lmsform.providers.emulator import EmulatorServer
from lmsform.providers.emulator_faults import Faults
from lmsform.providers.http import HttpClient

# --- the transport: hangs, Retry-After, bounded retries ---------------------------------------------------


@pytest.fixture
def scripted() -> flask.Flask:
    app = flask.Flask("scripted")
    calls: dict[str, int] = {}

    @app.route("/items", methods=["GET", "POST"])
    def items() -> flask.Response:
        return flask.jsonify([{"id": 1}])

    @app.get("/in-an-hour")
    def in_an_hour() -> flask.Response:
        headers = {"Retry-After": flask.request.args.get("after", "3600")}
        return flask.Response('{"detail": "Come back later."}', 429, headers, content_type="application/json")

    @app.get("/down")
    def down() -> flask.Response:
        return flask.Response('{"detail": "Service unavailable"}', 503, content_type="application/json")

    @app.get("/soon")
    def soon() -> flask.Response:
        calls["soon"] = calls.get("soon", 0) + 1
        if calls["soon"] == 1:
            return flask.Response(
                '{"detail": "Busy"}', 503, {"Retry-After": "soon"}, content_type="application/json"
            )
        return flask.jsonify([])

    return app


def _client(server: EmulatorServer, **settings: float) -> HttpClient:
    options: dict[str, float] = {"timeout": 0.2, "retries": 2, "backoff": 0.05, **settings}
    return HttpClient(
        vendor="acme",
        base_url=server.url,
        auth=None,
        timeout=options["timeout"],
        parallelism=1,
        retries=int(options["retries"]),
        backoff=options["backoff"],
        retry_budget=options.get("retry_budget", 120.0),
    )


HANG = 0.4


def _recorded(server: EmulatorServer) -> int:
    """How many requests reached the server. A hanging request is recorded when its hang ends; every
    request of a call that failed was sent before it failed, so all are recorded one hang later."""
    time.sleep(HANG + 0.2)
    return len(server.requests)


@pytest.fixture
def hanging(scripted: flask.Flask) -> Iterator[EmulatorServer]:
    with EmulatorServer(scripted, faults=Faults(hang_rate=1, hang_seconds=HANG)) as server:
        yield server


def test_a_hanging_read_is_retried_then_ends_in_a_clear_error(hanging: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(hanging).json("GET", "/items", kind="users")
    message = str(failure.value)
    assert message.startswith("acme users: no answer within 0.2 s (timeout); retried, gave up after ")
    assert message.endswith("(GET /items)")
    assert _recorded(hanging) == 3  # the first try and two retries, no more
    assert [request.fault for request in hanging.requests] == ["hang"] * 3


def test_a_hanging_create_is_not_sent_again(hanging: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(hanging).json("POST", "/items", kind="users", key='users["ann"]')
    assert str(failure.value) == 'acme users["ann"]: no answer within 0.2 s (timeout) (POST /items)'
    assert _recorded(hanging) == 1


@pytest.mark.parametrize("after", ["3600", "Wed, 21 Oct 2065 07:28:00 GMT"])
def test_a_retry_after_beyond_what_lmsform_waits_is_reported_not_slept(
    scripted: flask.Flask, after: str
) -> None:
    with EmulatorServer(scripted) as server:
        with pytest.raises(ProviderError) as failure:
            _client(server, retries=5).json(
                "GET", f"/in-an-hour?after={after.replace(' ', '%20')}", kind="users"
            )
        assert failure.value.status == 429
        assert "Come back later.; the vendor asks to wait " in str(failure.value)
        assert (
            "s before trying again (Retry-After), longer than lmsform waits (120 s): try again later"
            in str(failure.value)
        )
        assert len(server.requests) == 1


def test_retrying_stops_when_its_time_is_spent(scripted: flask.Flask) -> None:
    with EmulatorServer(scripted) as server:
        client = _client(server, retries=10, backoff=0.2, retry_budget=1.0)
        with pytest.raises(ProviderError) as failure:
            client.json("GET", "/down", kind="users")
        attempts = len(server.requests)
        # Waits of 0, 0.4 and 0.8 s (plus jitter): the third would end past the second allowed.
        assert 2 <= attempts <= 3
        assert str(failure.value).startswith(
            f"acme users: Service unavailable; gave up after {attempts} attempts in "
        )
        assert str(failure.value).endswith("(GET /down, HTTP 503)")


def test_an_unreadable_retry_after_means_backing_off(scripted: flask.Flask) -> None:
    with EmulatorServer(scripted) as server:
        assert _client(server).json("GET", "/soon") == []
        assert [request.status for request in server.requests] == [503, 200]
