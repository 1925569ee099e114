"""Paging: the one read-ahead keeps order and its bounds; page-numbered lists read their pages after
the first in parallel, within the client's bound, and must add up to what the first page counted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import flask
import pytest

from lmsform.errors import ProviderError
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.http import HttpClient
from lmsform.providers.paging import follow_next, read_ahead
from lmsform.providers.vendor_answers import malformed_items

ITEMS = 11
PER_PAGE = 2  # the server's page size, whatever the client asks for


@dataclass
class Traffic:
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    most_in_flight: int = 0
    # Holds the requests of pages 2 to 4 until all three are in the server at once.
    together: threading.Barrier | None = None
    delay: float = 0.0  # seconds each answer takes


def _page(number: int, *, count: int = ITEMS, base: str, name: str) -> dict[str, object]:
    first = (number - 1) * PER_PAGE
    items = [{"id": index} for index in range(first, min(first + PER_PAGE, count))]
    last = first + PER_PAGE >= count
    following = None if last else f"{base}{name}?page={number + 1}&page_size=1000"
    return {"count": count, "next": following, "previous": None, "results": items}


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def server(traffic: Traffic) -> Iterator[EmulatorServer]:
    app = flask.Flask("numbered")

    @app.get("/numbered")
    def numbered() -> flask.Response:
        number = int(flask.request.args.get("page", "1"))
        with traffic.lock:
            traffic.in_flight += 1
            traffic.most_in_flight = max(traffic.most_in_flight, traffic.in_flight)
        try:
            if 2 <= number <= 4 and traffic.together is not None:
                traffic.together.wait(timeout=5)  # broken (an error answer) if they come one by one
            time.sleep(traffic.delay)
            return flask.jsonify(_page(number, base=flask.request.host_url, name="numbered"))
        finally:
            with traffic.lock:
                traffic.in_flight -= 1

    @app.get("/grew")
    def grew() -> flask.Response:
        # Two learners were added after the first page was served.
        number = int(flask.request.args.get("page", "1"))
        count = ITEMS if number == 1 else ITEMS + 2
        return flask.jsonify(_page(number, count=count, base=flask.request.host_url, name="grew"))

    with EmulatorServer(app) as running:
        yield running


def _client(server: EmulatorServer, parallelism: int) -> HttpClient:
    return HttpClient(
        vendor="scripted", base_url=server.url, auth=None, timeout=10, parallelism=parallelism, retries=0
    )


def test_the_pages_after_the_first_are_read_at_once_and_in_order(
    server: EmulatorServer, traffic: Traffic
) -> None:
    traffic.together = threading.Barrier(3)

    items = list(follow_next(_client(server, parallelism=3), "/numbered", params={"page_size": 1000}))

    assert [item["id"] for item in items] == list(range(ITEMS))
    pages = sorted(request.url_path for request in server.requests)
    assert len(pages) == 6  # the same requests as following `next`: ⌈11 / 2⌉
    assert not traffic.together.broken


def test_no_more_requests_are_in_flight_than_the_parallelism_allows(
    server: EmulatorServer, traffic: Traffic
) -> None:
    traffic.delay = 0.05
    client = _client(server, parallelism=2)
    # Three lists read at once by three threads still share the client's two connections' worth.
    threads = [threading.Thread(target=lambda: list(follow_next(client, "/numbered"))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(server.requests) == 18
    assert traffic.most_in_flight == 2


def test_a_list_that_changes_while_it_is_read_is_read_again_by_following_next(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="lmsform.http")

    items = list(follow_next(_client(server, parallelism=4), "/grew"))

    # Pages 2.. count 13, not the first page's 11: the list is read again from page 2 on, in full.
    assert [item["id"] for item in items] == list(range(ITEMS + 2))
    assert "page 2 of /grew?page=2&page_size=1000 does not fit the first page (which counted 11 items)" in (
        caplog.text
    )
    assert [request.query_string for request in server.requests][-6:] == [
        f"page={number}&page_size=1000" for number in range(2, 8)
    ]


def test_read_ahead_gives_the_pages_in_order_with_at_most_its_workers_in_flight() -> None:
    traffic = Traffic()

    def fetch(number: int) -> int:
        with traffic.lock:
            traffic.in_flight += 1
            traffic.most_in_flight = max(traffic.most_in_flight, traffic.in_flight)
        time.sleep(0.01 * (number % 3))  # later pages may come back first
        with traffic.lock:
            traffic.in_flight -= 1
        return number

    assert list(read_ahead(fetch, range(20), workers=3)) == list(range(20))
    assert traffic.most_in_flight == 3


def test_read_ahead_asks_for_no_more_than_twice_its_workers_once_the_reader_stops() -> None:
    asked: list[int] = []

    def fetch(number: int) -> int:
        asked.append(number)
        if number == 0:
            raise ValueError("page 0 does not fit")
        return number

    with pytest.raises(ValueError, match="page 0 does not fit"):
        list(read_ahead(fetch, range(10**9), workers=2))
    assert len(asked) <= 4  # a `count` that lies costs a few requests, not a billion


def test_an_item_taken_apart_without_a_field_is_a_malformed_answer_naming_the_vendor() -> None:
    with pytest.raises(ProviderError) as raised, malformed_items("acme", item="a record", kind="users"):
        _ = {"id": 1}["email"]
    assert str(raised.value) == "acme users: malformed response: a record lacks or mistypes 'email'"
