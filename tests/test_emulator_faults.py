"""Network faults for every emulator (`lmsform.providers.emulation.faults`), over real HTTP: latency, the
rate limit, errors, throttling, dropped answers, hangs, malformed answers, the `/_emulator/chaos` hook and
the `lmsform emulator` options that set them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import flask
import pytest
import requests

from lmsform.providers import registry
from lmsform.providers.emulation.faults import Faults, parse_duration, parse_rate
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, CliRunnerCall, api_calls

AUTH = (CANARY_KEY, "")


class Tiny:
    """A small vendor API: items to list and add, a header-paged list, and a state hook."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.calls = 0
        self.app = flask.Flask("tiny")
        self.app.before_request(self._count)
        self.app.get("/items")(self._list)
        self.app.post("/items")(self._add)
        self.app.get("/paged")(self._paged)
        self.app.get("/missing")(self._missing)
        self.app.get("/_emulator/state")(self._state)

    def _count(self) -> None:
        if not flask.request.path.startswith("/_emulator"):
            self.calls += 1

    def _list(self) -> dict[str, Any]:
        return {"count": len(self.items), "next": None, "results": self.items}

    def _add(self) -> tuple[dict[str, Any], int]:
        self.items.append(flask.request.get_json()["name"])
        return {"name": self.items[-1]}, 201

    def _missing(self) -> tuple[dict[str, Any], int]:
        return {"detail": "Not found."}, 404

    def _state(self) -> dict[str, Any]:
        return {"items": self.items}

    def _paged(self) -> flask.Response:
        response = flask.jsonify(self.items)
        response.headers["X-Pagination"] = json.dumps({"page": 1, "nextPage": 2, "pageCount": 2})
        return response


@pytest.fixture
def tiny() -> Tiny:
    return Tiny()


def serve(tiny: Tiny, **settings: Any) -> EmulatorServer:
    """A server for `tiny` with these faults, to start with `with`."""
    return EmulatorServer(tiny.app, faults=Faults(**settings))


@pytest.fixture
def server(tiny: Tiny) -> Iterator[EmulatorServer]:
    with EmulatorServer(tiny.app) as running:
        yield running


def faults_met(server: EmulatorServer) -> list[str | None]:
    return [request.fault for request in api_calls(server)]


# --- latency and the rate limit ----------------------------------------------------------------------


def test_latency_delays_every_api_request_and_concurrent_requests_overlap(tiny: Tiny) -> None:
    with serve(tiny, latency=0.3) as server:
        started = time.monotonic()
        assert requests.get(f"{server.url}/items", timeout=5).status_code == 200
        assert time.monotonic() - started >= 0.3

        started = time.monotonic()
        with ThreadPoolExecutor(5) as pool:
            statuses = list(
                pool.map(lambda _: requests.get(f"{server.url}/items", timeout=5).status_code, range(5))
            )
        assert statuses == [200] * 5
        assert 0.3 <= time.monotonic() - started < 1.2  # five in a row would take 1.5 s

        assert faults_met(server) == [None] * 6  # latency is not a fault


def test_the_rate_limit_answers_429_once_the_bucket_is_empty_and_recovers(tiny: Tiny) -> None:
    with serve(tiny, rate_limit=2) as server:  # the bucket holds one second's worth: 2
        assert [requests.get(f"{server.url}/items", timeout=5).status_code for _ in range(2)] == [200, 200]
        throttled = requests.get(f"{server.url}/items", timeout=5)
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "1"  # the next token is due within half a second
        assert throttled.json() == {"detail": "Request was throttled. Expected available in 1 second."}
        assert tiny.calls == 2

        time.sleep(0.6)
        assert requests.get(f"{server.url}/items", timeout=5).status_code == 200
        assert faults_met(server) == [None, None, "rate_limit", None]


