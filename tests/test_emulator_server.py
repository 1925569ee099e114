"""The emulators' HTTP server: connections stay open between requests (HTTP/1.1) unless an answer
cannot say where it ends, a fault drops it, or the server stops."""

from __future__ import annotations

from collections.abc import Iterator

import flask
import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool

from lmsform.providers.emulation.server import EmulatorServer


def _app() -> flask.Flask:
    app = flask.Flask("connections")
    items: list[str] = []

    @app.get("/items")
    def listing() -> dict[str, list[str]]:
        return {"results": items}

    @app.post("/items")
    def add() -> tuple[dict[str, str], int]:
        items.append(flask.request.get_data(as_text=True))
        return {"name": items[-1]}, 201

    @app.delete("/items")
    def clear() -> tuple[str, int]:
        items.clear()
        return "", 204

    @app.get("/stream")
    def stream() -> flask.Response:
        return flask.Response(iter([b"one ", b"two"]), mimetype="text/plain")  # no Content-Length

    return app


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(_app()) as running:
        yield running


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as made:
        made.trust_env = False
        yield made


def _connections_made(session: requests.Session, url: str) -> int:
    adapter = session.get_adapter(url)
    assert isinstance(adapter, HTTPAdapter)
    pools = adapter.poolmanager.pools
    (pool,) = [pools[key] for key in pools.keys()]  # noqa: SIM118 - the container cannot be iterated
    assert isinstance(pool, HTTPConnectionPool)
    return pool.num_connections


def test_one_connection_carries_a_session_s_requests(
    server: EmulatorServer, session: requests.Session
) -> None:
    answers = [
        session.post(f"{server.url}/items", data="a", timeout=5),
        session.get(f"{server.url}/items", timeout=5),
        session.get(f"{server.url}/missing", timeout=5),
        session.delete(f"{server.url}/items", timeout=5),
        session.get(f"{server.url}/items", timeout=5),
    ]

    assert [answer.status_code for answer in answers] == [201, 200, 404, 204, 200]
    assert answers[1].json() == {"results": ["a"]} and answers[4].json() == {"results": []}
    assert all("close" not in answer.headers.get("Connection", "") for answer in answers)
    assert _connections_made(session, server.url) == 1
    assert [(call.method, call.status) for call in server.requests] == [
        ("POST", 201),
        ("GET", 200),
        ("GET", 404),
        ("DELETE", 204),
        ("GET", 200),
    ]


def test_an_answer_without_a_length_ends_with_its_connection(
    server: EmulatorServer, session: requests.Session
) -> None:
    # Read to its end, which only the connection's end marks (a server keeping it open would hang here).
    streamed = session.get(f"{server.url}/stream", timeout=5)
    after = session.get(f"{server.url}/items", timeout=5)

    assert (streamed.text, streamed.headers["Connection"]) == ("one two", "close")
    assert after.status_code == 200


def test_a_chunked_request_body_closes_the_connection_after_its_answer(
    server: EmulatorServer, session: requests.Session
) -> None:
    answer = session.post(f"{server.url}/items", data=iter([b"x"]), timeout=5)

    assert answer.headers["Connection"] == "close"
    assert session.get(f"{server.url}/items", timeout=5).status_code == 200


def test_a_dropped_answer_closes_its_connection_and_the_next_request_opens_another(
    server: EmulatorServer, session: requests.Session
) -> None:
    server.recorder.drop_answers("POST", "/items")

    with pytest.raises(requests.ConnectionError):
        session.post(f"{server.url}/items", data="lost", timeout=5)
    listing = session.get(f"{server.url}/items", timeout=5)

    assert listing.json() == {"results": ["lost"]}
    assert _connections_made(session, server.url) == 2


def test_a_stopped_server_answers_no_connection_left_open() -> None:
    server = EmulatorServer(_app()).start()
    with requests.Session() as session:
        session.trust_env = False
        assert session.get(f"{server.url}/items", timeout=5).status_code == 200

        server.stop()

        with pytest.raises(requests.ConnectionError):
            session.post(f"{server.url}/items", data="late", timeout=5)
    assert [call.method for call in server.requests] == ["GET"]
