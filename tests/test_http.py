"""The shared HTTP layer against a small scripted server on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import flask
import pytest

from lmsform.errors import ProviderError
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.http import HttpClient, Pacer
from lmsform.providers.paging import follow_next, offset_pages


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    app = flask.Flask("scripted")
    hits: dict[str, int] = {}

    def count(name: str) -> int:
        hits[name] = hits.get(name, 0) + 1
        return hits[name]

    @app.get("/throttled")
    def throttled() -> flask.Response:
        if count("throttled") == 1:
            return flask.Response('{"detail": "slow down"}', status=429, headers={"Retry-After": "1"})
        return flask.jsonify({"ok": True})

    @app.route("/flaky", methods=["GET", "POST"])
    def flaky() -> flask.Response:
        if count(f"flaky-{flask.request.method}") <= 2:
            return flask.Response('{"detail": "try again"}', status=503, content_type="application/json")
        return flask.jsonify({"ok": True})

    @app.get("/pages")
    def pages() -> flask.Response:
        page = int(flask.request.args.get("page", "1"))
        following = f"{flask.request.host_url}pages?page={page + 1}" if page < 3 else None
        return flask.jsonify({"count": 3, "next": following, "previous": None, "results": [{"n": page}]})

    @app.get("/cursor")
    def cursor() -> flask.Response:
        if flask.request.args.get("cursor") == "b":
            return flask.jsonify({"next": None, "previous": None, "results": [{"n": 2}]})
        return flask.jsonify(
            {"next": f"{flask.request.host_url}cursor?cursor=b", "previous": None, "results": [{"n": 1}]}
        )

    @app.get("/bare")
    def bare() -> flask.Response:
        return flask.jsonify([{"n": 1}, {"n": 2}])

    @app.get("/loop")
    def loop() -> flask.Response:
        return flask.jsonify(
            {"count": 9, "next": f"{flask.request.host_url}loop?page=2", "results": [{"n": 1}]}
        )

    @app.get("/elsewhere")
    def elsewhere() -> flask.Response:
        return flask.jsonify({"count": 2, "next": "http://attacker.example/steal", "results": [{"n": 1}]})

    @app.get("/offset")
    def offset() -> flask.Response:
        # Ignores startIndex, and its total always promises one more item than this page holds.
        start = int(flask.request.args.get("startIndex", "0"))
        return flask.jsonify({"results": [{"id": 1}], "meta": {"totalResultCount": start + 2}})

    @app.get("/short")
    def short() -> flask.Response:
        start = int(flask.request.args.get("startIndex", "0"))
        return flask.jsonify({"results": [{"id": 1}] if start == 0 else [], "meta": {"totalResultCount": 5}})

    @app.get("/no-ids")
    def no_ids() -> flask.Response:
        return flask.jsonify({"count": 2, "next": None, "results": [{"id": 1}, {"name": "b"}]})

    @app.get("/cut")
    def cut() -> flask.Response:
        return flask.Response('{"results": [{"id": 1}, {"id"', content_type="application/json")

    @app.get("/html")
    def html() -> flask.Response:
        return flask.Response("<html><body>Bad gateway</body></html>", status=200, content_type="text/html")

    @app.post("/invalid")
    def invalid() -> flask.Response:
        return flask.Response(
            '{"name": ["This field is required."]}', status=400, content_type="application/json"
        )

    with EmulatorServer(app) as running:
        yield running


def _client(server: EmulatorServer, *, retries: int = 3) -> HttpClient:
    return HttpClient(
        vendor="scripted",
        base_url=server.url,
        auth=None,
        timeout=5,
        parallelism=2,
        retries=retries,
        backoff=0.05,
    )


def test_a_429_is_retried_after_the_time_the_server_asks_for(server: EmulatorServer) -> None:
    started = time.monotonic()
    assert _client(server).json("GET", "/throttled") == {"ok": True}
    assert time.monotonic() - started >= 0.95
    assert [request.status for request in server.requests] == [429, 200]


def test_a_5xx_on_an_idempotent_call_is_retried(server: EmulatorServer) -> None:
    assert _client(server).json("GET", "/flaky") == {"ok": True}
    assert [request.status for request in server.requests] == [503, 503, 200]


def test_a_post_is_never_resent_blindly(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(server).json("POST", "/flaky", kind="groups", key='groups["x"]')
    assert failure.value.status == 503
    assert str(failure.value) == 'scripted groups["x"]: try again (POST /flaky, HTTP 503)'
    assert len(server.requests) == 1


def test_retries_are_bounded(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(server, retries=1).json("GET", "/flaky")
    assert failure.value.status == 503
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("path", "expected"), [("/pages", [1, 2, 3]), ("/cursor", [1, 2]), ("/bare", [1, 2])]
)
def test_every_list_shape_is_read_to_the_end(server: EmulatorServer, path: str, expected: list[int]) -> None:
    assert [item["n"] for item in follow_next(_client(server), path)] == expected


def test_a_pagination_loop_is_an_error_not_a_hang(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError, match="pagination loops"):
        list(follow_next(_client(server), "/loop"))
    # The first page counts 9 pages, asked for a few at a time; page 2 names itself as the next, so the
    # list is read again by following `next`, which comes back to page 2 at once.
    assert 3 <= len(server.requests) <= 9


def test_offset_paging_that_repeats_a_page_is_an_error_not_a_hang(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        list(offset_pages(_client(server), "/offset", size=1, kind="users"))
    assert str(failure.value) == (
        "scripted users: malformed list response: pagination loops, the page at startIndex=1 repeats an "
        "earlier page (GET /offset?startIndex=1&maxResults=1, HTTP 200)"
    )
    assert len(server.requests) == 2


def test_offset_paging_that_ends_before_its_count_is_an_error(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError, match=r"`totalResultCount` is 5, but the list ended after 1 item"):
        list(offset_pages(_client(server), "/short", size=1))


def test_an_item_without_its_id_is_named(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        list(follow_next(_client(server), "/no-ids", kind="groups", item_fields=("id", "name")))
    assert str(failure.value) == (
        "scripted groups: malformed list response: item 1 has no `name` (GET /no-ids, HTTP 200)"
    )
    with pytest.raises(ProviderError, match=r"expected an object, got a list \(GET /bare, HTTP 200\)"):
        _client(server).json("GET", "/bare", fields=("id",))


def test_cut_short_json_says_so(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(server).json("GET", "/cut", kind="users")
    assert str(failure.value) == (
        "scripted users: malformed response: the JSON is cut short after 29 characters (GET /cut, HTTP 200)"
    )


def test_next_links_to_another_host_are_not_followed(server: EmulatorServer) -> None:
    with pytest.raises(
        ProviderError, match=r"refusing to follow a `next` link to another host \(attacker.example\)"
    ):
        list(follow_next(_client(server), "/elsewhere"))


def test_a_non_json_answer_is_a_clear_error(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(server).json("GET", "/html", kind="users")
    assert str(failure.value) == (
        "scripted users: malformed response: expected JSON, got an HTML page (text/html) "
        "'Bad gateway' (GET /html, HTTP 200)"
    )


def test_field_errors_are_surfaced_verbatim(server: EmulatorServer) -> None:
    with pytest.raises(ProviderError) as failure:
        _client(server).json("POST", "/invalid", json_body={})
    assert failure.value.vendor_message == "name: This field is required."
    assert failure.value.status == 400


def test_the_pacer_spaces_request_starts_evenly_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    slept: list[float] = []
    monkeypatch.setattr("lmsform.providers.http.time.monotonic", lambda: now[0])
    monkeypatch.setattr("lmsform.providers.http.time.sleep", slept.append)
    pacer = Pacer(per_second=10)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: pacer.wait(), range(4)))
    now[0] = 101.0  # a second later the schedule is in the past: no wait
    pacer.wait()

    assert sorted(slept) == pytest.approx([0.1, 0.2, 0.3])
    assert len(slept) == 3


def test_a_rate_limited_client_sends_every_request_through_the_pacer(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[int] = []
    monkeypatch.setattr(Pacer, "wait", lambda self: waits.append(1))
    client = HttpClient(
        vendor="scripted", base_url=server.url, auth=None, timeout=5, parallelism=2, rate_limit=5
    )

    assert [item["n"] for item in follow_next(client, "/pages")] == [1, 2, 3]
    assert len(waits) == 3


def test_a_proxy_named_in_the_environment_carries_the_calls_unless_no_proxy_names_the_host(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.url)  # the scripted server answers as the proxy would
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    vendor = "http://vendor.invalid"
    proxied = HttpClient(vendor="scripted", base_url=vendor, auth=None, timeout=5, parallelism=1, retries=0)

    assert proxied.json("GET", "/bare") == [{"n": 1}, {"n": 2}]
    assert proxied.json("GET", "/bare") == [{"n": 1}, {"n": 2}]
    assert [request.path for request in server.requests] == ["/bare", "/bare"]

    monkeypatch.setenv("NO_PROXY", "vendor.invalid")
    direct = HttpClient(vendor="scripted", base_url=vendor, auth=None, timeout=5, parallelism=1, retries=0)
    with pytest.raises(ProviderError, match=r"cannot connect to vendor\.invalid"):
        direct.json("GET", "/bare")
    assert len(server.requests) == 2
