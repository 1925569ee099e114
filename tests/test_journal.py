"""The apply journal, the one-apply-at-a-time lock, and resuming a saved plan an apply began."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from lmsform import app
from lmsform.errors import StalePlanError
from lmsform.lock import ApplyLock, lock_path
from lmsform.plan import Action, Change, Plan
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir, writes

if TYPE_CHECKING:
    pass


TEAM = "users:\n" + "".join(f"  - email: learner{n:02d}@acme.com\n    first_name: L{n}\n" for n in range(6))
GROUPS = "groups:\n  - name: crew\n    members: [learner00@acme.com, learner01@acme.com]\n"


def _journal_lines(project: ProjectDir) -> list[list[dict[str, Any]]]:
    folder = project.root / ".lmsform" / "journal"
    return [
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for path in sorted(folder.glob("*.jsonl"))
    ]


def test_an_apply_journals_every_change_as_json_lines(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", TEAM + GROUPS)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    [lines] = _journal_lines(project)
    assert lines[0]["event"] == "started" and lines[0]["changes"] == 9
    assert lines[0]["plan"].startswith("sha256:")
    done = [line for line in lines if line["event"] == "done"]
    assert len(done) == 9
    assert {line["address"] for line in done} >= {'users["learner05@acme.com"]', 'groups["crew"]'}
    assert lines[-1] == {
        "event": "complete",
        "at": lines[-1]["at"],
        "done": 9,
        "failed": 0,
        "not attempted": 0,
    }
    assert not lock_path(project.root).exists()


def test_a_second_apply_is_refused_while_one_runs(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", TEAM)

    with ApplyLock(project.root):  # held as a running apply holds it
        result = cli("apply", project.root, "--auto-approve")
        refused = cli("unlock", project.root, "--force")

        assert result.exit_code == 1
        assert f"another apply is running on this project (pid {os.getpid()} on" in result.stderr
        assert writes(skilljar) == [] and skilljar.requests == []
        assert refused.exit_code == 1 and "still running" in refused.stderr
        assert lock_path(project.root).exists()
    assert not lock_path(project.root).exists()


def _dead_pid() -> int:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(gone.stdout)


def _leave_lock(project: ProjectDir, holder: dict[str, Any]) -> Path:
    """A lock file as an apply killed on `holder["host"]` leaves it: written, its kernel lock gone."""
    lock = lock_path(project.root)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps(holder))
    return lock


def test_the_lock_of_a_killed_apply_is_taken_over_loudly(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", TEAM)
    pid = _dead_pid()
    _leave_lock(project, {"pid": pid, "host": socket.gethostname(), "since": "2026-01-05T09:00:00Z"})

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert (
        f"Warning: taking over the lock of an apply that was killed (pid {pid} on {socket.gethostname()} "
        "since 2026-01-05T09:00:00Z): its process is gone. It had not started changing anything (it left "
        "no journal)."
    ) in result.stderr
    assert not lock_path(project.root).exists()
    [journal] = _journal_lines(project)
    assert "after_killed" not in journal[0]


def test_a_lock_cut_short_by_a_kill_is_taken_over(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", TEAM)
    lock = lock_path(project.root)
    lock.parent.mkdir(parents=True)
    lock.write_text('{"pid": 12')

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "taking over the lock of an apply that was killed (pid ? on ? since ?)" in result.stderr


def test_a_lock_naming_a_running_process_is_not_taken_over(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    # Nobody holds the kernel lock, but the process the file names runs (pid 1 always does): a reused
    # id, or a file system whose locks do nothing. Two applies at once must never happen.
    project.configure(skilljar.url)
    project.write("people.yaml", TEAM)
    lock = _leave_lock(project, {"pid": 1, "host": socket.gethostname(), "since": "then"})

    refused = cli("apply", project.root, "--auto-approve")

    assert refused.exit_code == 1
    assert "a process that still runs on this host although it does not hold the lock" in refused.stderr
    assert skilljar.requests == [] and lock.exists()
    assert cli("unlock", project.root).exit_code == 1
    assert cli("unlock", project.root, "--force").exit_code == 0
    assert not lock.exists()


def test_unlock_removes_a_lock_nobody_holds(project: ProjectDir, cli: CliRunnerCall) -> None:
    lock = _leave_lock(project, {"pid": _dead_pid(), "host": socket.gethostname(), "since": "then"})

    unlocked = cli("unlock", project.root)

    assert unlocked.exit_code == 0 and "Removed the lock of pid" in unlocked.stdout
    assert not lock.exists()
    assert cli("unlock", project.root).stdout.startswith("No lock:")


def test_a_lock_from_another_host_is_refused_and_needs_unlock_force(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", TEAM)
    lock = _leave_lock(project, {"pid": 1, "host": "ci-runner-7", "since": "then"})

    refused = cli("apply", project.root, "--auto-approve")

    assert refused.exit_code == 1
    assert "held by an apply on another host (pid 1 on ci-runner-7 since then)" in refused.stderr
    assert "lmsform unlock --force" in refused.stderr
    assert skilljar.requests == [] and lock.exists()
    assert cli("unlock", project.root).exit_code == 1
    assert cli("unlock", project.root, "--force").exit_code == 0
    assert not lock.exists()
    assert cli("apply", project.root, "--auto-approve").exit_code == 0


def test_a_saved_plan_an_apply_began_resumes_with_what_is_left(
    refusing: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(refusing.url)
    project.write("people.yaml", TEAM + GROUPS)
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    # The group create is refused: the apply stops there, its memberships not attempted.

    first = cli("apply", plan_file)

    assert first.exit_code == 1
    assert "What was done is in project/.lmsform/journal/" in first.stderr
    [journal] = _journal_lines(project)
    assert sum(1 for line in journal if line["event"] == "done") == 6
    assert [line["address"] for line in journal if line["event"] == "failed"] == ['groups["crew"]']
    assert journal[-1]["event"] == "stopped" and journal[-1]["not attempted"] == 2

    second = cli("apply", plan_file)

    assert second.exit_code == 0, second.output
    assert "Resuming this plan, begun by an earlier apply" in second.stderr
    assert "3 of its 9 change(s) are left" in second.stderr  # the group and its two members
    statuses = [
        call.status for call in refusing.requests if (call.method, call.path) == ("POST", "/v1/groups")
    ]
    assert statuses == [403, 201]
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0
    resumed = _journal_lines(project)[1]
    assert resumed[0]["resumes"].endswith(".jsonl")
    assert resumed[-1]["event"] == "complete"


def test_resuming_refuses_what_the_saved_plan_never_had(
    refusing: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(refusing.url)
    project.write("people.yaml", TEAM + GROUPS)
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    assert cli("apply", plan_file).exit_code == 1
    # The manifests move on: the rest of the saved plan is no longer what they ask for.
    project.write("more.yaml", "users:\n  - email: late@acme.com\n")
    before = len(writes(refusing))

    result = cli("apply", plan_file)

    assert result.exit_code == 1
    assert "stale plan" in result.stderr
    assert "the manifests changed since the plan was made" in result.stderr
    assert 'users["late@acme.com"] (create) is needed now but is not in the saved plan' in result.stderr
    assert len(writes(refusing)) == before


def _leaver(action: Action, after: dict[str, Any], changed: tuple[str, ...] = ()) -> Change:
    return Change(action, "users", ("ann.lee",), None, {"username": "ann.lee", **after}, changed, {"id": "7"})


@pytest.mark.parametrize(
    ("now", "resumable"),
    [
        ({"active": False}, True),  # the create wanted an inactive user: the update finishes it
        ({"active": True}, False),  # the account or the manifests moved on
    ],
    ids=["finishes-the-create", "moved-on"],
)
def test_resuming_finishes_a_create_an_apply_was_killed_inside(now: dict[str, Any], resumable: bool) -> None:
    # Damstra makes an inactive user in two calls; an apply killed between them left the user active.
    plan = Plan("damstra", "Acme", (_leaver(Action.CREATE, {"active": False}),), manifest_digest="d")
    saved = app.SavedPlan(plan, plan.to_json(), Path("."))
    fresh = Plan("damstra", "Acme", (_leaver(Action.UPDATE, now, ("active",)),), manifest_digest="d")
    project = SimpleNamespace(
        digest="d",
        provider=SimpleNamespace(name="damstra"),
        settings=SimpleNamespace(target=lambda: "Acme"),
        config=SimpleNamespace(environment=None),
    )

    if resumable:
        assert app.resume(saved, fresh, project).changes == fresh.changes  # type: ignore[arg-type]
    else:
        with pytest.raises(StalePlanError, match=r'users\["ann.lee"\] \(update\) is needed now'):
            app.resume(saved, fresh, project)  # type: ignore[arg-type]