def test_retry_after_says_when_the_next_token_is_due(tiny: Tiny) -> None:
    with serve(tiny, rate_limit=0.25) as server:
        assert requests.get(f"{server.url}/items", timeout=5).status_code == 200
        throttled = requests.get(f"{server.url}/items", timeout=5)
        assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "4")
        assert throttled.json()["detail"] == "Request was throttled. Expected available in 4 seconds."

        server.faults.update(rate_limit=10, rate_burst=3)  # a new limit starts with a full bucket
        statuses = [requests.get(f"{server.url}/items", timeout=5).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]


# --- errors, throttling, drops, hangs ----------------------------------------------------------------


def test_every_request_answered_503_without_reaching_the_app(tiny: Tiny) -> None:
    with serve(tiny, error_rate=1) as server:
        answer = requests.post(f"{server.url}/items", json={"name": "a"}, timeout=5)
        assert (answer.status_code, answer.json()) == (503, {"detail": "Service unavailable"})
        assert answer.headers["Content-Type"] == "application/json"
        assert (tiny.calls, tiny.items) == (0, [])
        assert faults_met(server) == ["error"]


def test_random_throttling_answers_429_with_retry_after_1(tiny: Tiny) -> None:
    with serve(tiny, throttle_rate=1) as server:
        answer = requests.get(f"{server.url}/items", timeout=5)
        assert (answer.status_code, answer.headers["Retry-After"]) == (429, "1")
        assert tiny.calls == 0
        assert faults_met(server) == ["throttle"]


