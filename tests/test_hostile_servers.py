"""Hostile servers: each test is an attack by the vendor's server (or whoever answers in its place)
on the shared HTTP layer, and shows the rail that holds.

- Redirects: credentials travel in headers (`AccessKey`, `SID`, `Authorization`) that a followed
  redirect would carry along; no redirect is followed, so they reach only the configured origin.
- Lying counts: a list whose pages hold fewer (or more) items than its count says is an error on
  every paging path, not a short list that plans spurious creates.
- A gzip bomb: the decompressed answer is bounded, and so is the memory it takes.
- A trickle: an answer sent a byte at a time ends at a deadline, headers or body.
"""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask
import pytest
from requests.auth import AuthBase, HTTPBasicAuth

from lmsform.errors import ProviderError
from lmsform.providers.damstra.client import access_key_auth
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.http import MAX_ANSWER_BYTES, HttpClient
from lmsform.providers.paging import follow_next, offset_pages
from lmsform.providers.training_records.client import TrainingRecordsClient
from lmsform.providers.versal.client import VersalClient, sid_auth

SECRET = "k-0123456789abcdef"
CREDENTIALS: dict[str, AuthBase] = {
    "damstra AccessKey": access_key_auth(SECRET),
    "versal SID": sid_auth(SECRET),
    "basic Authorization": HTTPBasicAuth("api", SECRET),
}
CREDENTIAL_HEADERS = ("accesskey", "sid", "authorization")


def _client(base_url: str, *, auth: AuthBase | None = None, timeout: float = 5, **options: Any) -> HttpClient:
    return HttpClient(
        vendor="acme", base_url=base_url, auth=auth, timeout=timeout, parallelism=2, retries=0, **options
    )


@pytest.fixture
def attacker() -> Iterator[EmulatorServer]:
    """A server the attack wants the credentials sent to: it records whatever reaches it."""
    app = flask.Flask("attacker")

    @app.route("/<path:anything>", methods=["GET", "POST"])
    def steal(anything: str) -> flask.Response:
        return flask.jsonify({"results": [], "count": 0})

    with EmulatorServer(app) as server:
        yield server


def _redirecting(location: str, status: int) -> flask.Flask:
    app = flask.Flask("redirecting")

    @app.route("/items", methods=["GET", "POST", "PUT", "DELETE"])
    def items() -> flask.typing.ResponseReturnValue:
        return flask.redirect(location, code=status)

    return app


# --- redirects ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("credential", list(CREDENTIALS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_attack_a_redirect_to_another_origin_gets_no_credential(
    attacker: EmulatorServer, status: int, credential: str, method: str
) -> None:
    """A vendor URL answering 3xx to a host the attacker runs: requests strips only `Authorization`
    on a cross-host redirect, so Damstra's `AccessKey` and Versal's `SID` went along. Now nothing
    goes: the attacker's server receives no request at all, and the error names where it pointed
    (its origin only, not the path or query that might carry a token)."""
    location = f"{attacker.url}/steal?token=hidden"
    with EmulatorServer(_redirecting(location, status)) as vendor:
        with pytest.raises(ProviderError) as failure:
            _client(vendor.url, auth=CREDENTIALS[credential]).request(method, "/items", kind="users")
        assert [request.path for request in vendor.requests] == ["/items"]
        assert any(name.lower() in CREDENTIAL_HEADERS for name in vendor.requests[0].headers)
    assert attacker.requests == []
    message = str(failure.value)
    assert message.startswith(
        f"acme users: the server redirects to {attacker.url}; lmsform follows no redirect"
    )
    assert message.endswith(f"({method} /items, HTTP {status})")
    assert "steal" not in message and "hidden" not in message


def test_attack_a_redirect_within_the_vendor_is_not_followed_either(attacker: EmulatorServer) -> None:
    """Even a redirect to another path of the same server is reported, not followed: no vendor lmsform
    supports redirects its API calls (Versal only upgrades plain HTTP to HTTPS)."""
    with EmulatorServer(_redirecting("/elsewhere", 307)) as vendor:
        with pytest.raises(ProviderError, match=rf"redirects to {vendor.url}; lmsform follows no redirect"):
            _client(vendor.url, auth=CREDENTIALS["versal SID"]).json("GET", "/items")
        assert [request.path for request in vendor.requests] == ["/items"]


