"""Attacks on `protect:` and the thresholds through lmsform.yaml itself: a pull request can edit it, so
the environment's LMSFORM_POLICY (set by the workflow on the default branch) adds protection and
thresholds that no manifest can take away or loosen. Real Skilljar emulator; the requests it received
are checked, not what lmsform reads back."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from lmsform.errors import ManifestError
from lmsform.policy import strictest, trusted_policy
from lmsform.project_config import ProjectConfig
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import DOMAIN, CliRunnerCall, ProjectDir, writes
from tests.test_cascades import CEO, GROUPS_AUTHORITATIVE, ONLY_BOARD, OPS, _skilljar_members

POLICY = "protect:\n  users: [ceo@acme.com]\nsafety:\n  max_remove_percent: 10\n"


def _seed(skilljar: EmulatorServer, count: int) -> None:
    people = [
        {"email": f"u{n:02d}@acme.com", "domains": [{"name": DOMAIN, "active": True}]} for n in range(count)
    ]
    people.append({"email": "ceo@acme.com", "domains": [{"name": DOMAIN, "active": True}]})
    requests.post(f"{skilljar.url}/_emulator/seed", json={"users": people}, timeout=30).raise_for_status()


def _declare_everyone_but(project: ProjectDir, count: int, *, dropped: set[str]) -> None:
    emails = [f"u{n:02d}@acme.com" for n in range(count)] + ["ceo@acme.com"]
    kept = "".join(f"  - email: {email}\n" for email in emails if email not in dropped)
    project.write("people.yaml", "users:\n" + kept)


def test_attack_a_pull_request_that_drops_protection_and_the_ceo_together_is_left_out(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """lmsform.yaml no longer protects anyone, and the CEO leaves the manifests in the same pull
    request: the trusted policy still protects the CEO."""
    _seed(skilljar, 20)
    project.configure(skilljar.url, manage="users: authoritative")
    _declare_everyone_but(project, 20, dropped={"ceo@acme.com"})
    before = len(skilljar.requests)

    result = cli("apply", project.root, "--auto-approve", env={"LMSFORM_POLICY": POLICY})

    assert result.exit_code == 0, result.output
    assert 'users["ceo@acme.com"] is left as it is' in result.output
    assert writes(skilljar, since=before) == []
    unprotected = cli("plan", project.root)
    assert 'users["ceo@acme.com"]' in unprotected.output and "is left as it is" not in unprotected.output


def test_attack_a_pull_request_that_raises_the_removal_threshold_is_held_to_the_policy(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """lmsform.yaml says 100 %, the policy 10 %: removing 5 of 21 users (24 %) is refused."""
    _seed(skilljar, 20)
    project.configure(
        skilljar.url,
        manage="users: authoritative",
        extra="safety:\n  max_remove_percent: 100\n  kinds:\n    users: {max_remove_percent: 100}\n",
    )
    _declare_everyone_but(project, 20, dropped={f"u{n:02d}@acme.com" for n in range(5)})
    before = len(skilljar.requests)

    refused = cli("apply", project.root, "--auto-approve", env={"LMSFORM_POLICY": POLICY})

    assert refused.exit_code == 1
    assert "Too many removals of users: 24 % (5/21) is over 10 %" in refused.stderr
    assert writes(skilljar, since=before) == []
    allowed = cli("plan", project.root)
    assert allowed.exit_code == 0, allowed.output


def test_the_stricter_of_the_project_and_the_policy_holds() -> None:
    config = ProjectConfig.model_validate(
        {
            "provider": {"type": "skilljar"},
            "protect": {"users": ["board@acme.com"]},
            "safety": {
                "max_remove_percent": 5,
                "min_existing": 50,
                "kinds": {"groups": {"max_update_percent": 1}},
            },
        }
    )
    policy = trusted_policy(
        {"LMSFORM_POLICY": POLICY + "  min_existing: 3\n  kinds:\n    groups: {max_update_percent: 20}\n"}
    )

    merged = strictest(config, policy)

    assert merged.protected("users") == ["board@acme.com", "ceo@acme.com"]
    assert merged.safety.limits("users") == (5, 30)  # the project's 5 % is lower than the policy's 10 %
    assert merged.safety.limits("groups") == (5, 1)
    assert merged.safety.min_existing == 3


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("protect: [ceo]", "protect: Input should be a valid dictionary"),
        ("safety: {max_remove_percent: 300}", "safety.max_remove_percent"),
        ("protect: {users: [a}", "it is not YAML"),
        ("ignore: {users: ['*']}", "ignore: Extra inputs are not permitted"),
    ],
)
def test_a_policy_that_is_not_one_is_an_error_naming_the_variable(value: str, problem: str) -> None:
    with pytest.raises(ManifestError) as refused:
        trusted_policy({"LMSFORM_POLICY": value})

    assert "LMSFORM_POLICY (environment)" in str(refused.value)
    assert problem in str(refused.value)


def test_a_bad_policy_stops_validate_with_nothing_read(
    project: ProjectDir, cli: CliRunnerCall, tmp_path: Path
) -> None:
    project.configure("sandbox")

    result = cli("validate", project.root, env={"LMSFORM_POLICY": "safety: {max_remove_percent: x}"})

    assert result.exit_code == 1
    assert "LMSFORM_POLICY (environment): safety.max_remove_percent" in result.output


# --- found by an adversarial review: the policy's own rails -------------------------------------------


def _two_groups(skilljar: EmulatorServer) -> None:
    people = [*OPS, CEO]
    seed_groups = [{"name": "ops", "members": OPS}, {"name": "board", "members": [CEO]}]
    _seed_document(
        skilljar,
        {
            "users": [{"email": email, "domains": [{"name": DOMAIN}]} for email in people],
            "groups": seed_groups,
        },
    )


def _seed_document(skilljar: EmulatorServer, document: dict[str, object]) -> None:
    requests.post(f"{skilljar.url}/_emulator/seed", json=document, timeout=30).raise_for_status()


def test_attack_a_huge_min_existing_cannot_switch_the_policy_thresholds_off(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The policy sets thresholds but no min_existing; the pull request sets min_existing: 1,000,000,
    so no kind would ever have enough objects for a threshold to apply: dropping `ops` would take 30
    of 31 memberships. Unset in the policy, min_existing keeps its default as a ceiling."""
    _two_groups(skilljar)
    project.configure(skilljar.url, manage=GROUPS_AUTHORITATIVE, extra="safety:\n  min_existing: 1000000\n")
    project.write("groups.yaml", ONLY_BOARD)
    before = len(skilljar.requests)
    policy = "safety:\n  max_remove_percent: 10\n  kinds:\n    memberships: {max_remove_percent: 5}\n"

    refused = cli("apply", project.root, "--auto-approve", env={"LMSFORM_POLICY": policy})

    assert refused.exit_code == 1
    assert "Too many removals of memberships: 97 % (30/31) is over 5 %" in refused.stderr
    assert writes(skilljar, since=before) == []
    assert "ops" in _skilljar_members(skilljar)