def test_a_dropped_write_commits_but_gets_no_answer(skilljar: EmulatorServer) -> None:
    skilljar.faults.update(drop_rate=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{skilljar.url}/v1/groups", json={"name": "Partners"}, auth=AUTH, timeout=5)
    assert requests.get(f"{skilljar.url}/v1/groups", auth=AUTH, timeout=5).status_code == 200  # reads pass

    state = requests.get(f"{skilljar.url}/_emulator/state", timeout=5).json()
    assert [group["name"] for group in state["groups"]] == ["Partners"]
    dropped, read = api_calls(skilljar)
    assert (dropped.status, dropped.dropped, dropped.fault) == (201, True, "drop")
    assert (read.dropped, read.fault) == (False, None)


def test_a_hanging_request_outlasts_the_client_then_is_handled(tiny: Tiny) -> None:
    with serve(tiny, hang_rate=1, hang_seconds=0.8) as server:
        with pytest.raises(requests.Timeout):
            requests.post(f"{server.url}/items", json={"name": "late"}, timeout=0.2)
        deadline = time.monotonic() + 5
        while not api_calls(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert faults_met(server) == ["hang"]
        assert tiny.items == ["late"]


def test_stopping_the_server_does_not_wait_for_hanging_requests(tiny: Tiny) -> None:
    server = serve(tiny, hang_rate=1).start()  # 30 s
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            requests.post(f"{server.url}/items", json={"name": "never"}, timeout=10)
        except requests.RequestException as error:
            outcome.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    caller.join(timeout=5)
    assert time.monotonic() - started < 3
    assert len(outcome) == 1 and isinstance(outcome[0], requests.ConnectionError)
    assert tiny.items == []  # it gave up rather than reach the app


# --- malformed answers -------------------------------------------------------------------------------


def test_malformed_html_replaces_successful_json_reads_only(tiny: Tiny) -> None:
    with serve(tiny, malformed=1, malformed_kind="html") as server:
        page = requests.get(f"{server.url}/items", timeout=5)
        assert page.status_code == 502
        assert page.headers["Content-Type"].startswith("text/html")
        assert "<h1>502 Bad Gateway</h1>" in page.text

        assert requests.post(f"{server.url}/items", json={"name": "a"}, timeout=5).status_code == 201
        assert requests.get(f"{server.url}/missing", timeout=5).status_code == 404
        assert faults_met(server) == ["malformed", None, None]


def test_malformed_truncated_cuts_the_json_in_half(server: EmulatorServer, tiny: Tiny) -> None:
    tiny.items.extend(["a", "b", "c"])
    whole = requests.get(f"{server.url}/items", timeout=5).content
    server.faults.update(malformed=1, malformed_kind="truncated")
    answer = requests.get(f"{server.url}/items", timeout=5)
    assert (answer.status_code, answer.headers["Content-Type"]) == (200, "application/json")
    assert answer.content == whole[: len(whole) // 2]
    assert answer.headers["Content-Length"] == str(len(whole) // 2)
    with pytest.raises(ValueError):
        answer.json()


def test_malformed_loop_points_the_next_page_at_itself(skilljar: EmulatorServer, tiny: Tiny) -> None:
    for name in ("a", "b", "c"):
        requests.post(f"{skilljar.url}/v1/groups", json={"name": name}, auth=AUTH, timeout=5)
    skilljar.faults.update(malformed=1, malformed_kind="loop")
    url = f"{skilljar.url}/v1/groups?page_size=1&page=2"
    page = requests.get(url, auth=AUTH, timeout=5).json()
    assert page["next"] == url
    assert [group["name"] for group in page["results"]] == ["b"]

    with serve(tiny, malformed=1, malformed_kind="loop") as server:
        paged = requests.get(f"{server.url}/paged", timeout=5)
        assert json.loads(paged.headers["X-Pagination"]) == {"page": 1, "nextPage": 1, "pageCount": 2}
        requests.get(f"{server.url}/missing", timeout=5)
        assert faults_met(server) == ["malformed", None]


def test_malformed_loop_on_offset_paging_serves_the_first_page_and_promises_more(tmp_path: Path) -> None:
    damstra = emulator_for("damstra")
    app = damstra.app(tmp_path / "state.sqlite3", api_key=CANARY_KEY, target=None)
    with EmulatorServer(app) as server:
        api = damstra.api_root(server.url)
        headers = {"AccessKey": CANARY_KEY}
        first = requests.get(f"{api}/group?startIndex=0&maxResults=5", headers=headers, timeout=5).json()
        server.faults.update(malformed=1, malformed_kind="loop")
        looped = requests.get(f"{api}/group?startIndex=40&maxResults=5", headers=headers, timeout=5).json()
        assert looped["results"] == first["results"]  # the offset was ignored
        assert looped["meta"]["totalResultCount"] == 40 + len(first["results"]) + 1
        assert faults_met(server) == [None, "malformed"]


def test_malformed_shape_swaps_lists_and_objects(tiny: Tiny) -> None:
    tiny.items.extend(["a", "b"])
    with serve(tiny, malformed=1, malformed_kind="shape") as server:
        page = requests.get(f"{server.url}/items", timeout=5).json()
        assert page["results"] == {"0": "a", "1": "b"}
        assert requests.get(f"{server.url}/paged", timeout=5).json() == {"0": "a", "1": "b"}
        server.recorder.spoil_answers("shape", method="POST")
        assert requests.post(f"{server.url}/items", json={"name": "c"}, timeout=5).json() == [{"name": "c"}]
        assert tiny.items == ["a", "b", "c"]  # a spoilt answer to a write was committed


def test_malformed_no_id_takes_the_ids_out_of_items(skilljar: EmulatorServer) -> None:
    for name in ("a", "b"):
        requests.post(f"{skilljar.url}/v1/groups", json={"name": name}, auth=AUTH, timeout=5)
    skilljar.faults.update(malformed=1, malformed_kind="no_id")
    page = requests.get(f"{skilljar.url}/v1/groups", auth=AUTH, timeout=5).json()
    assert [group["name"] for group in page["results"]] == ["a", "b"]
    assert all("id" not in group for group in page["results"])


def test_refused_answers_fail_before_the_app_does_anything(tiny: Tiny) -> None:
    with serve(tiny) as server:
        server.recorder.refuse_answers("POST", "/items", 1)
        refused = requests.post(f"{server.url}/items", json={"name": "a"}, timeout=5)
        assert (refused.status_code, tiny.items) == (503, [])
        assert requests.post(f"{server.url}/items", json={"name": "b"}, timeout=5).status_code == 201
        assert tiny.items == ["b"]
        assert faults_met(server) == ["error", None]


def test_spoilt_answers_wait_for_the_writes_asked_for_and_count_down(tiny: Tiny) -> None:
    with serve(tiny) as server:
        server.recorder.spoil_answers(
            "truncated", method="GET", path_pattern="/items", count=2, after_writes=1
        )
        assert requests.get(f"{server.url}/items", timeout=5).json()["results"] == []
        requests.post(f"{server.url}/items", json={"name": "a"}, timeout=5)
        for _ in range(2):
            with pytest.raises(ValueError):
                requests.get(f"{server.url}/items", timeout=5).json()
        assert requests.get(f"{server.url}/items", timeout=5).json()["results"] == ["a"]
        assert faults_met(server) == [None, None, "malformed", "malformed", None]

        server.recorder.spoil_answers("html", path_pattern="/missing|/items", count=1)
        assert requests.get(f"{server.url}/missing", timeout=5).status_code == 404  # cannot be spoilt
        assert requests.get(f"{server.url}/items", timeout=5).status_code == 502  # so this one is
        assert requests.get(f"{server.url}/items", timeout=5).status_code == 200


# --- reproducibility and hooks -----------------------------------------------------------------------


def _statuses(server: EmulatorServer, count: int = 40) -> list[int]:
    return [requests.get(f"{server.url}/items", timeout=5).status_code for _ in range(count)]


def test_a_seeded_run_repeats(tiny: Tiny) -> None:
    settings: dict[str, Any] = {"seed": 7, "error_rate": 0.3, "throttle_rate": 0.3}
    with serve(tiny, **settings) as first:
        statuses = _statuses(first)
    with serve(tiny, **settings) as second:
        assert _statuses(second) == statuses
        requests.post(f"{second.url}/_emulator/chaos", json={"seed": 7}, timeout=5)  # restarts the sequence
        assert _statuses(second) == statuses
    assert {200, 429, 503} == set(statuses)
    assert 5 <= statuses.count(200) <= 30


@pytest.mark.parametrize("vendor", sorted(registry()))
def test_every_vendor_gets_faults_but_its_hooks_never_do(vendor: str, tmp_path: Path) -> None:
    emulator = emulator_for(vendor)
    app = emulator.app(tmp_path / "state.sqlite3", api_key="key", target=None)
    with EmulatorServer(app) as server:
        changed = requests.post(
            f"{server.url}/_emulator/chaos", json={"error_rate": 1, "latency": 0.5}, timeout=5
        )
        assert changed.status_code == 200
        started = time.monotonic()
        for hook in ("/_emulator/state", "/_emulator/chaos"):
            assert requests.get(f"{server.url}{hook}", timeout=5).status_code == 200
        assert time.monotonic() - started < 0.5

        api = emulator.api_root(server.url)
        assert requests.get(f"{api}/anything", timeout=5).status_code == 503
        assert [request.fault for request in server.requests] == [None, None, None, "error"]


# --- the chaos hook and the settings -----------------------------------------------------------------

DEFAULTS = {
    "latency": 0.0,
    "rate_limit": None,
    "rate_burst": None,
    "error_rate": 0.0,
    "throttle_rate": 0.0,
    "drop_rate": 0.0,
    "hang_rate": 0.0,
    "hang_seconds": 30.0,
    "malformed": 0.0,
    "malformed_kind": "html",
    "seed": None,
}


def test_the_chaos_hook_reads_and_changes_the_settings(server: EmulatorServer) -> None:
    hook = f"{server.url}/_emulator/chaos"
    assert requests.get(hook, timeout=5).json() == DEFAULTS

    changed = requests.post(
        hook, json={"error_rate": 0.5, "malformed_kind": "loop", "rate_limit": 10}, timeout=5
    )
    assert changed.status_code == 200
    assert changed.json() == {**DEFAULTS, "error_rate": 0.5, "malformed_kind": "loop", "rate_limit": 10}
    assert server.faults.settings.error_rate == 0.5
    assert requests.post(hook, json={"rate_limit": None}, timeout=5).json()["rate_limit"] is None

    assert requests.delete(hook, timeout=5).status_code == 405


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error_rate": 1.5}, "error_rate must be a number from 0 to 1, not 1.5"),
        ({"drop_rate": "0.1"}, "drop_rate must be a number from 0 to 1, not '0.1'"),
        ({"latency": -1}, "latency must be a number of seconds, 0 or more, not -1"),
        ({"rate_limit": 0}, "rate_limit must be a number of requests per second above 0, not 0"),
        (
            {"malformed_kind": "xml"},
            "malformed_kind must be one of html, truncated, loop, shape, no_id, not 'xml'",
        ),
        ({"seed": 1.5}, "seed must be an integer, not 1.5"),
        ({"error_rate": 0.1, "chaos": 1}, "unknown fault setting 'chaos'"),
        ([0.1], "Expected a JSON object of fault settings."),
    ],
)
def test_the_chaos_hook_refuses_bad_settings_and_changes_nothing(
    server: EmulatorServer, body: object, message: str
) -> None:
    refused = requests.post(f"{server.url}/_emulator/chaos", json=body, timeout=5)
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith(message)
    assert server.faults.to_json() == DEFAULTS


def test_faults_check_their_settings() -> None:
    with pytest.raises(ValueError, match="hang_rate must be a number from 0 to 1"):
        Faults(hang_rate=2)
    with pytest.raises(ValueError, match="rate_burst must be a number of requests, 1 or more"):
        Faults(rate_limit=5, rate_burst=0.5)
    faults = Faults(latency=0.03)
    with pytest.raises(ValueError, match="latency must be"):
        faults.update(latency=float("nan"))
    assert faults.settings.latency == 0.03
    assert faults.update(rate_limit=5).burst == 5


def test_counts_and_a_log_without_bodies(tiny: Tiny) -> None:
    with EmulatorServer(tiny.app, faults=Faults(error_rate=0.5, seed=1), record_bodies=False) as server:
        for name in "abcd":
            requests.post(f"{server.url}/items", json={"name": name}, timeout=5)
        requests.get(f"{server.url}/_emulator/state", timeout=5)
        counts = server.recorder.counts()
        assert counts["total"] == 4  # hooks are not counted
        assert counts["by_method"] == {"POST": 4}
        assert sum(counts["by_status"].values()) == 4
        assert counts["faults"] == {"error": counts["by_status"].get(503, 0)}
        assert all(request.body == request.response_body == b"" for request in server.requests)
        assert all(request.headers == {} for request in server.requests)
        server.recorder.clear()
        assert server.recorder.counts() == {"total": 0, "by_status": {}, "by_method": {}, "faults": {}}


# --- the command line --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("30ms", 0.03), ("0.03s", 0.03), ("0.03", 0.03), ("2", 2.0), (" 1.5 S ", 1.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "per_second"), [("600/min", 10.0), ("10/s", 10.0), ("10", 10.0), ("0.5", 0.5), ("7200/h", 2.0)]
)
def test_rates(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["", "fast", "-1", "30 minutes", "1e3"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["", "0", "0/s", "ten/s", "10/day", "-5"])
def test_bad_rates(text: str) -> None:
    with pytest.raises(ValueError, match="is not a rate above 0"):
        parse_rate(text)


@pytest.mark.parametrize(
    ("option", "value"),
    [("--latency", "fast"), ("--rate-limit", "lots"), ("--error-rate", "2"), ("--malformed-kind", "xml")],
)
def test_a_bad_fault_option_is_a_usage_error_naming_it(cli: CliRunnerCall, option: str, value: str) -> None:
    result = cli("emulator", "skilljar", option, value)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output


def test_the_emulator_command_serves_with_the_faults_asked_for(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "lmsform", "emulator", "skilljar", "--state", "e.sqlite3", "--api-key", "k",
         "--latency", "50ms", "--rate-limit", "600/min", "--error-rate", "1", "--seed", "3"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        settings = requests.get(f"{url}/_emulator/chaos", timeout=5).json()
        assert settings == {**DEFAULTS, "latency": 0.05, "rate_limit": 10.0, "error_rate": 1.0, "seed": 3}
        assert requests.get(f"{url}/v1/ping", auth=("k", ""), timeout=5).status_code == 503
    finally:
        process.terminate()
        process.wait(timeout=10)
