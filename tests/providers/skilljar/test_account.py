"""A whole Skilljar account over real HTTP: 200 users, 10 groups, 12 courses (8 published), 2 paths,
a plan, group-based enrollments, 4 webhooks and 3 managers; then each kind's create, update and
removal, a bulk create that Skilljar finishes later, and an enrollment whose answer is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls
from tests.oracle import exchange_errors, skilljar_spec

LMSFORM_HOOK_PASSWORD = "hook-secret-CANARY-91c4e7"
USERS = 200
GROUPS = 10
COURSES = 12
PUBLISHED = 8


def _email(n: int) -> str:
    return f"learner{n:03d}@acme.com"


def _people() -> str:
    lines = ["users:"]
    for n in range(USERS):
        lines += [f"  - email: {_email(n)}", f"    first_name: Learner{n}", "    last_name: Acme"]
        lines.append(f"    groups: [team-{n % GROUPS}]")
    return "\n".join(lines) + "\n"


def _groups() -> str:
    return "groups:\n" + "".join(f"  - name: team-{g}\n" for g in range(GROUPS))


def _catalogue() -> str:
    lines = ["courses:"]
    for c in range(COURSES):
        lines += [
            f"  - title: Course {c:02d}",
            f"    short_description: About topic {c}",
            "    labels: [acme]",
        ]
        if c < PUBLISHED:
            lines += ["    published:", f"      slug: course-{c:02d}", "      hidden: false"]
    return "\n".join(lines) + "\n"


def _enrollments() -> str:
    lines = ["enrollments:"]
    for c in range(PUBLISHED):
        lines += [f"  - course: Course {c:02d}", f"    groups: [team-{c % GROUPS}, team-{(c + 1) % GROUPS}]"]
    lines += ["  - path: onboarding", "    groups: [team-0]"]
    lines += ["  - path: compliance", f"    users: [{_email(1)}, {_email(2)}]"]
    lines += ["  - plan: All Access", f"    users: [{_email(3)}]"]
    return "\n".join(lines) + "\n"


def _supervisors() -> str:
    return (
        "supervisors:\n"
        f"  - user: {_email(0)}\n    group: team-0\n    course_access: ALL\n    path_access: ALL\n"
        f"  - user: {_email(10)}\n    group: team-0\n    course_access: SELECTED\n    path_access: NONE\n"
        "    courses: [Course 00, Course 01]\n"
        f"  - user: {_email(21)}\n    group: team-1\n    course_access: SELECTED\n    path_access: SELECTED\n"
        "    paths: [onboarding]\n    can_create_users: true\n"
    )


def _webhooks() -> str:
    return (
        "webhooks:\n"
        "  - url: https://hooks.acme.example/completions\n"
        "    events: [COURSE_COMPLETION, PATH_COMPLETION]\n"
        "    basic_auth_username: skilljar\n"
        "    basic_auth_password: ${LMSFORM_HOOK_PASSWORD}\n"
        "  - url: https://hris.acme.example/lms\n"
        "    events: [COURSE_ENROLLMENT, DOMAIN_ENROLLMENT]\n"
    )


@pytest.fixture
def account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """An emulator whose domain has two learning paths and a plan, which lmsform cannot create."""
    monkeypatch.setenv("LMSFORM_HOOK_PASSWORD", LMSFORM_HOOK_PASSWORD)
    options = SkilljarEmulatorOptions(domains=(DOMAIN,), bulk_create_delay_s=0.3)
    with EmulatorServer(
        create_app(tmp_path / "account.sqlite3", api_key=CANARY_KEY, options=options)
    ) as server:
        seed = {
            "paths": [
                {"domain": DOMAIN, "slug": "onboarding", "title": "Onboarding"},
                {"domain": DOMAIN, "slug": "compliance", "title": "Compliance"},
            ],
            "plans": [{"domain": DOMAIN, "name": "All Access", "slug": "all-access"}],
        }
        requests.post(f"{server.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
        yield server


def _write_account(project: ProjectDir, url: str, *, manage: str) -> None:
    project.configure(url, manage=manage)
    project.write("people.yaml", _people())
    project.write("groups.yaml", _groups())
    project.write("catalogue.yaml", _catalogue())
    project.write("enrollments.yaml", _enrollments())
    project.write("supervisors.yaml", _supervisors())
    project.write("integrations.yaml", _webhooks())


AUTHORITATIVE = "\n".join(
    f"{kind}: authoritative" for kind in ("users", "memberships", "courses", "enrollments", "webhooks")
)


def _state(server: EmulatorServer) -> dict[str, Any]:
    dump: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return dump


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_a_whole_account_applies_then_plans_with_no_changes(
    account: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _write_account(project, account.url, manage=AUTHORITATIVE)

    applied = _apply(cli, project)
    again = cli("plan", project.root, "--detailed-exitcode")

    # 200 users, 10 groups, 200 memberships, 12 courses, 8 publications, 4 webhooks, and enrollments:
    # 8 courses x 2 groups x 20 members, the onboarding path's 20, 2 in compliance, 1 in the plan.
    assert "Plan: 777 to add, 0 to change, 0 to remove, 3 to send that cannot be read back." in applied
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"No changes. Skilljar {DOMAIN} matches the manifests.\n")
    assert "cannot report back 3 write-only setting(s)" in again.stdout
    state = _state(account)
    assert len(state["manager_access"]) == 3
    calls = api_calls(account)
    assert sum(1 for call in calls if call.path.endswith("/users/bulk-create")) == 1
    assert not any(call.method == "POST" and call.path == f"/v1/domains/{DOMAIN}/users" for call in calls)
    assert LMSFORM_HOOK_PASSWORD not in applied + again.stdout
    assert exchange_errors(skilljar_spec(), calls) == []


# --- each kind's create, update and removal, on a compact account ------------------------------------

SMALL = {
    "people.yaml": """