def test_attack_policy_protection_cannot_be_shed_by_a_rename_the_project_protects(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The policy protects `board`. Pull request 1 renames it `board2` and lists `board2` under the
    project's own protect:; pull request 2 would drop that line and the group. Only the policy can
    let its protection follow a rename: the first pull request is refused."""
    _seed_document(
        skilljar,
        {
            "users": [{"email": CEO, "domains": [{"name": DOMAIN}]}],
            "groups": [{"name": "board", "members": [CEO]}],
        },
    )
    project.configure(skilljar.url, manage="groups: authoritative", extra="protect:\n  groups: [board2]\n")
    project.write("groups.yaml", "groups:\n  - name: board2\n    previously: [board]\n")
    policy = "protect:\n  groups: [board]\n"
    before = len(skilljar.requests)

    refused = cli("apply", project.root, "--auto-approve", env={"LMSFORM_POLICY": policy})

    assert refused.exit_code == 1
    assert "protected by LMSFORM_POLICY (the environment)" in refused.stderr
    assert writes(skilljar, since=before) == []
    followed = cli(
        "apply",
        project.root,
        "--auto-approve",
        env={"LMSFORM_POLICY": "protect:\n  groups: [board, board2]\n"},
    )
    assert followed.exit_code == 0, followed.output
    assert set(_skilljar_members(skilljar)) == {"board2"}
