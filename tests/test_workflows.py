"""Team workflows over real HTTP: saved plans and staleness, drift, formats and redaction, safety
rules (thresholds, protect, lock-out guard, ignore), group renames, and export."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import ClassVar

import pytest

from lmsform import app
from lmsform.manifest import load_project
from lmsform.output.redaction import pseudonym
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.provider import SkilljarProvider
from lmsform.state import State
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, writes
from tests.skilljar_api import SkilljarApi

PEOPLE = """
users:
  - email: jane.doe@acme.com
    first_name: Jane
    last_name: Doe
    groups: [engineering]
  - email: bob.smith@acme.com
    first_name: Bob
    last_name: Smith
groups:
  - name: engineering
"""


LMSFORM_HOOK_PASSWORD = "hook-password-CANARY-5e1"
HOOK = (
    "webhooks:\n  - url: https://hooks.acme.example/lms\n    events: [COURSE_COMPLETION]\n"
    "    basic_auth_password: ${LMSFORM_HOOK_PASSWORD}\n"
)


def _team(size: int) -> str:
    return "users:\n" + "".join(
        f"  - email: learner{n:02d}@acme.com\n    first_name: L{n}\n" for n in range(size)
    )


# --- saved plans ------------------------------------------------------------------------------------


def test_a_saved_plan_applies_exactly_and_holds_no_secret(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LMSFORM_HOOK_PASSWORD", LMSFORM_HOOK_PASSWORD)
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    project.write("hooks.yaml", HOOK)
    plan_file = project.root / "plan.json"

    planned = cli("plan", project.root, "--out", plan_file, "--detailed-exitcode")
    before = len(skilljar.requests)
    applied = cli("apply", plan_file)

    assert planned.exit_code == 2
    document = json.loads(plan_file.read_text())
    assert document["format_version"] == 1 and document["project"] == "."
    assert CANARY_KEY not in plan_file.read_text() and LMSFORM_HOOK_PASSWORD not in plan_file.read_text()
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 5 added, 0 changed, 0 removed." in applied.stdout
    assert len(writes(skilljar, since=before)) == 5
    # The password came from the environment at apply time, not from the plan.
    hook = SkilljarApi(skilljar.url)._all("/v1/webhooks")[0]
    assert hook["basic_auth_password"] == LMSFORM_HOOK_PASSWORD
    shown = cli("show", plan_file)
    assert shown.exit_code == 0 and "Plan: 5 to add, 0 to change, 0 to remove." in shown.stdout
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def test_a_saved_plan_is_refused_when_the_manifests_changed(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    plan_file = project.root / "plan.json"
    cli("plan", project.root, "--out", plan_file)
    project.write("people.yaml", PEOPLE.replace("first_name: Bob", "first_name: Robert"))

    result = cli("apply", plan_file)

    assert result.exit_code == 1
    assert "Error: stale plan" in result.stderr
    assert "the manifests changed since the plan was made" in result.stderr
    assert writes(skilljar) == []


def test_a_saved_plan_is_refused_when_a_live_object_it_touches_changed(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    api = SkilljarApi(skilljar.url)
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    project.write("people.yaml", PEOPLE.replace("first_name: Bob", "first_name: Robert"))
    plan_file = project.root / "plan.json"
    cli("plan", project.root, "--out", plan_file)
    bob = next(
        item for item in api._all(f"/v1/domains/{DOMAIN}/users") if item["user"]["email"].startswith("bob")
    )
    api._call("PATCH", f"/v1/users/{bob['user']['id']}", json={"last_name": "Changed-in-dashboard"})
    api.add_user("new.hire@acme.com")  # an object the plan does not depend on changes nothing
    before = len(skilljar.requests)

    result = cli("apply", plan_file)

    assert result.exit_code == 1
    assert 'users["bob.smith@acme.com"] was changed in Skilljar since the plan was made' in result.stderr
    assert writes(skilljar, since=before) == []


def test_a_saved_plan_is_refused_when_an_object_it_creates_appeared(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    plan_file = project.root / "plan.json"
    cli("plan", project.root, "--out", plan_file)
    SkilljarApi(skilljar.url).add_group("engineering")

    result = cli("apply", plan_file)

    assert result.exit_code == 1
    assert 'groups["engineering"] was created in Skilljar since the plan was made' in result.stderr


def test_an_edited_plan_file_is_refused(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    plan_file = project.root / "plan.json"
    cli("plan", project.root, "--out", plan_file)
    plan_file.write_text(plan_file.read_text().replace('"Bob"', '"Mallory"'))

    result = cli("apply", plan_file)

    assert result.exit_code == 1
    assert "the plan's changes do not match its checksum: it was edited" in result.stderr
    assert writes(skilljar) == []


# --- drift ------------------------------------------------------------------------------------------


def test_drift_exit_codes_and_report(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url, manage="memberships: authoritative")
    project.write("people.yaml", PEOPLE)
    cli("apply", project.root, "--auto-approve")
    in_sync = cli("drift", project.root)
    api = SkilljarApi(skilljar.url)
    group_id = next(group["id"] for group in api._all("/v1/groups"))
    api.add_member(group_id, api.add_user("intruder@acme.com"))

    drifted = cli("drift", project.root, "--format", "json")

    assert in_sync.exit_code == 0 and in_sync.stdout.startswith("No drift.")
    assert drifted.exit_code == 2
    report = json.loads(drifted.stdout)
    assert report["report"] == "drift"
    assert [change["address"] for change in report["changes"]] == [
        'memberships["engineering", "intruder@acme.com"]'
    ]


# --- output formats and redaction ----------------------------------------------------------------------


def test_redacted_output_shows_no_learner_email_or_name(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "a redaction key of the test run"
    monkeypatch.setenv("LMSFORM_REDACT_KEY", key)
    project.configure(skilljar.url, extra="output:\n  redact: emails\n")
    project.write("people.yaml", PEOPLE)

    outputs = [cli("plan", project.root, "--format", fmt).stdout for fmt in ("text", "markdown")]
    as_json = cli("plan", project.root, "--format", "json").stdout

    for output in outputs:
        assert pseudonym("jane.doe@acme.com", key.encode()) in output
        assert pseudonym("bob.smith@acme.com", key.encode()) in output
        assert not re.search(r"\b(jane\.doe|bob\.smith)@", output)
        assert "Jane" not in output and "Smith" not in output
    assert "jane.doe@acme.com" in as_json  # JSON keeps keys exact: the applier needs them
    assert (
        cli("plan", project.root, "--format", "text", "--redact", "none").stdout.count("jane.doe@acme.com")
        >= 1
    )


def test_markdown_is_a_sticky_pull_request_comment(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", _team(12) + "groups:\n  - name: engineering\n")

    markdown = cli("plan", project.root, "--format", "markdown").stdout

    lines = markdown.splitlines()
    assert lines[0] == "<!-- lmsform:plan -->"
    assert "| Kind | Add | Change | Remove | Send (unreadable) |" in lines
    assert "| users | 12 | 0 | 0 | 0 |" in lines
    assert "<summary><b>users: 12 changes</b></summary>" in lines  # long lists are collapsed
    assert "#### groups: 1 change" in lines
    assert '+ users["learner00@acme.com"]' in lines


# --- safety --------------------------------------------------------------------------------------------


def test_removals_over_the_threshold_are_refused_unless_forced(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url, manage="users: authoritative")
    project.write("people.yaml", _team(12))
    cli("apply", project.root, "--auto-approve")
    project.write("people.yaml", _team(7))
    before = len(skilljar.requests)

    planned = cli("plan", project.root)
    refused = cli("apply", project.root, "--auto-approve")

    assert planned.exit_code == 1
    assert "Plan: 0 to add, 0 to change, 5 to remove." in planned.stdout  # the plan is shown first
    assert "Too many removals of users: 42 % (5/12) is over 30 %" in planned.stderr
    assert refused.exit_code == 1 and writes(skilljar, since=before) == []
    forced = cli("apply", project.root, "--auto-approve", "--force")
    assert forced.exit_code == 0 and len(writes(skilljar, since=before)) == 5


def test_per_kind_thresholds_and_the_minimum_count(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    safety = "safety:\n  min_existing: 5\n  kinds:\n    users:\n      max_update_percent: 10\n"
    project.configure(skilljar.url, extra=safety)
    project.write("people.yaml", _team(6))
    cli("apply", project.root, "--auto-approve")
    project.write("people.yaml", _team(6).replace("first_name: L0", "first_name: X0"))

    result = cli("plan", project.root)

    assert result.exit_code == 1
    assert "Too many updates of users: 17 % (1/6) is over 10 %" in result.stderr


def test_protected_objects_are_never_removed_even_after_leaving_the_manifests(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    protect = "protect:\n  users: [jane.doe@acme.com]\n  memberships: ['engineering/*']\n"
    project.configure(skilljar.url, manage="users: authoritative\nmemberships: authoritative", extra=protect)
    project.write("people.yaml", PEOPLE)
    cli("apply", project.root, "--auto-approve")
    project.write("people.yaml", "users:\n  - email: bob.smith@acme.com\ngroups:\n  - name: engineering\n")
    before = len(skilljar.requests)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "jane.doe" not in "".join(line for line in result.stdout.splitlines() if line.startswith("  -"))
    assert "is protected (listed under protect: in lmsform.yaml)" in result.stdout
    assert writes(skilljar, since=before) == []
    assert SkilljarApi(skilljar.url).users()["jane.doe@acme.com"]["active"] is True


def test_a_protected_user_declared_inactive_is_not_demoted(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url, extra="protect:\n  users: ['*@acme.com']\n")
    project.write("people.yaml", PEOPLE)
    cli("apply", project.root, "--auto-approve")
    project.write(
        "people.yaml", PEOPLE.replace("    last_name: Smith\n", "    last_name: Smith\n    active: false\n")
    )

    result = cli("plan", project.root, "--detailed-exitcode")

    assert result.exit_code == 0
    assert 'users["bob.smith@acme.com"] is left as it is' in result.stdout


class _KeyOwnerGuarded(SkilljarProvider):
    """A vendor whose API says who owns the API key: that user can never be removed or demoted."""

    OWNER: ClassVar[str] = "jane.doe@acme.com"

    def guarded(self, live: State) -> dict[tuple[str, tuple[str, ...]], str]:
        return {("users", (self.OWNER,)): "it owns the API key lmsform uses (lock-out guard)"}


def test_the_lock_out_guard_keeps_the_key_owner(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url, manage="users: authoritative")
    project.write("people.yaml", PEOPLE)
    cli("apply", project.root, "--auto-approve")
    project.write("people.yaml", "users:\n  - email: bob.smith@acme.com\n")
    loaded = load_project(
        project.root, providers={"skilljar": _KeyOwnerGuarded}, environ={"SKILLJAR_API_KEY": CANARY_KEY}
    )

    with app.connect(loaded) as provider:
        planned, _ = app.plan(loaded, provider)

    assert [change.address for change in planned.changes] == []
    assert any("owns the API key lmsform uses" in warning for warning in planned.warnings)


def test_ignored_objects_are_neither_reported_nor_touched(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    api = SkilljarApi(skilljar.url)
    group_id = api.add_group("engineering")
    api.add_member(group_id, api.add_user("robot@test.acme.com"))
    project.configure(
        skilljar.url,
        manage="users: authoritative\nmemberships: authoritative",
        extra="ignore:\n  users: ['*@test.acme.com']\n",
    )
    project.write("people.yaml", PEOPLE)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "robot" not in result.output
    assert "robot@test.acme.com" in api.groups()["engineering"]
    project.write("robots.yaml", "users:\n  - email: robot@test.acme.com\n")
    refused = cli("validate", project.root)
    assert refused.exit_code == 1
    assert (
        "user 'robot@test.acme.com' is declared here but ignored (see ignore: in lmsform.yaml)"
        in refused.stderr
    )


def test_a_group_rename_with_previously_is_one_update(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url, manage="groups: authoritative\nmemberships: authoritative")
    project.write("people.yaml", PEOPLE)
    cli("apply", project.root, "--auto-approve")
    group_id = next(group["id"] for group in SkilljarApi(skilljar.url)._all("/v1/groups"))
    project.write(
        "people.yaml",
        PEOPLE.replace("groups: [engineering]", "groups: [platform]").replace(
            "  - name: engineering\n", "  - name: platform\n    previously: [engineering]\n"
        ),
    )
    before = len(skilljar.requests)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "Plan: 0 to add, 1 to change, 0 to remove." in result.stdout
    [(method, path)] = writes(skilljar, since=before)
    assert (method, path) == ("PATCH", f"/v1/groups/{group_id}")
    assert SkilljarApi(skilljar.url).groups() == {"platform": {"jane.doe@acme.com"}}


# --- export --------------------------------------------------------------------------------------------


def test_export_then_validate_then_plan_shows_no_changes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    import requests

    seed = {
        "users": [
            {"email": "ann@acme.com", "first_name": "Ann", "domains": [{"name": DOMAIN}]},
            {"email": "bo@acme.com", "domains": [{"name": DOMAIN, "active": False}]},
            {"email": "outsider@other.com", "domains": []},
        ],
        "groups": [{"name": "ops", "members": ["ann@acme.com", "bo@acme.com", "outsider@other.com"]}],
        "courses": [
            {
                "title": "Safety",
                "short_description": "Stay safe",
                "labels": ["safety"],
                "published_on": [DOMAIN],
            },
            {"title": "Draft", "short_description": "Later", "labels": []},
        ],
        "paths": [{"domain": DOMAIN, "slug": "onboarding", "title": "Onboarding"}],
        "enrollments": [
            {
                "domain": DOMAIN,
                "course": "Safety",
                "email": "ann@acme.com",
                "enrolled_at": "2026-01-01T00:00:00Z",
            },
            {
                "domain": DOMAIN,
                "path": "onboarding",
                "email": "ann@acme.com",
                "enrolled_at": "2026-01-01T00:00:00Z",
            },
        ],
        "webhooks": [
            {"target_url": "https://hooks.example/a", "event_type": "COURSE_COMPLETION"},
            {"target_url": "https://hooks.example/a", "event_type": None, "active": False},
        ],
    }
    requests.post(f"{skilljar.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
    project.configure(skilljar.url)
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / "lmsform.yaml").write_text((project.root / "lmsform.yaml").read_text())

    result = cli("export", exported)

    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in exported.glob("*.yaml")) == [
        "courses.yaml", "domain.yaml", "enrollments.yaml", "groups.yaml", "instructors.yaml",
        "lmsform.yaml", "paths.yaml", "sessions.yaml", "users.yaml", "webhooks.yaml",
    ]  # fmt: skip
    assert "outsider" not in (exported / "groups.yaml").read_text()
    assert cli("validate", exported).exit_code == 0
    replan = cli("plan", exported, "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output
    assert cli("export", exported).exit_code == 1  # never overwrites