users:
  - email: ann@acme.com
    first_name: Ann
    groups: [ops]
  - email: bob@acme.com
    first_name: Bob
    groups: [ops]
  - email: cy@acme.com
    first_name: Cy
groups:
  - name: ops
""",
    "catalogue.yaml": """
courses:
  - title: Safety 101
    short_description: Stay safe.
    labels: [safety]
    published:
      slug: safety-101
  - title: Draft course
    short_description: Not out yet.
""",
    "enrollments.yaml": """
enrollments:
  - course: Safety 101
    groups: [ops]
  - course: Safety 101
    users: [cy@acme.com]
    expires_at: 2027-01-01T00:00:00Z
""",
    "integrations.yaml": """
webhooks:
  - url: https://hooks.acme.example/lms
    events: [COURSE_COMPLETION, COURSE_ENROLLMENT]
    basic_auth_username: lms
    basic_auth_password: ${LMSFORM_HOOK_PASSWORD}
""",
    "supervisors.yaml": """
supervisors:
  - user: ann@acme.com
    group: ops
    course_access: SELECTED
    path_access: NONE
    courses: [Safety 101]
""",
}


@pytest.fixture
def small(account: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> EmulatorServer:
    project.configure(account.url, manage=AUTHORITATIVE)
    for name, text in SMALL.items():
        project.write(name, text)
    _apply(cli, project)
    return account


def _edit(project: ProjectDir, name: str, old: str, new: str) -> None:
    text = SMALL[name] if not (project.root / name).exists() else (project.root / name).read_text()
    assert old in text, old
    project.write(name, text.replace(old, new))


def _writes_of(
    server: EmulatorServer, cli: CliRunnerCall, project: ProjectDir, *, grants: bool = False
) -> list[tuple[str, str, Any]]:
    """The writes one apply makes; the grants every apply sends again are left out unless asked for."""
    before = len(server.requests)
    _apply(cli, project)
    calls = [
        call
        for call in api_calls(server, since=before)
        if call.method != "GET" and (grants or not call.path.endswith("/manager-access"))
    ]
    assert exchange_errors(skilljar_spec(), api_calls(server, since=before)) == []
    return [(call.method, call.path, json.loads(call.body) if call.body else None) for call in calls]


def _course(server: EmulatorServer, title: str) -> dict[str, Any]:
    return next(course for course in _state(server)["courses"] if course["title"] == title)


def test_small_account_converges(small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> None:
    again = cli("plan", project.root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert _course(small, "Safety 101")["title"] == "Safety 101"
    assert LMSFORM_HOOK_PASSWORD not in again.stdout


def test_course_update_rename_and_removal(
    small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    course_id = _course(small, "Safety 101")["id"]
    _edit(project, "catalogue.yaml", "short_description: Stay safe.", "short_description: Stay safer.")
    assert _writes_of(small, cli, project) == [
        ("PATCH", f"/v1/courses/{course_id}", {"short_description": "Stay safer."})
    ]

    _edit(
        project,
        "catalogue.yaml",
        "  - title: Safety 101\n",
        "  - title: Safety Basics\n    previously: [Safety 101]\n",
    )
    _edit(project, "enrollments.yaml", "course: Safety 101", "course: Safety Basics")
    _edit(project, "supervisors.yaml", "courses: [Safety 101]", "courses: [Safety Basics]")
    plan = cli("plan", project.root)
    assert "renames it from 'Safety 101'" in plan.stdout
    assert "Plan: 0 to add, 1 to change, 0 to remove, 1 to send that cannot be read back." in plan.stdout
    assert [call[:2] for call in _writes_of(small, cli, project) if call[1].startswith("/v1/courses")] == [
        ("PATCH", f"/v1/courses/{course_id}")
    ]

    _edit(project, "catalogue.yaml", "  - title: Draft course\n    short_description: Not out yet.\n", "")
    draft_id = _course(small, "Draft course")["id"]
    assert [call[:2] for call in _writes_of(small, cli, project)] == [("DELETE", f"/v1/courses/{draft_id}")]
    assert "Draft course" not in {course["title"] for course in _state(small)["courses"]}
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_courses_lmsform_does_not_own_are_never_removed(
    small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    seed = {"courses": [{"title": "Made in the dashboard", "short_description": "theirs", "labels": []}]}
    requests.post(f"{small.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()

    plan = cli("plan", project.root, "--detailed-exitcode")

    assert plan.exit_code == 0, plan.output
    assert (
        "Warning: 1 live courses left alone: "
        "it was not created or adopted by lmsform (it has no 'lmsform' label)" in plan.stdout
    )


def test_publication_settings_and_irreversible_unpublish(
    small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _edit(
        project, "catalogue.yaml", "      slug: safety-101\n", "      slug: safety-101\n      hidden: true\n"
    )
    [(method, _, body)] = [call for call in _writes_of(small, cli, project) if "published-courses" in call[1]]
    assert (method, body) == ("PATCH", {"hidden": True})

    _edit(
        project,
        "catalogue.yaml",
        "    published:\n      slug: safety-101\n      hidden: true\n",
        "    published: false\n",
    )
    _edit(project, "enrollments.yaml", SMALL["enrollments.yaml"].strip(), "enrollments: []")
    _edit(project, "supervisors.yaml", "courses: [Safety 101]", "courses: []")
    plan = cli("plan", project.root)
    assert '- publications["Safety 101"]  (delete)' in plan.stdout
    assert "cannot be undone on Skilljar" in plan.stdout
    assert "# also removes enrollments[" in plan.stdout
    deletes = [call for call in _writes_of(small, cli, project) if call[0] == "DELETE"]
    assert len(deletes) == 1 and "/published-courses/" in deletes[0][1]
    assert _state(small)["published_courses"] == []
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_enrollment_create_update_and_deactivation(
    small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _edit(project, "enrollments.yaml", "expires_at: 2027-01-01T00:00:00Z", "expires_at: 2027-03-01T00:00:00Z")
    [(method, _, body)] = _writes_of(small, cli, project)[:1]
    assert (method, body) == ("PATCH", {"expires_at": "2027-03-01T00:00:00Z"})

    _edit(project, "people.yaml", "  - email: bob@acme.com\n    first_name: Bob\n    groups: [ops]\n",
          "  - email: bob@acme.com\n    first_name: Bob\n")  # fmt: skip
    plan = cli("plan", project.root)
    assert '- memberships["ops", "bob@acme.com"]  (delete)' in plan.stdout
    assert '- enrollments["course", "Safety 101", "bob@acme.com"]  (deactivate)' in plan.stdout
    writes = _writes_of(small, cli, project)
    assert [(method, body) for method, _, body in writes if "enrollments" in _] == [
        ("PATCH", {"active": False})
    ]
    bob = [
        item for item in _state(small)["enrollments"] if item["user_id"] == _user_id(small, "bob@acme.com")
    ]
    assert [item["active"] for item in bob] == [False]

    _edit(project, "people.yaml", "  - email: bob@acme.com\n    first_name: Bob\n",
          "  - email: bob@acme.com\n    first_name: Bob\n    groups: [ops]\n")  # fmt: skip
    plan = cli("plan", project.root)
    assert '~ enrollments["course", "Safety 101", "bob@acme.com"]' in plan.stdout
    assert "via group ops" in plan.stdout
    _apply(cli, project)
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def _user_id(server: EmulatorServer, email: str) -> str:
    return str(next(user["id"] for user in _state(server)["users"] if user["email"] == email))


def test_webhooks_create_update_delete_and_keep_the_password_secret(
    small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    hooks = {hook["event_type"]: hook for hook in _state(small)["webhooks"]}
    assert set(hooks) == {"COURSE_COMPLETION", "COURSE_ENROLLMENT"}
    assert {hook["basic_auth_password"] for hook in hooks.values()} == {LMSFORM_HOOK_PASSWORD}

    _edit(
        project,
        "integrations.yaml",
        "    basic_auth_username: lms\n",
        "    basic_auth_username: lms\n    active: false\n",
    )
    writes = _writes_of(small, cli, project)
    assert sorted(method for method, _, _ in writes) == ["PATCH", "PATCH"]
    assert all(body["active"] is False for _, _, body in writes)

    _edit(
        project,
        "integrations.yaml",
        "events: [COURSE_COMPLETION, COURSE_ENROLLMENT]",
        "events: [COURSE_COMPLETION]",
    )
    assert _writes_of(small, cli, project) == [
        ("DELETE", f"/v1/webhooks/{hooks['COURSE_ENROLLMENT']['id']}", None)
    ]

    result = cli("plan", project.root, "--verbose")
    assert LMSFORM_HOOK_PASSWORD not in result.output


def test_a_webhook_password_written_inline_is_refused(
    project: ProjectDir, cli: CliRunnerCall, small: EmulatorServer
) -> None:
    _edit(project, "integrations.yaml", "${LMSFORM_HOOK_PASSWORD}", "hunter2-inline")

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert (
        "basic_auth_password must come from the environment: write ${VARIABLE_NAME}, not the value"
        in result.stderr
    )
    assert "hunter2" not in result.output


def test_supervisor_grants_are_sent_again_and_can_be_revoked(
    small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    [grant] = _state(small)["manager_access"]
    assert grant["course_access_level"] == "SELECTED"

    _edit(
        project,
        "supervisors.yaml",
        "    courses: [Safety 101]\n",
        "    courses: [Safety 101]\n  - user: bob@acme.com\n    revoke: true\n",
    )
    writes = _writes_of(small, cli, project, grants=True)
    ann, bob = _user_id(small, "ann@acme.com"), _user_id(small, "bob@acme.com")
    assert sorted((method, path) for method, path, _ in writes) == [
        ("DELETE", f"/v1/domains/{DOMAIN}/users/{bob}/manager-access"),
        ("PUT", f"/v1/domains/{DOMAIN}/users/{ann}/manager-access"),
    ]


def test_groups_with_membership_rules_are_not_fought(
    small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    session = requests.Session()
    session.auth = (CANARY_KEY, "")
    session.post(
        f"{small.url}/v1/groups", json={"name": "acme-staff", "rule_email_domains": ["acme.com"]}, timeout=10
    ).raise_for_status()
    signup = {"domain": DOMAIN, "email": "newcomer@acme.com", "first_name": "New"}
    requests.post(f"{small.url}/_emulator/signup", json=signup, timeout=10).raise_for_status()
    project.write("staff.yaml", "groups:\n  - name: acme-staff\n    members: [ann@acme.com]\n")

    plan = cli("plan", project.root)

    # Skilljar put the newcomer in the group by its e-mail-domain rule: lmsform adds Ann, removes nobody.
    assert '+ memberships["acme-staff", "ann@acme.com"]' in plan.stdout
    assert 'memberships["acme-staff", "newcomer@acme.com"]' not in plan.stdout
    assert (
        "Warning: 1 live memberships left alone: "
        "Skilljar adds members to group 'acme-staff' by e-mail domains acme.com" in plan.stdout
    )


def test_an_enrollment_whose_answer_is_lost_is_retried_without_a_duplicate(
    small: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _edit(project, "enrollments.yaml", "users: [cy@acme.com]", "users: [cy@acme.com, dee@acme.com]")
    _edit(
        project,
        "people.yaml",
        "  - email: cy@acme.com\n",
        "  - email: dee@acme.com\n  - email: cy@acme.com\n",
    )
    small.recorder.drop_answers("POST", r"/v1/domains/[^/]+/published-courses/[^/]+/enrollments")
    before = len(small.requests)

    _apply(cli, project)

    posts = [
        call
        for call in api_calls(small, since=before)
        if call.method == "POST" and call.path.endswith("/enrollments")
    ]
    assert [call.dropped for call in posts] == [True, False]
    assert posts[0].body == posts[1].body  # the same enrolled_at: Skilljar's idempotency key
    dee = _user_id(small, "dee@acme.com")
    assert len([item for item in _state(small)["enrollments"] if item["user_id"] == dee]) == 1
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0