def test_a_redirect_to_https_says_to_configure_https() -> None:
    """Versal answers plain HTTP with a redirect to HTTPS: the error says what to change."""
    upgrade = r"the vendor serves HTTPS only: give the base URL as https://"
    with EmulatorServer(_redirecting("https://127.0.0.1/items", 301)) as vendor:
        client = _client(vendor.url)
        with pytest.raises(ProviderError, match=upgrade):
            client.json("GET", "/items")


def _certificate(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate for a local HTTPS server")
    key, certificate = folder / "key.pem", folder / "certificate.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    return key, certificate


@contextmanager
def _raw_server(
    answer: Callable[[socket.socket, threading.Event], None], tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    """A server on loopback that reads one request per connection and answers it with `answer`,
    byte by byte if it likes (what a WSGI server cannot do with the status line and headers)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def handle(connection: socket.socket) -> None:
        try:
            with connection:
                conversation = tls.wrap_socket(connection, server_side=True) if tls else connection
                received = b""
                while b"\r\n\r\n" not in received:
                    piece = conversation.recv(4096)
                    if not piece:
                        return
                    received += piece
                answer(conversation, stop)
        except OSError:
            pass

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_attack_a_redirect_from_https_down_to_http_gets_no_credential(
    attacker: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vendor's HTTPS origin redirects to plain HTTP, where anyone on the path reads the headers:
    nothing is sent there."""
    key, certificate = _certificate(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(certificate, key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))
    downgraded = f"{attacker.url}/items"

    def redirect(connection: socket.socket, _: threading.Event) -> None:
        connection.sendall(
            f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {downgraded}\r\nContent-Length: 0\r\n\r\n".encode()
        )

    with _raw_server(redirect, tls) as vendor:
        client = _client(vendor, auth=CREDENTIALS["damstra AccessKey"])
        with pytest.raises(ProviderError, match=rf"redirects to {attacker.url}; lmsform follows no redirect"):
            client.json("GET", "/items", kind="users")
    assert attacker.requests == []


def test_attack_a_next_link_to_another_port_or_scheme_is_refused(attacker: EmulatorServer) -> None:
    """A page whose `next` names the same host on the attacker's port, or with a user part, is not
    followed: the credentials would go to another server."""
    app = flask.Flask("next")

    @app.get("/list")
    def first() -> flask.Response:
        return flask.jsonify({"next": flask.request.args["next"], "results": [{"id": 1}]})

    host = attacker.url.removeprefix("http://")
    with EmulatorServer(app) as vendor:
        client = _client(vendor.url, auth=CREDENTIALS["versal SID"])
        for link in (f"{attacker.url}/list?page=2", f"http://user@{host}/list?page=2"):
            with pytest.raises(ProviderError, match=r"refusing to follow a `next` link to another host"):
                list(follow_next(client, "/list", params={"next": link}))
    assert attacker.requests == []


def test_attack_a_whole_url_to_another_origin_is_never_requested(attacker: EmulatorServer) -> None:
    """Whatever passes a whole URL to the client (a link read from an answer), a request goes only to
    the configured origin, scheme included: an HTTPS client refuses an http:// URL on its own host."""
    client = _client(attacker.url.replace("http://", "https://"), auth=CREDENTIALS["versal SID"])
    with pytest.raises(ProviderError, match=r"refusing to send a request to another origin"):
        client.request("GET", f"{attacker.url}/items")
    with pytest.raises(ProviderError, match=r"refusing to send a request to another origin"):
        _client("http://127.0.0.1:9", auth=CREDENTIALS["versal SID"]).request("GET", f"{attacker.url}/items")
    assert attacker.requests == []


# --- lying counts, on every paging path ---------------------------------------------------------------------

CLAIMED, DELIVERED, PER_PAGE = 500, 450, 50


def _lying_lists() -> flask.Flask:
    """Every list claims 500 items on every page, consistently, and holds 450."""
    app = flask.Flask("lying")

    def numbered(page: int, link: Callable[[int], str]) -> flask.Response:
        first = (page - 1) * PER_PAGE
        items = [{"id": index} for index in range(first, min(first + PER_PAGE, DELIVERED))]
        following = link(page + 1) if first + PER_PAGE < DELIVERED else None
        return flask.jsonify({"count": CLAIMED, "next": following, "previous": None, "results": items})

    @app.get("/numbered")
    def numbered_list() -> flask.Response:
        page = int(flask.request.args.get("page", "1"))
        return numbered(page, lambda number: f"{flask.request.host_url}numbered?page={number}")

    @app.get("/cursor")
    def cursor_list() -> flask.Response:
        page = int(flask.request.args.get("cursor", "c1")[1:])
        return numbered(page, lambda number: f"{flask.request.host_url}cursor?cursor=c{number}")

    @app.get("/offset")
    def offset_list() -> flask.Response:
        # Fewer claimed than served: a count below the truth.
        start = int(flask.request.args["startIndex"])
        items = [{"id": index} for index in range(start, min(start + PER_PAGE, DELIVERED))]
        return flask.jsonify({"results": items, "meta": {"totalResultCount": 120}})

    @app.get("/orgs/1/members")
    def versal_members() -> flask.Response:
        page = int(flask.request.args["page"])
        first = (page - 1) * PER_PAGE
        items = [
            {"user": {"id": f"u{index}", "email": f"u{index}@acme.com"}}
            for index in range(first, min(first + PER_PAGE, DELIVERED))
        ]
        pages = CLAIMED // PER_PAGE
        paging: dict[str, int | None] = {"count": CLAIMED, "page": page, "perPage": PER_PAGE}
        paging["pageCount"] = pages
        paging["nextPage"] = page + 1 if page < pages else None
        return flask.Response(
            json.dumps(items), headers={"X-Pagination": json.dumps(paging)}, mimetype="application/json"
        )

    @app.get("/training/record/")
    def training_records() -> flask.Response:
        offset = int(flask.request.args.get("offset", "0"))
        items = [
            {"api_id": f"r{index}", "person_api_id": "p", "package_api_id": "k"}
            for index in range(offset, min(offset + PER_PAGE, DELIVERED))
        ]
        return flask.jsonify({"count": CLAIMED, "next": None, "previous": None, "results": items})

    return app


@pytest.fixture(scope="module")
def lying() -> Iterator[EmulatorServer]:
    with EmulatorServer(_lying_lists(), record_bodies=False) as server:
        yield server


LIE = rf"`count` is {CLAIMED}, but the pages held {DELIVERED} item\(s\) \(the list changed while it was read"


@pytest.mark.parametrize("parallelism", [1, 4])
def test_attack_a_numbered_list_whose_count_lies_is_an_error_after_the_fallback(
    lying: EmulatorServer, parallelism: int
) -> None:
    """The reported attack: 500 counted, 450 delivered. The pages read at once do not fit the count,
    so the list is read again page by page, and that read must not accept 450 (it planned 146
    spurious creates)."""
    client = HttpClient(
        vendor="acme", base_url=lying.url, auth=None, timeout=5, parallelism=parallelism, retries=0
    )
    with pytest.raises(ProviderError, match=rf"acme users: malformed list response: {LIE}"):
        list(follow_next(client, "/numbered", kind="users"))


def test_attack_a_cursor_list_whose_count_lies_is_an_error(lying: EmulatorServer) -> None:
    with pytest.raises(ProviderError, match=LIE):
        list(follow_next(_client(lying.url), "/cursor"))


def test_attack_an_offset_list_holding_more_than_its_count_is_an_error(lying: EmulatorServer) -> None:
    """A count below the truth: reading stopped at the count and the rest looked absent."""
    with pytest.raises(
        ProviderError, match=r"`totalResultCount` is 120, but the pages held 150 items or more"
    ):
        list(offset_pages(_client(lying.url), "/offset", size=PER_PAGE))


@pytest.mark.parametrize("parallel", [False, True])
def test_attack_versal_paging_headers_that_lie_are_an_error(lying: EmulatorServer, parallel: bool) -> None:
    versal = VersalClient(_client(lying.url), 1, page_size=PER_PAGE)
    lie = rf"malformed list response: {LIE}"
    with ThreadPoolExecutor(max_workers=4) as pool, pytest.raises(ProviderError, match=lie):
        list(versal.members(spread=pool.map if parallel else None))


def test_attack_training_records_whose_count_lies_is_an_error(lying: EmulatorServer) -> None:
    records = TrainingRecordsClient(_client(lying.url), page_size=PER_PAGE, parallelism=2)
    with pytest.raises(
        ProviderError, match=rf"`count` is {CLAIMED}, but the page at offset {DELIVERED} is empty"
    ):
        records.records()


def _envelope_then_bare_array() -> flask.Flask:
    """Page 1 counts 100 and links to page 2; page 2 is a bare JSON array (the shape of a whole list)."""
    app = flask.Flask("envelope_then_bare")

    @app.get("/users")
    def users() -> flask.Response:
        # A numbered link (`page=2`) or a cursor: the two ways pages after the first are read.
        link = flask.request.args.get("link", "page")
        if flask.request.args.get(link, "").endswith("2"):
            return flask.jsonify([{"id": 2}])
        following = f"{flask.request.host_url}users?link={link}&{link}={'2' if link == 'page' else 'c2'}"
        return flask.jsonify({"count": 100, "next": following, "results": [{"id": 1}]})

    return app


@pytest.mark.parametrize("link", ["page", "cursor"])
def test_attack_a_bare_array_after_a_counted_page_cannot_skip_the_count_check(link: str) -> None:
    """A bare array ended the read before the count was checked: 100 counted, 2 held, 2 accepted
    (98 users looked absent: spurious creates). A bare array is a whole list, never a later page."""
    with (
        EmulatorServer(_envelope_then_bare_array()) as vendor,
        pytest.raises(
            ProviderError,
            match=r"acme users: malformed list response: page 2 (has no `results` list|is a bare JSON array)",
        ),
    ):
        list(follow_next(_client(vendor.url), "/users", params={"link": link}, kind="users"))


# --- a gzip bomb --------------------------------------------------------------------------------------------

BOMB_MIB = 256  # decompressed; about 256 KB on the wire


@pytest.fixture(scope="module")
def bomb() -> Iterator[EmulatorServer]:
    # Gzip members may follow one another; each is a mebibyte of spaces (valid JSON whitespace).
    body = gzip.compress(b" " * 1024 * 1024) * BOMB_MIB
    app = flask.Flask("bomb")

    @app.get("/users")
    def users() -> flask.Response:
        return flask.Response(body, headers={"Content-Encoding": "gzip"}, mimetype="application/json")

    with EmulatorServer(app, record_bodies=False) as server:
        yield server


def test_attack_a_gzip_bomb_is_cut_off_with_bounded_memory(bomb: EmulatorServer) -> None:
    """A small answer that decompresses to far more than any real answer (a 1 MB bomb took 6.4 GB):
    reading stops past the limit, and memory stays within a few times that limit."""
    tracemalloc.start()
    try:
        with pytest.raises(ProviderError) as failure:
            _client(bomb.url).json("GET", "/users", kind="users")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(failure.value) == (
        "acme users: the answer is larger than 64 MiB once decompressed; lmsform reads no more of it "
        "(no answer it asks for comes near that size) (GET /users, HTTP 200)"
    )
    assert peak < 3 * MAX_ANSWER_BYTES


def test_the_answer_limit_can_be_set_lower(bomb: EmulatorServer) -> None:
    with pytest.raises(ProviderError, match=r"larger than 1 MiB once decompressed"):
        _client(bomb.url, max_answer_bytes=1024 * 1024).json("GET", "/users")


# --- a trickle ----------------------------------------------------------------------------------------------

TIMEOUT = 0.5  # each read's timeout; the whole answer's deadline is twice that
TRICKLE_SECONDS = 15.0  # how long the server keeps trickling, should nothing stop the client


def _trickle(prefix: bytes, slow: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(prefix)
        ends = time.monotonic() + TRICKLE_SECONDS
        for byte in slow:
            if stop.wait(0.05) or time.monotonic() > ends:
                return
            connection.sendall(bytes([byte]))

    return answer


HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n"


@pytest.mark.parametrize(
    ("where", "prefix", "slow"),
    [
        ("status line", b"", b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 2000),
        ("headers", b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 2000),
        ("body", HEADERS, b"[" + b" " * 1998 + b"]"),
    ],
)
def test_attack_an_answer_trickled_a_byte_at_a_time_ends_at_its_deadline(
    where: str, prefix: bytes, slow: bytes
) -> None:
    """A byte every 50 ms never lets a 0.5 s read time out (a 5 s timeout was held for 400 s); the
    whole answer now ends at its deadline, twice the timeout, wherever the trickle is."""
    with _raw_server(_trickle(prefix, slow)) as vendor:
        started = time.monotonic()
        with pytest.raises(ProviderError) as failure:
            _client(vendor, timeout=TIMEOUT).json("GET", "/users", kind="users")
        elapsed = time.monotonic() - started
    assert str(failure.value) == (
        "acme users: the answer did not end within 1 s (the deadline of a whole answer, 2 times the "
        "0.5 s timeout) (GET /users)"
    )
    assert elapsed < 4 * 2 * TIMEOUT, where


def test_a_slow_but_steady_answer_within_its_deadline_is_read() -> None:
    """The deadline is for the whole answer, not each read: an answer taking most of it is fine."""
    body = b"[" + b" " * 8 + b"]"
    headers = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    with _raw_server(_trickle(headers.encode(), body)) as vendor:
        assert _client(vendor, timeout=TIMEOUT).json("GET", "/users") == []
