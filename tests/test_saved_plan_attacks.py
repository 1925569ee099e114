"""A saved plan is a claim, not a command: attacks on `lmsform apply plan.json`.

The threat: whoever can open a pull request may write the plan file the apply job applies (a CI
artifact, or a file in the checkout), and the apply journals in `.lmsform/`. Apply must do nothing but
what the project's manifests and the live account ask for, and what the plan's reviewers saw. Each
test edits or forges what such an author can, runs the real CLI against the Skilljar emulator, and
checks in the emulator's own store that nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from lmsform.plan import Action, Change
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import DOMAIN, CliRunnerCall, ProjectDir, writes
from tests.skilljar_api import SkilljarApi

if TYPE_CHECKING:
    pass

CEO = "ceo@acme.com"
PROTECT_CEO = f"protect:\n  users: [{CEO}]\n"
PLAN_KEY = "plan-key-CANARY-8d2e61"
LEARNER01 = "learner01@acme.com"


def _team(size: int, *, extra: str = "") -> str:
    people = "".join(f"  - email: learner{n:02d}@acme.com\n    first_name: L{n}\n" for n in range(size))
    return f"users:\n  - email: {CEO}\n    first_name: Chief\n{people}{extra}"


def _store(server: EmulatorServer) -> Any:
    """Everything the emulator holds, read from its own store (not through lmsform)."""
    answer = requests.get(f"{server.url}/_emulator/state", timeout=10)
    answer.raise_for_status()
    return answer.json()


def _edit(plan_file: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit the plan file as its attacker would, and recompute its checksum: anyone can."""
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    edit(document)
    canonical = json.dumps(document["changes"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    document["checksum"] = "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    plan_file.write_text(json.dumps(document, indent=2), encoding="utf-8")


def _change(document: dict[str, Any], action: str, email: str) -> dict[str, Any]:
    changes: list[dict[str, Any]] = document["changes"]
    [change] = [item for item in changes if item["action"] == action and item["key"] == [email]]
    return change


def _user_id(api: SkilljarApi, email: str) -> str:
    [found] = [
        str(item["user"]["id"])
        for item in api._all(f"/v1/domains/{DOMAIN}/users")
        if item["user"]["email"].lower() == email
    ]
    return found


def _refused_unchanged(result: Any, server: EmulatorServer, store: Any, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.stderr, result.stderr
    assert _store(server) == store, "the emulator's store changed"


@pytest.fixture
def applied_team(skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> SkilljarApi:
    """The CEO (protected) and eleven learners, applied; users managed authoritatively."""
    project.configure(skilljar.url, manage="users: authoritative", extra=PROTECT_CEO)
    project.write("people.yaml", _team(11))
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    return SkilljarApi(skilljar.url)


# --- finding 5: the plan file is trusted for nothing ----------------------------------------------------


def test_attack_edited_id_inside_a_change_cannot_deactivate_the_protected_ceo(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, applied_team: SkilljarApi
) -> None:
    """The plan deactivates learner00; the file, still showing learner00, names the CEO's id."""
    project.write("people.yaml", _team(11).replace("  - email: learner00@acme.com\n    first_name: L0\n", ""))
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    ceo = _user_id(applied_team, CEO)
    _edit(plan_file, lambda plan: _change(plan, "deactivate", "learner00@acme.com")["ids"].update(id=ceo))
    store = _store(skilljar)

    result = cli("apply", plan_file)

    _refused_unchanged(
        result,
        skilljar,
        store,
        "Error: stale plan",
        'users["learner00@acme.com"] (deactivate) differs from the saved plan in: ids',
    )
    assert applied_team.users()[CEO]["active"] is True


def test_attack_recomputed_checksum_after_editing_what_a_change_writes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, applied_team: SkilljarApi
) -> None:
    """The reviewers saw "L1" become "Lee"; the file, checksum recomputed, writes "Mallory"."""
    project.write("people.yaml", _team(11).replace("first_name: L1\n", "first_name: Lee\n"))
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    _edit(plan_file, lambda plan: _change(plan, "update", LEARNER01)["after"].update(first_name="Mallory"))
    store = _store(skilljar)

    result = cli("apply", plan_file)

    _refused_unchanged(
        result, skilljar, store, 'users["learner01@acme.com"] (update) differs from the saved plan in: after'
    )


def test_attack_a_change_the_manifests_never_asked_for_is_refused(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, applied_team: SkilljarApi
) -> None:
    """The file adds a deactivation of learner05, written as lmsform writes one: no rule stops it but
    the fresh plan, which does not make it."""
    project.write("people.yaml", _team(11).replace("first_name: L1\n", "first_name: Lee\n"))
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    victim = "learner05@acme.com"
    forged = {
        "action": "deactivate", "kind": "users", "key": [victim], "address": f'users["{victim}"]',
        "before": {"email": victim, "first_name": "L5", "active": True}, "after": None, "changed": [],
        "ids": {"id": _user_id(applied_team, victim)}, "cascade": [], "notes": [], "adopt": False,
    }  # fmt: skip
    _edit(plan_file, lambda plan: plan["changes"].append(forged))
    store = _store(skilljar)

    result = cli("apply", plan_file)

    _refused_unchanged(
        result, skilljar, store, f'users["{victim}"] (deactivate) is in the saved plan but is not needed now'
    )
    assert applied_team.users()[victim]["active"] is True


def test_attack_edited_existing_cannot_lift_the_removal_threshold(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, applied_team: SkilljarApi
) -> None:
    """8 of 12 users go (67 %). The plan file claims the account had 1,000, so 8 would be under 30 %:
    the thresholds count what the account has now, never what the file says."""
    project.write("people.yaml", _team(3))
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--force", "--out", plan_file).exit_code == 0
    _edit(plan_file, lambda plan: plan["existing"].update(users=1000))
    store = _store(skilljar)

    result = cli("apply", plan_file)

    _refused_unchanged(result, skilljar, store, "Too many removals of users: 67 % (8/12) is over 30 %")


def test_attack_edited_refs_cannot_add_the_ceo_to_a_group(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, applied_team: SkilljarApi
) -> None:
    """learner02 joins an existing group; the file refers to learner02 by the CEO's id."""
    applied_team.add_group("board")
    project.write("people.yaml", _team(11) + "groups:\n  - name: board\n    members: [learner02@acme.com]\n")
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    ceo = _user_id(applied_team, CEO)

    def point_at_the_ceo(plan: dict[str, Any]) -> None:
        [ref] = [ref for ref in plan["refs"] if ref["key"] == ["learner02@acme.com"]]
        ref["ids"]["id"] = ceo

    _edit(plan_file, point_at_the_ceo)
    store = _store(skilljar)

    result = cli("apply", plan_file)

    _refused_unchanged(
        result,
        skilljar,
        store,
        'users["learner02@acme.com"] is referred to by other ids than in the saved plan',
    )
    assert applied_team.groups()["board"] == set()


def test_attack_edited_project_cannot_load_manifests_outside_the_checkout(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    applied_team: SkilljarApi,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The file names a project outside the folder apply runs in (manifests the pull request controls,
    a runner's temporary folder, …), and lists exactly what that project would do."""
    evil = ProjectDir(tmp_path_factory.mktemp("elsewhere"))
    evil.configure(skilljar.url, manage="users: authoritative")
    evil.write("people.yaml", "users:\n  - email: mallory@evil.example\n")
    evil_plan = evil.root / "plan.json"
    assert cli("plan", evil.root, "--force", "--out", evil_plan).exit_code == 0
    plan_file = project.root / "plan.json"
    plan_file.write_text(evil_plan.read_text(encoding="utf-8"), encoding="utf-8")
    _edit(plan_file, lambda plan: plan.update(project=str(evil.root)))
    store = _store(skilljar)

    result = cli("apply", plan_file, "--force")

    _refused_unchanged(result, skilljar, store, "is outside the folder apply runs in")
    assert "mallory@evil.example" not in applied_team.users()


def test_attack_a_project_link_leading_out_of_the_checkout_is_refused(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    applied_team: SkilljarApi,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The project named is inside the folder, but is a link leading out of it."""
    evil = ProjectDir(tmp_path_factory.mktemp("elsewhere"))
    evil.configure(skilljar.url, manage="users: authoritative")
    evil.write("people.yaml", "users:\n  - email: mallory@evil.example\n")
    (project.root / "linked").symlink_to(evil.root, target_is_directory=True)
    plan_file = project.root / "plan.json"
    assert cli("plan", evil.root, "--force", "--out", plan_file).exit_code == 0
    _edit(plan_file, lambda plan: plan.update(project="linked"))
    store = _store(skilljar)

    result = cli("apply", plan_file, "--force")

    _refused_unchanged(result, skilljar, store, "is outside the folder apply runs in")


def test_every_field_of_a_change_is_compared() -> None:
    """The comparison names fields from `Change.FIELDS`: a field added to the JSON form must be there."""
    change = Change(
        Action.UPDATE, "users", ("a@acme.com",), {"first_name": "A"}, {"first_name": "B"}, ("first_name",),
        {"id": "1"}, ("x",), ("note",), adopt=True, unread=("first_name",), sent_before=("first_name",),
    )  # fmt: skip

    assert set(change.to_json()) == set(Change.FIELDS)


# --- finding 5: optional tamper evidence (LMSFORM_PLAN_KEY) ---------------------------------------------


@pytest.fixture
def signed_plan(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    applied_team: SkilljarApi,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    monkeypatch.setenv("LMSFORM_PLAN_KEY", PLAN_KEY)
    project.write("people.yaml", _team(11).replace("first_name: L1\n", "first_name: Lee\n"))
    plan_file = project.root / "plan.json"
    made = cli("plan", project.root, "--out", plan_file)
    assert made.exit_code == 0, made.output
    assert PLAN_KEY not in plan_file.read_text(encoding="utf-8") + made.output
    return plan_file


def _without_signature(plan: dict[str, Any]) -> None:
    del plan["signature"]


def _one_digit_changed(plan: dict[str, Any]) -> None:
    """The signature with its last digit changed (to another digit: one in sixteen ends in 0 already)."""
    signature = plan["signature"]
    plan["signature"] = signature[:-1] + ("1" if signature.endswith("0") else "0")


def _resigned_with_another_key(plan: dict[str, Any]) -> None:
    from lmsform.plan import sign_document

    plan["signature"] = sign_document(plan, b"a key the attacker chose")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_without_signature, "the plan is not signed, and LMSFORM_PLAN_KEY is set"),
        (lambda plan: plan["existing"].update(users=1000), "the plan's signature does not match it"),
        (lambda plan: plan.update(warnings=["all clear"]), "the plan's signature does not match it"),
        (_one_digit_changed, "signature does not match"),
        (lambda plan: plan.update(signature=["not", "text"]), "the plan's signature does not match it"),
        (_resigned_with_another_key, "the plan's signature does not match it"),
    ],
    ids=["missing", "edited-existing", "edited-warnings", "edited-signature", "not-text", "other-key"],
)
def test_attack_missing_or_invalid_hmac_is_refused_when_a_plan_key_is_set(
    skilljar: EmulatorServer,
    cli: CliRunnerCall,
    signed_plan: Path,
    edit: Callable[[dict[str, Any]], None],
    expected: str,
) -> None:
    _edit(signed_plan, edit)
    store = _store(skilljar)

    result = cli("apply", signed_plan)

    _refused_unchanged(result, skilljar, store, expected)
    assert PLAN_KEY not in result.output


def test_a_plan_signed_with_the_key_applies(
    skilljar: EmulatorServer, cli: CliRunnerCall, signed_plan: Path, applied_team: SkilljarApi
) -> None:
    document = json.loads(signed_plan.read_text(encoding="utf-8"))
    assert document["signature"].startswith("hmac-sha256:")

    result = cli("apply", signed_plan)

    assert result.exit_code == 0, result.output
    assert applied_team.users()["learner01@acme.com"]["first_name"] == "Lee"
    assert PLAN_KEY not in result.output


# --- finding 6: resume only an apply that did not finish, and re-check what is left ----------------------


def test_attack_a_finished_journal_does_not_make_a_later_identical_plan_resume(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, applied_team: SkilljarApi
) -> None:
    """learner00 leaves and the plan is applied in full. Someone brings learner00 back, and a new plan,
    identical to the first, is reviewed; then learner00 is edited. The old journal, of a plan with the
    same checksum, finished: the new plan is checked for staleness like any other, and refused."""
    project.write("people.yaml", _team(11).replace("  - email: learner00@acme.com\n    first_name: L0\n", ""))
    first_plan, second_plan = project.root / "first.json", project.root / "second.json"
    assert cli("plan", project.root, "--out", first_plan).exit_code == 0
    assert cli("apply", first_plan).exit_code == 0
    learner = _user_id(applied_team, "learner00@acme.com")
    applied_team._call("PATCH", f"/v1/domains/{DOMAIN}/users/{learner}", json={"active": True})
    assert cli("plan", project.root, "--out", second_plan).exit_code == 0
    same = [json.loads(path.read_text(encoding="utf-8"))["checksum"] for path in (first_plan, second_plan)]
    assert same[0] == same[1], "the attack needs two plans with one checksum"
    applied_team._call("PATCH", f"/v1/users/{learner}", json={"last_name": "Edited-after-review"})
    store = _store(skilljar)

    result = cli("apply", second_plan)

    _refused_unchanged(
        result,
        skilljar,
        store,
        'users["learner00@acme.com"] was changed in Skilljar since the plan was made',
    )
    assert "Resuming" not in result.stderr
    assert applied_team.users()["learner00@acme.com"]["active"] is True


def test_attack_an_edit_after_review_is_caught_on_resume(
    refusing: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """An apply stops (a group create refused) before it deactivates learner00; learner00 is edited in
    the dashboard after the review. Resuming re-checks each change left against the saved one, content
    and all, not only its address and action."""
    api = SkilljarApi(refusing.url)
    plan_file = _stopped_apply(refusing, project, cli, extra=PROTECT_CEO)
    learner = _user_id(api, "learner00@acme.com")
    api._call("PATCH", f"/v1/users/{learner}", json={"last_name": "Edited-after-review"})
    store = _store(refusing)
    before = len(refusing.requests)

    result = cli("apply", plan_file)

    _refused_unchanged(
        result,
        refusing,
        store,
        "Error: stale plan",
        'users["learner00@acme.com"] (deactivate) differs from the saved plan in: before',
    )
    assert "Resuming" not in result.stderr
    assert writes(refusing, since=before) == []
    assert api.users()["learner00@acme.com"]["active"] is True


def test_attack_a_forged_unfinished_journal_cannot_widen_what_resuming_applies(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, applied_team: SkilljarApi
) -> None:
    """The pull request commits a journal claiming an unfinished apply of the plan (its checksum is
    public), so that apply resumes instead of checking staleness; learner00 is edited after review.
    Resuming compares what is left with the saved plan, content and all."""
    project.write("people.yaml", _team(11).replace("  - email: learner00@acme.com\n    first_name: L0\n", ""))
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    checksum = json.loads(plan_file.read_text(encoding="utf-8"))["checksum"]
    folder = project.root / ".lmsform" / "journal"
    folder.mkdir(parents=True, exist_ok=True)
    started = {"journal": 1, "event": "started", "plan": checksum, "provider": "skilljar", "target": DOMAIN}
    forged = folder / f"20000101T000000000000Z-{checksum.removeprefix('sha256:')[:12]}.jsonl"
    forged.write_text(json.dumps(started) + "\n", encoding="utf-8")
    learner = _user_id(applied_team, "learner00@acme.com")
    applied_team._call("PATCH", f"/v1/users/{learner}", json={"last_name": "Edited-after-review"})
    store = _store(skilljar)

    result = cli("apply", plan_file)

    _refused_unchanged(
        result,
        skilljar,
        store,
        'users["learner00@acme.com"] (deactivate) differs from the saved plan in: before',
    )
    assert applied_team.users()["learner00@acme.com"]["active"] is True


def test_an_unedited_stopped_apply_still_resumes(
    refusing: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The rail above refuses only what changed: with nothing edited, the same apply resumes and ends."""
    api = SkilljarApi(refusing.url)
    plan_file = _stopped_apply(refusing, project, cli)

    result = cli("apply", plan_file)

    assert result.exit_code == 0, result.output
    assert "Resuming this plan, begun by an earlier apply" in result.stderr
    assert api.users()["learner00@acme.com"]["active"] is False
    assert api.groups()["crew"] == {"learner01@acme.com"}


def _stopped_apply(
    refusing: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, *, extra: str = ""
) -> Path:
    """A saved plan (learner00 deactivated, group `crew` made) whose apply stopped at the refused group
    create, before the deactivation: an apply left to resume. Returns the plan file."""
    project.configure(refusing.url, manage="users: authoritative", extra=extra)
    project.write("people.yaml", _team(11))
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    project.write(
        "people.yaml",
        _team(11).replace("  - email: learner00@acme.com\n    first_name: L0\n", "")
        + "groups:\n  - name: crew\n    members: [learner01@acme.com]\n",
    )
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    stopped = cli("apply", plan_file)
    assert stopped.exit_code == 1 and "What was done is in" in stopped.stderr
    assert SkilljarApi(refusing.url).users()["learner00@acme.com"]["active"] is True
    return plan_file
