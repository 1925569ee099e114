"""Training Records end to end over real HTTP: 200 people by 5 packages of records, one call per
change, deterministic record ids that survive a lost answer, records made elsewhere, what the API
cannot do, and the list shapes the document leaves open."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.auth import HTTPBasicAuth

from lmsform.errors import ProviderError
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.http import HttpClient
from lmsform.providers.training_records.client import TrainingRecordsClient
from lmsform.providers.training_records.emulator import TrainingRecordsEmulatorOptions, create_app
from lmsform.providers.training_records.operations import record_id
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir

USER = "acme-api"
PEOPLE = 200
PACKAGES = {
    "pkg-fire": "Fire safety",
    "pkg-privacy": "Data privacy",
    "pkg-handling": "Manual handling",
    "pkg-first-aid": "First aid",
    "pkg-conduct": "Code of conduct",
}
RECORDS = "/api/v2/training/record/"


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("TRAINING_RECORDS_API_KEY", CANARY_KEY)
    monkeypatch.setenv("TRAINING_RECORDS_API_USER", USER)
    options = TrainingRecordsEmulatorOptions(username=USER, prefix="/api/v2", limit_cap=100)
    app = create_app(tmp_path / "records.sqlite3", api_key=CANARY_KEY, options=options)
    with EmulatorServer(app) as server:
        seed = {
            "people": [{"api_id": f"P{n:04d}", "name": f"Person {n}"} for n in range(PEOPLE)],
            "packages": [{"api_id": api_id, "description": title} for api_id, title in PACKAGES.items()],
        }
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


def _configure(project: ProjectDir, server: EmulatorServer, *, mode: str = "authoritative") -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: training-records\n  base_url: {server.url}/api/v2\n"
        "  username: ${TRAINING_RECORDS_API_USER}\n  api_key: ${TRAINING_RECORDS_API_KEY}\n"
        f"manage:\n  enrollments: {mode}\n",
    )


def _directory() -> str:
    lines = ["users:"]
    for n in range(PEOPLE):
        lines += [f"  - email: person{n:03d}@acme.com", f"    api_id: P{n:04d}"]
    lines.append("courses:")
    for api_id, title in PACKAGES.items():
        lines += [f"  - title: {title}", f"    api_id: {api_id}"]
    return "\n".join(lines) + "\n"


def _people(numbers: range) -> str:
    return "[" + ", ".join(f"person{n:03d}@acme.com" for n in numbers) + "]"


def _training(people: int = 30, completed_by_person_7: str | None = None, without: int | None = None) -> str:
    """Every person in every package: a third assigned, a third started, a third completed."""
    entries = ["enrollments:"]
    for title in PACKAGES.values():
        first, second = people // 3, 2 * people // 3
        assigned = [n for n in range(first) if not (n == without and title == "Fire safety")]
        entries += [
            f"  - course: {title}",
            f"    users: [{', '.join(f'person{n:03d}@acme.com' for n in assigned)}]",
            f"  - course: {title}",
            f"    users: {_people(range(first, second))}",
            "    started: 2026-01-05",
            "    completed: null",
            f"  - course: {title}",
            f"    users: {_people(range(second, people))}",
            "    started: 2026-01-05T09:00:00+08:00",
            "    completed: 2026-01-06T17:30:00+08:00",
        ]
    if completed_by_person_7 is not None:
        # person 7 moves from the assigned third of Fire safety to its own entry
        text = "\n".join(entries).replace("person007@acme.com, ", "", 1)
        return text + (
            f"\n  - course: Fire safety\n    users: [person007@acme.com]\n"
            f"    completed: {completed_by_person_7}\n"
        )
    return "\n".join(entries) + "\n"


def _writes(server: EmulatorServer, since: int = 0) -> list[tuple[str, str, Any]]:
    return [
        (call.method, call.path, json.loads(call.body) if call.body else None)
        for call in server.requests[since:]
        if call.method != "GET" and not call.path.startswith("/_emulator")
    ]


def _all_records(server: EmulatorServer) -> list[dict[str, Any]]:
    answer = requests.get(f"{server.url}{RECORDS}", auth=(USER, CANARY_KEY), timeout=30)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


def _apply(cli: CliRunnerCall, project: ProjectDir, *extra: str) -> str:
    result = cli("apply", project.root, "--auto-approve", *extra)
    assert result.exit_code == 0, result.output
    assert CANARY_KEY not in result.output
    return str(result.stdout)


def _plan(cli: CliRunnerCall, project: ProjectDir) -> tuple[int, str]:
    result = cli("plan", project.root, "--detailed-exitcode")
    assert CANARY_KEY not in result.output
    return result.exit_code, str(result.stdout)


@pytest.fixture
def org(records: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> EmulatorServer:
    _configure(project, records)
    project.write("directory.yaml", _directory())
    project.write("training.yaml", _training())
    _apply(cli, project)
    return records


def test_200_people_by_5_packages_apply_then_plan_with_no_changes(
    records: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, records)
    project.write("directory.yaml", _directory())
    project.write("training.yaml", _training(PEOPLE))

    applied = _apply(cli, project)

    assert "Apply complete: 1000 added, 0 changed, 0 removed." in applied
    writes = _writes(records)
    assert len(writes) == 1000 and {method for method, _, _ in writes} == {"POST"}
    live = _all_records(records)
    assert len(live) == 1000
    assert len({(r["person_api_id"], r["package_api_id"]) for r in live}) == 1000
    by_pair = {(r["person_api_id"], r["package_api_id"]): r for r in live}
    assert by_pair[("P0003", "pkg-fire")]["date_started"] is None
    assert by_pair[("P0070", "pkg-fire")]["date_started"] == "2026-01-05T00:00:00Z"
    assert by_pair[("P0150", "pkg-conduct")]["date_completed"] == "2026-01-06T09:30:00Z"
    # lmsform names its records itself: the same id on every run for the same person and package
    assert by_pair[("P0150", "pkg-conduct")]["api_id"] == record_id("P0150", "pkg-conduct")

    before = len(records.requests)
    code, planned = _plan(cli, project)
    assert code == 0, planned
    assert planned.startswith("No changes. Training Records 127.0.0.1")
    # 1,000 records at 100 a page: 10 reads, not one per record
    assert len(records.requests) - before == 10


def test_marking_a_completion_is_one_patch(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("training.yaml", _training(completed_by_person_7="2026-02-01"))
    code, planned = _plan(cli, project)
    assert code == 2
    assert "Plan: 0 to add, 1 to change, 0 to remove." in planned
    since = len(org.requests)

    _apply(cli, project)

    assert _writes(org, since) == [
        ("PATCH", f"{RECORDS}{record_id('P0007', 'pkg-fire')}/", {"date_completed": "2026-02-01T00:00:00Z"})
    ]
    assert _plan(cli, project)[0] == 0


def test_a_declared_date_matches_any_time_that_day(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    answer = requests.patch(
        f"{org.url}{RECORDS}{record_id('P0012', 'pkg-fire')}/",
        json={"date_started": "2026-01-05T16:45:00+02:00"},
        auth=(USER, CANARY_KEY),
        timeout=10,
    )
    answer.raise_for_status()
    assert _plan(cli, project)[0] == 0

    requests.patch(
        f"{org.url}{RECORDS}{record_id('P0012', 'pkg-fire')}/",
        json={"date_started": "2026-01-06T01:00:00+02:00"},  # 5 January 23:00 UTC: still the same day
        auth=(USER, CANARY_KEY),
        timeout=10,
    ).raise_for_status()
    assert _plan(cli, project)[0] == 0

    requests.patch(
        f"{org.url}{RECORDS}{record_id('P0025', 'pkg-fire')}/",
        json={"date_completed": "2026-01-06T09:30:01Z"},  # a declared instant must match exactly
        auth=(USER, CANARY_KEY),
        timeout=10,
    ).raise_for_status()
    code, planned = _plan(cli, project)
    assert code == 2
    assert "Plan: 0 to add, 1 to change, 0 to remove." in planned


def test_removing_a_record_is_one_delete_when_authoritative_and_nothing_when_additive(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write("training.yaml", _training(without=5))
    _configure(project, org, mode="additive")
    since = len(org.requests)
    code, planned = _plan(cli, project)
    assert code == 0, planned
    _apply(cli, project)
    assert _writes(org, since) == []

    _configure(project, org, mode="authoritative")
    code, planned = _plan(cli, project)
    assert code == 2
    assert "Plan: 0 to add, 0 to change, 1 to remove." in planned
    assert 'enrollments["package", "Fire safety", "person005@acme.com"]' in planned
    since = len(org.requests)

    _apply(cli, project, "--force")

    assert _writes(org, since) == [("DELETE", f"{RECORDS}{record_id('P0005', 'pkg-fire')}/", None)]
    assert _plan(cli, project)[0] == 0


def test_a_create_whose_answer_is_lost_is_retried_without_a_duplicate(
    records: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, records)
    project.write("directory.yaml", _directory())
    project.write(
        "training.yaml",
        "enrollments:\n  - course: Fire safety\n    users: [person001@acme.com, person002@acme.com]\n"
        "    started: 2026-03-02\n",
    )
    records.recorder.drop_answers("POST", RECORDS, count=2)

    applied = _apply(cli, project)

    assert "Apply complete: 2 added" in applied
    posts = [call for call in records.requests if call.method == "POST" and call.path == RECORDS]
    assert sum(1 for call in posts if call.dropped) == 2
    answered = [call.status for call in posts if not call.dropped]
    # Each dropped create was re-sent and found its id taken (by itself): 400, then carried on.
    assert answered.count(400) >= 1 and set(answered) <= {201, 400}
    live = _all_records(records)
    assert sorted(r["api_id"] for r in live) == sorted(
        [record_id("P0001", "pkg-fire"), record_id("P0002", "pkg-fire")]
    )
    assert {r["date_started"] for r in live} == {"2026-03-02T00:00:00Z"}
    assert _plan(cli, project)[0] == 0


def test_records_made_elsewhere_are_matched_by_person_and_package_newest_first(
    records: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    seed = {
        "records": [
            {"api_id": "ui-old", "person_api_id": "P0001", "package_api_id": "pkg-fire",
             "date_assigned": "2025-01-10T08:00:00Z", "date_started": "2025-01-11T08:00:00Z",
             "date_completed": "2025-01-12T08:00:00Z"},
            {"api_id": "ui-new", "person_api_id": "P0001", "package_api_id": "pkg-fire",
             "date_assigned": "2026-01-10T08:00:00Z", "date_started": None, "date_completed": None},
            {"api_id": "ui-other", "person_api_id": "P0199", "package_api_id": "pkg-fire",
             "date_assigned": "2026-01-10T08:00:00Z", "date_started": None, "date_completed": None},
        ]
    }  # fmt: skip
    requests.post(f"{records.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
    _configure(project, records, mode="additive")
    project.write("directory.yaml", _directory())
    project.write(
        "training.yaml",
        "enrollments:\n  - course: Fire safety\n    users: [person001@acme.com]\n"
        "    started: null\n    completed: null\n",
    )

    code, planned = _plan(cli, project)
    assert code == 0, planned  # the newest record (not started) is the one compared

    _configure(project, records, mode="authoritative")
    project.write(
        "training.yaml",
        "enrollments:\n  - course: Fire safety\n    users: [person001@acme.com]\n",
    )
    code, planned = _plan(cli, project)
    assert code == 2
    assert "Plan: 0 to add, 0 to change, 1 to remove." in planned
    assert 'enrollments["package", "Fire safety", "person199@acme.com"]' in planned
    since = len(records.requests)
    _apply(cli, project, "--force")
    assert _writes(records, since) == [("DELETE", f"{RECORDS}ui-other/", None)]

    # Leaving person 1 out deletes every record of theirs in the package, the older one too.
    project.write("training.yaml", "enrollments:\n  - course: Fire safety\n    users: [person002@acme.com]\n")
    _apply(cli, project, "--force")
    assert {r["api_id"] for r in _all_records(records)} == {record_id("P0002", "pkg-fire")}


def test_what_the_api_cannot_do_is_refused_before_any_call(
    records: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, records)
    project.write("directory.yaml", _directory())
    project.write(
        "extra.yaml",
        """
        users:
          - email: new@acme.com
            api_id: P9999
            first_name: New
          - email: twin@acme.com
            api_id: P0001
          - email: nobody@acme.com
        courses:
          - title: Unnamed
        enrollments:
          - course: Fire safety
            users: [stranger@acme.com]
          - course: Fire safety
            users: [person001@acme.com]
            role: learner
          - course: Fire safety
            users: [person002@acme.com]
            started: 2026-02-01
            completed: 2026-01-01
        groups:
          - name: crew
        """,
    )
    since = len(records.requests)

    result = cli("validate", project.root)

    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors == [
        "Error: project/extra.yaml:4:5: Training Records cannot manage users.first_name: Training Records "
        "keeps only records: people live in the vendor's Directory API, so a users entry only names a "
        "person (email and api_id)",
        "Error: project/extra.yaml:5:5: user 'twin@acme.com' has the id 'P0001' of user 'person001@acme.com' "
        "(at project/directory.yaml:4:5): one object cannot be declared twice",
        "Error: project/extra.yaml:7:5: Training Records identifies users by api_id: declare it",
        "Error: project/extra.yaml:9:5: Training Records needs the api_id of every course: declare it",
        "Error: project/extra.yaml:12:13: user 'stranger@acme.com' is not declared; Training Records cannot "
        "look users up, so name each one once under users with its api_id",
        "Error: project/extra.yaml:15:5: Training Records cannot manage enrollments.role: training records "
        "have no roles",
        "Error: project/extra.yaml:16:5: completed is before started",
        "Error: project/extra.yaml:20:1: Training Records cannot manage groups: its API has no groups",
        "8 errors in the manifests; nothing was changed.",
    ]
    assert len(records.requests) == since


def test_drift_exits_2_when_a_record_changed_outside_lmsform(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    assert cli("drift", project.root).exit_code == 0
    requests.delete(
        f"{org.url}{RECORDS}{record_id('P0015', 'pkg-privacy')}/", auth=(USER, CANARY_KEY), timeout=10
    ).raise_for_status()

    result = cli("drift", project.root)

    assert result.exit_code == 2
    assert 'enrollments["package", "Data privacy", "person015@acme.com"]' in result.stdout


def test_export_names_packages_by_description_and_people_by_id(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / "lmsform.yaml").write_text((project.root / "lmsform.yaml").read_text())

    assert cli("export", exported).exit_code == 0

    courses = (exported / "courses.yaml").read_text()
    assert "  - title: Fire safety\n    api_id: pkg-fire\n" in courses
    assert "  - api_id: P0007\n" in (exported / "users.yaml").read_text()
    assert cli("plan", exported, "--detailed-exitcode").exit_code == 0


# --- the list shapes the document leaves open (narrow unit tests of the client) ---------------------


class _Pages:
    """Stands in for HttpClient.json: serves canned bodies by offset."""

    vendor = "training-records"

    def __init__(self, bodies: dict[int, Any]) -> None:
        self.bodies = bodies
        self.offsets: list[int] = []

    def json(self, method: str, path: str, *, params: dict[str, int], kind: str) -> Any:
        self.offsets.append(params["offset"])
        return self.bodies[params["offset"]]


def _record(api_id: str) -> dict[str, str]:
    return {"api_id": api_id, "person_api_id": "P0001", "package_api_id": "pkg-fire"}


def _client(bodies: dict[int, Any]) -> tuple[TrainingRecordsClient, _Pages]:
    pages = _Pages(bodies)
    return TrainingRecordsClient(pages, page_size=2, parallelism=2), pages  # type: ignore[arg-type]


def test_a_bare_array_is_the_whole_list() -> None:
    client, pages = _client({0: [_record("a"), _record("b"), _record("c")]})
    assert [r["api_id"] for r in client.records()] == ["a", "b", "c"]
    assert pages.offsets == [0]


def test_an_envelope_is_read_page_by_page_at_the_size_the_server_serves() -> None:
    client, pages = _client(
        {
            0: {"count": 3, "next": "x", "previous": None, "results": [_record("a")]},
            1: {"count": 3, "next": "y", "previous": "x", "results": [_record("b")]},
            2: {"count": 3, "next": None, "previous": "y", "results": [_record("c")]},
        }
    )
    assert [r["api_id"] for r in client.records()] == ["a", "b", "c"]
    assert sorted(pages.offsets) == [0, 1, 2]


def test_an_object_holding_one_list_is_read_as_the_list() -> None:
    client, _ = _client({0: {"records": [_record("a")]}})
    assert [r["api_id"] for r in client.records()] == ["a"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<html>", "expected a list of records, got a string"),
        ({"count": "many", "results": []}, "no numeric `count`"),
        ({"a": [], "b": []}, r"expected a list of records, got an object \(keys: a, b\)"),
        ([1, 2], "item 1 is a number, not an object"),
        ([{"api_id": "a", "person_api_id": "P0001"}], "item 1 has no `package_api_id`"),
    ],
)
def test_a_malformed_list_is_a_clear_error(body: Any, message: str) -> None:
    client, _ = _client({0: body})
    with pytest.raises(ProviderError, match=message) as raised:
        client.records()
    assert str(raised.value).startswith("training-records enrollments: ")


def test_a_list_that_changes_while_it_is_read_is_an_error_not_a_silent_gap() -> None:
    client, _ = _client(
        {
            0: {"count": 4, "next": "x", "results": [_record("a"), _record("b")]},
            2: {"count": 3, "next": None, "results": [_record("c")]},
        }
    )
    with pytest.raises(ProviderError, match="`count` is 4 but the pages held 3"):
        client.records()


def test_pages_that_ignore_the_offset_are_an_error_not_duplicates() -> None:
    page = {"count": 4, "next": "x", "results": [_record("a"), _record("b")]}
    client, _ = _client({0: page, 2: page})
    with pytest.raises(ProviderError, match="pagination loops, record a is on two pages"):
        client.records()


def test_a_count_that_lies_costs_a_few_requests_not_millions() -> None:
    bodies: dict[int, Any] = {0: {"count": 10**9, "next": "x", "results": [_record("a"), _record("b")]}}
    bodies.update({offset: {"count": 10**9, "next": "x", "results": []} for offset in range(2, 40, 2)})
    client, pages = _client(bodies)
    with pytest.raises(ProviderError, match=r"`count` is 1000000000, but the page at offset 2 is empty"):
        client.records()
    assert len(pages.offsets) <= 1 + 2 * 2 + 1  # the first page, the pages asked for ahead, and one more


def test_every_record_is_read_once_through_real_paging(org: EmulatorServer) -> None:
    http = HttpClient(
        vendor="training-records",
        base_url=f"{org.url}/api/v2",
        auth=HTTPBasicAuth(USER, CANARY_KEY),
        timeout=10,
        parallelism=4,
    )
    client = TrainingRecordsClient(http, page_size=7, parallelism=4)
    since = len(org.requests)

    counts = Counter(record["api_id"] for record in client.records())

    assert len(counts) == 150 and set(counts.values()) == {1}
    assert len(org.requests) - since == 22  # ⌈150 / 7⌉ pages
    http.close()
