"""Versal end to end over real HTTP: an organisation of 50 users with org roles and 5 courses with
enrollments; one call per change; the user-removal cascade; what the API cannot read or do.

Every exchange is validated against Versal's own Swagger 2.0 spec (tests/versal_oracle.py); the
emulator runs with date-only date fields so that its answers validate too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.http import HttpClient
from lmsform.providers.versal.client import VersalClient, sid_auth
from lmsform.providers.versal.emulator import VersalEmulatorOptions, create_app
from tests.conftest import CliRunnerCall, ProjectDir
from tests.versal_oracle import exchange_errors

KEY = "ca4a1a7e-5eed-4c0d-9e11-0000c0ffee42"
ORG = 4242
COURSES = ("Workplace Safety", "Data Privacy", "Customer Care", "Leading Teams", "Product Basics")
ROLES = ("admin", "instructor", "learner", "member")


@pytest.fixture
def versal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("VERSAL_API_KEY", KEY)
    options = VersalEmulatorOptions(org_id=ORG, date_fields="date")
    app = create_app(tmp_path / "versal.sqlite3", api_key=KEY, options=options)
    with EmulatorServer(app) as server:
        seed = {"courses": [{"title": title} for title in COURSES]}
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server
        assert exchange_errors(server.requests) == []


def _configure(project: ProjectDir, server: EmulatorServer, *, manage: str = "", extra: str = "") -> None:
    manage = manage or "  users: authoritative\n  enrollments: authoritative\n"
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: versal\n  organisation: {ORG}\n  base_url: {server.url}/api2\n"
        f"  api_key: ${{VERSAL_API_KEY}}\n  page_size: 20\n{extra}manage:\n{manage}",
    )


def _org(users: int = 50) -> dict[str, str]:
    lines = ["users:"]
    for n in range(users):
        lines += [
            f"  - email: person{n:02d}@acme.com",
            f"    first_name: Person{n}",
            "    last_name: Acme",
            f"    roles: [{ROLES[n % 4]}]",
        ]
    enrollments = ["enrollments:"]
    for index, title in enumerate(COURSES):
        learners = [f"person{n:02d}@acme.com" for n in range(index, users, 5)]
        enrollments += [f"  - course: {title}", f"    users: [{', '.join(learners)}]"]
    enrollments += [
        "  - course: Leading Teams",
        "    users: [person01@acme.com]",
        "    role: publisher",
        "    tracked: false",
    ]
    return {"people.yaml": "\n".join(lines) + "\n", "learning.yaml": "\n".join(enrollments) + "\n"}


def _writes(server: EmulatorServer, since: int = 0) -> list[tuple[str, str, Any]]:
    return [
        (call.method, call.path.removeprefix("/api2"), json.loads(call.body) if call.body else None)
        for call in server.requests[since:]
        if call.method != "GET" and not call.path.startswith("/_emulator")
    ]


def _members(server: EmulatorServer) -> dict[str, dict[str, Any]]:
    answer = requests.get(
        f"{server.url}/api2/orgs/{ORG}/members", params={"perPage": 100}, headers={"SID": KEY}, timeout=10
    )
    answer.raise_for_status()
    return {item["user"]["email"]: item for item in answer.json()}


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    assert KEY not in result.output
    return str(result.stdout)


@pytest.fixture
def org(versal: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> EmulatorServer:
    _configure(project, versal)
    for name, text in _org().items():
        project.write(name, text)
    _apply(cli, project)
    return versal


def test_an_organisation_applies_then_plans_with_no_changes(
    versal: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, versal)
    for name, text in _org().items():
        project.write(name, text)

    applied = _apply(cli, project)

    assert "Apply complete: 101 added, 0 changed, 0 removed." in applied
    writes = _writes(versal)
    assert sum(1 for method, path, _ in writes if method == "POST" and path == f"/orgs/{ORG}/users") == 50
    patches = [body for method, _, body in writes if method == "PATCH"]
    assert len(patches) == 51
    assert patches.count({"tracked": True, "roles": ["learner"]}) == 50
    assert patches.count({"tracked": False, "roles": ["publisher"]}) == 1
    members = _members(versal)
    assert len(members) == 50
    assert members["person00@acme.com"]["roles"] == ["admin"]
    assert members["person03@acme.com"]["roles"] == []  # member: no role

    again = cli("plan", project.root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("No changes.")
    # A declared course role cannot be read back: the plan says it is sent again, and which.
    assert "Versal cannot report back the role of 1 object(s); apply sends them again" in again.stdout
    assert 'enrollments["org_course", "Leading Teams", "person01@acme.com"]' in again.stdout


def test_every_request_follows_the_vendor_spec(
    org: EmulatorServer, cli: CliRunnerCall, project: ProjectDir
) -> None:
    _apply(cli, project)  # re-sends what cannot be read; also validated when the fixture ends

    problems = exchange_errors(org.requests)

    assert problems == []
    assert any(call.path == f"/api2/orgs/{ORG}/members" for call in org.requests)
    assert any("page=3" in call.query_string for call in org.requests)  # 50 members, 20 a page


def _user_id(server: EmulatorServer, email: str) -> str:
    return str(_members(server)[email]["user"]["id"])


def _edit(project: ProjectDir, name: str, old: str, new: str) -> None:
    path = project.root / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _drop_users(project: ProjectDir, numbers: list[int]) -> None:
    people, learning = _org()["people.yaml"], _org()["learning.yaml"]
    for n in numbers:
        email = f"person{n:02d}@acme.com"
        entry = f"  - email: {email}\n    first_name: Person{n}\n    last_name: Acme\n"
        people = people.replace(f"{entry}    roles: [{ROLES[n % 4]}]\n", "")
        learning = learning.replace(f"{email}, ", "").replace(f", {email}]", "]")
    project.write("people.yaml", people)
    project.write("learning.yaml", learning)


def test_a_role_change_is_one_put_and_never_a_remove_and_re_add(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    person = _user_id(org, "person02@acme.com")
    member = _user_id(org, "person03@acme.com")
    _edit(project, "people.yaml", "    roles: [learner]\n", "    roles: [admin]\n")  # person02
    _edit(project, "people.yaml", "    roles: [member]\n", "    roles: [instructor]\n")  # person03
    _edit(project, "people.yaml", "    roles: [admin]\n", "    roles: [member]\n")  # person00
    planned = cli("plan", project.root)
    assert '~ users["person02@acme.com"]' in planned.stdout
    assert 'roles  ["learner"] -> ["admin"]' in planned.stdout
    since = len(org.requests)

    _apply(cli, project)

    user_writes = [write for write in _writes(org, since) if write[0] != "PATCH"]
    assert sorted(user_writes) == sorted(
        [
            ("PUT", f"/orgs/{ORG}/users/{_user_id(org, 'person00@acme.com')}", {"roles": []}),
            ("PUT", f"/orgs/{ORG}/users/{person}", {"roles": ["admin"]}),
            ("PUT", f"/orgs/{ORG}/users/{member}", {"roles": ["instructor"]}),
        ]
    )
    assert _members(org)["person02@acme.com"]["roles"] == ["admin"]
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_removing_a_user_shows_the_cascade_and_takes_one_call(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    gone = _user_id(org, "person05@acme.com")
    _drop_users(project, [5])

    planned = cli("plan", project.root)

    assert planned.exit_code == 0, planned.output
    assert '- users["person05@acme.com"]  (delete)' in planned.stdout
    assert "removes the user from the organisation, and with them their enrollments" in planned.stdout
    assert 'also removes enrollments["org_course", "Workplace Safety", "person05@acme.com"]' in planned.stdout
    assert "Plan: 0 to add, 0 to change, 1 to remove" in planned.stdout  # the cascade is no call
    since = len(org.requests)
    _apply(cli, project)
    assert [write for write in _writes(org, since) if write[0] != "PATCH"] == [
        ("DELETE", f"/orgs/{ORG}/users/{gone}", None)
    ]
    assert "person05@acme.com" not in _members(org)
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_many_removals_are_one_batch_call_and_cascades_count_against_the_threshold(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    leaving = [10, 11, 12, 13, 14, 15]
    ids = [_user_id(org, f"person{n:02d}@acme.com") for n in leaving]
    _drop_users(project, leaving)
    _configure(
        project,
        org,
        extra="",
        manage="  users: authoritative\n  enrollments: authoritative\nsafety:\n  kinds:\n"
        "    enrollments:\n      max_remove_percent: 10\n",
    )

    refused = cli("apply", project.root, "--auto-approve")

    # 6 of 50 users is 12 %; with them go 6 of 51 enrollments, over the 10 % allowed.
    assert refused.exit_code == 1
    assert "Too many removals of enrollments: 12 % (6/51) is over 10 %" in refused.stderr
    since = len(org.requests)

    forced = cli("apply", project.root, "--auto-approve", "--force")

    assert forced.exit_code == 0, forced.output
    removals = [write for write in _writes(org, since) if write[0] != "PATCH"]
    assert [(method, path) for method, path, _ in removals] == [("POST", f"/orgs/{ORG}/delete_users")]
    assert sorted(removals[0][2]["users"].split(",")) == sorted(ids)
    assert "users: 6 deleted in one call" in forced.stdout
    assert not set(_members(org)) & {f"person{n:02d}@acme.com" for n in leaving}
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_a_changed_e_mail_address_replaces_the_account_and_says_so(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    old_id = _user_id(org, "person07@acme.com")
    _edit(
        project,
        "people.yaml",
        "  - email: person07@acme.com\n",
        "  - email: p.seven@acme.com\n    previously: [person07@acme.com]\n",
    )
    _edit(project, "learning.yaml", "person07@acme.com", "p.seven@acme.com")

    planned = cli("plan", project.root)

    out = planned.stdout
    assert '+ users["p.seven@acme.com"]' in out
    assert (
        'replaces users["person07@acme.com"]: Versal cannot change a user\'s e-mail address, '
        "so this is a new one"
    ) in out
    assert '- users["person07@acme.com"]  (delete)' in out
    assert 'replaced by users["p.seven@acme.com"]' in out
    assert 'also removes enrollments["org_course", "Customer Care", "person07@acme.com"]' in out
    assert "Versal cannot change an e-mail address, so a new address is a new account" in out
    _apply(cli, project)
    members = _members(org)
    assert "person07@acme.com" not in members and old_id != members["p.seven@acme.com"]["user"]["id"]
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_courses_are_named_by_exact_title_or_id_and_ambiguity_is_an_error(
    versal: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    seeded = requests.post(
        f"{versal.url}/_emulator/seed",
        json={"courses": [{"title": "Onboarding"}, {"title": "Onboarding"}]},
        timeout=10,
    )
    seeded.raise_for_status()
    courses = requests.get(
        f"{versal.url}/api2/courses", headers={"SID": KEY}, params={"perPage": 100}, timeout=10
    )
    by_title: dict[str, list[str]] = {}
    for course in courses.json():
        by_title.setdefault(course["title"], []).append(course["id"])
    _configure(project, versal)
    project.write("people.yaml", "users:\n  - email: ann@acme.com\n    roles: [learner]\n")
    project.write(
        "learning.yaml",
        f'enrollments:\n  - course: "{by_title["Customer Care"][0]}"\n    users: [ann@acme.com]\n'
        "  - course: Onboarding\n    users: [ann@acme.com]\n",
    )

    ambiguous = cli("plan", project.root)

    onboarding = ", ".join(sorted(by_title["Onboarding"]))
    assert ambiguous.exit_code == 1
    assert (
        f"project/learning.yaml:4:13: 2 courses in Versal are named 'Onboarding' (ids {onboarding}): "
        "name the one you mean by its id"
    ) in ambiguous.stderr
    project.write(
        "learning.yaml",
        f'enrollments:\n  - course: "{by_title["Customer Care"][0]}"\n    users: [ann@acme.com]\n'
        "  - course: Customer care\n    users: [ann@acme.com]\n",
    )

    missing = cli("plan", project.root)

    assert missing.exit_code == 1
    assert (
        "project/learning.yaml:4:13: course 'Customer care' is neither declared in the manifests nor "
        "present in Versal"
    ) in missing.stderr
    project.write(
        "learning.yaml",
        f'enrollments:\n  - course: "{by_title["Customer Care"][0]}"\n    users: [ann@acme.com]\n'
        f'  - course: "{by_title["Onboarding"][1]}"\n    users: [ann@acme.com]\n',
    )
    _apply(cli, project)
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "groups:\n  - name: crew\n",
            "project/extra.yaml:1:1: Versal cannot manage groups: its Partner API has no groups",
        ),
        (
            "supervisors:\n  - user: a@acme.com\n    revoke: true\n",
            "project/extra.yaml:1:1: Versal cannot manage supervisors: its Partner API has no supervisors",
        ),
        (
            "webhooks:\n  - url: https://hooks.acme.example/x\n",
            "project/extra.yaml:1:1: Versal cannot manage webhooks: its Partner API has no webhooks",
        ),
        (
            "courses:\n  - title: New course\n",
            "project/extra.yaml:1:1: Versal cannot manage courses: its API cannot create or edit courses",
        ),
        (
            "users:\n  - email: b@acme.com\n    active: false\n",
            "project/extra.yaml:3:5: Versal cannot manage users.active: Versal users cannot be deactivated",
        ),
        (
            "users:\n  - email: b@acme.com\n    roles: [admin, learner]\n",
            "project/extra.yaml:3:12: roles: a Versal user holds one organisation role (member: none)",
        ),
        (
            "users:\n  - email: b@acme.com\n    roles: [trainee]\n",
            "project/extra.yaml:3:13: Versal has no role 'trainee' (admin, instructor, learner, member)",
        ),
        (
            "enrollments:\n  - course: Customer Care\n    groups: [crew]\n",
            "project/extra.yaml:3:5: Versal cannot manage enrollments.groups: "
            "Versal's Partner API has no groups",
        ),
    ],
)
def test_validate_refuses_what_versal_cannot_do_before_any_call(
    versal: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, text: str, expected: str
) -> None:
    _configure(project, versal)
    project.write("extra.yaml", text)
    before = len(versal.requests)

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert expected in result.stderr, result.stderr
    assert len(versal.requests) == before


def test_drift_reports_what_changed_outside_git_but_not_what_is_only_re_sent(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    assert cli("drift", project.root).exit_code == 0
    person = _user_id(org, "person02@acme.com")
    publisher = _user_id(org, "person01@acme.com")
    course = next(
        item["id"]
        for item in requests.get(f"{org.url}/api2/courses", headers={"SID": KEY}, timeout=10).json()
        if item["title"] == "Leading Teams"
    )
    requests.put(
        f"{org.url}/api2/orgs/{ORG}/users/{person}",
        json={"roles": ["admin"]},
        headers={"SID": KEY},
        timeout=10,
    ).raise_for_status()
    requests.patch(
        f"{org.url}/api2/courses/{course}/users/{publisher}",
        json={"roles": []},
        headers={"SID": KEY},
        timeout=10,
    ).raise_for_status()

    drift = cli("drift", project.root)

    assert drift.exit_code == 2, drift.output
    assert 'roles  ["admin"] -> ["learner"]' in drift.stdout
    # The publisher lost every course role and is not tracked: Versal shows the pair nowhere, so
    # it is missing (drift), not merely re-sent.
    assert '+ enrollments["org_course", "Leading Teams", "person01@acme.com"]' in drift.stdout
    assert "Drift: 1 to add, 1 to change, 0 to remove." in drift.stdout


def test_descriptions_cannot_be_read_back_so_they_are_sent_again(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _edit(
        project,
        "people.yaml",
        "    first_name: Person4\n",
        "    first_name: Person4\n    short_description: Fire warden\n",
    )
    person = _user_id(org, "person04@acme.com")

    planned = cli("plan", project.root, "--detailed-exitcode")

    assert planned.exit_code == 0, planned.output  # nothing Versal can show differs
    assert "Versal cannot report back the role and short_description of 2 object(s)" in planned.stdout
    since = len(org.requests)
    _apply(cli, project)
    assert ("PUT", f"/users/{person}", {"shortDesc": "Fire warden"}) in _writes(org, since)


@pytest.mark.parametrize("headers", ["x-pagination", "separate"])
def test_either_paging_header_form_alone_reads_every_member(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch, headers: str
) -> None:
    monkeypatch.setenv("VERSAL_API_KEY", KEY)
    options = VersalEmulatorOptions(org_id=ORG, date_fields="date", pagination_headers=headers)  # type: ignore[arg-type]
    with EmulatorServer(create_app(tmp_path / "paged.sqlite3", api_key=KEY, options=options)) as server:
        requests.post(
            f"{server.url}/_emulator/seed",
            json={"courses": [{"title": title} for title in COURSES]},
            timeout=10,
        ).raise_for_status()
        _configure(project, server)
        for name, text in _org().items():
            project.write(name, text)
        _apply(cli, project)

        again = cli("plan", project.root, "--detailed-exitcode")

        assert again.exit_code == 0, again.output
        member_pages = [call for call in server.requests if call.path == f"/api2/orgs/{ORG}/members"]
        assert len(member_pages) == 1 + 3  # empty before the apply; then 3 pages of 20


def test_a_batch_removal_whose_answer_is_lost_still_completes(
    org: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    ids = [_user_id(org, f"person{n}@acme.com") for n in (20, 21, 22)]
    _drop_users(project, [20, 21, 22])
    org.recorder.drop_answers("POST", rf"/api2/orgs/{ORG}/delete_users")
    since = len(org.requests)

    _apply(cli, project)

    calls = [(method, path) for method, path, _ in _writes(org, since) if method != "PATCH"]
    # Versal removed them but the answer was lost; the repeat finds them gone (404), so each is
    # checked on its own, and a 404 there means it is already done.
    assert calls[:2] == [("POST", f"/orgs/{ORG}/delete_users")] * 2
    assert sorted(calls[2:]) == sorted(("DELETE", f"/orgs/{ORG}/users/{user}") for user in ids)
    assert not {"person20@acme.com", "person21@acme.com", "person22@acme.com"} & set(_members(org))
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_members_after_the_first_page_are_read_at_once_with_the_same_requests(versal: EmulatorServer) -> None:
    people = [{"email": f"reader{n:02d}@acme.com", "roles": ["learner"]} for n in range(45)]
    requests.post(f"{versal.url}/_emulator/seed", json={"users": people}, timeout=10).raise_for_status()
    http = HttpClient(
        vendor="versal", base_url=f"{versal.url}/api2", auth=sid_auth(KEY), timeout=10, parallelism=4
    )
    client = VersalClient(http, ORG, page_size=20)
    spread: list[int] = []

    def spread_pages(read: Callable[[int], Any], pages: Iterable[int]) -> Iterator[Any]:
        numbers = list(pages)
        spread.extend(numbers)
        with ThreadPoolExecutor(max_workers=4) as pool:
            yield from pool.map(read, numbers)

    start = len(versal.requests)
    members = [item["user"]["email"] for item in client.members(spread=spread_pages)]

    assert members == [item["user"]["email"] for item in client.members()]  # page by page: the same order
    assert sorted(members) == [f"reader{n:02d}@acme.com" for n in range(45)]
    assert spread == [2, 3]
    pages = sorted(call.query_string for call in versal.requests[start:] if call.path.endswith("/members"))
    assert pages == sorted([f"page={n}&perPage=20" for n in (1, 2, 3)] * 2)
