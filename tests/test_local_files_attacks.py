"""Attacks through local files a pull request can commit or replace: `.lmsform/` (the apply lock, the
journal folder) and saved plans. Each test is one attack, and shows the rail that holds."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lmsform.journal import Journal
from lmsform.lock import ApplyLock, LockedError
from lmsform.plan import Action, Change, Plan, _checksum
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir
from tests.test_injection import assert_shown_safely

TEAM = "users:\n  - email: ann@acme.com\n    first_name: Ann\n"
PRECIOUS = "the CI user's file: not lmsform's to write\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the project, holding a file the CI user can write."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "precious.txt").write_text(PRECIOUS, encoding="utf-8")
    return folder


def _configured(project: ProjectDir, skilljar: EmulatorServer) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", TEAM)


def _outside_files(outside: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in outside.iterdir()}


@pytest.mark.parametrize("target", ["precious.txt", "new.txt"])
def test_attack_a_committed_lock_link_cannot_make_apply_write_outside(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    outside: Path,
    target: str,
) -> None:
    """`.lmsform/apply.lock -> ../../outside/precious.txt`: the lock was opened through the link, its
    text read as a killed holder's, and the holder's JSON written over the file (or a new file made
    there, when the link dangles)."""
    _configured(project, skilljar)
    (project.root / ".lmsform").mkdir()
    (project.root / ".lmsform" / "apply.lock").symlink_to(Path("..", "..", "outside", target))

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 1
    assert "apply.lock is a symbolic link, not a lock file lmsform made" in result.stderr
    assert _outside_files(outside) == {"precious.txt": PRECIOUS}
    assert [request for request in skilljar.requests if request.method != "GET"] == []


def test_attack_a_lock_that_is_not_a_regular_file_is_refused(project: ProjectDir, cli: CliRunnerCall) -> None:
    """A folder in the lock's place was an unexpected error (a traceback); it is refused by name."""
    project.configure("https://127.0.0.1:1")
    (project.root / ".lmsform" / "apply.lock").mkdir(parents=True)

    with pytest.raises(LockedError, match=r"apply\.lock is not a regular file"):
        ApplyLock(project.root).__enter__()
    result = cli("unlock", project.root)

    assert result.exit_code == 1
    assert "apply.lock is not a regular file" in result.stderr


@pytest.mark.parametrize(
    ("link", "to"),
    [(".lmsform", Path("..", "outside")), (".lmsform/journal", Path("..", "..", "outside"))],
)
def test_attack_a_committed_local_folder_link_cannot_make_apply_write_outside(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    outside: Path,
    link: str,
    to: Path,
) -> None:
    """`.lmsform -> ../outside` sent the lock, the .gitignore and the journals (which name learners)
    outside the project; `.lmsform/journal -> ...` the journals."""
    _configured(project, skilljar)
    (project.root / link).parent.mkdir(parents=True, exist_ok=True)
    (project.root / link).symlink_to(to)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 1
    assert f"{Path(link).name} is a symbolic link: lmsform keeps its local state" in result.stderr
    assert _outside_files(outside) == {"precious.txt": PRECIOUS}
    assert [request for request in skilljar.requests if request.method != "GET"] == []


def test_attack_a_local_folder_that_is_a_file_is_refused(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configured(project, skilljar)
    project.write(".lmsform", "not a folder\n")

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 1
    assert ".lmsform is not a folder: lmsform keeps its local state" in result.stderr


def _gone_pid() -> int:
    """The id of a process of this host that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("name", ["../../outside/secret.jsonl", "/etc/passwd", "..", "sub/x.jsonl"])
def test_attack_a_forged_lock_cannot_name_a_journal_outside_the_journal_folder(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    outside: Path,
    name: str,
) -> None:
    """A committed lock naming a killed apply's "journal" `../../outside/secret.jsonl`: apply read that
    file (counting its lines), named it in its warning and in its own journal's header."""
    _configured(project, skilljar)
    done = {"event": "done", "address": "a", "action": "b"}
    (outside / "secret.jsonl").write_text(json.dumps(done) + "\n", encoding="utf-8")
    holder = {"pid": _gone_pid(), "host": socket.gethostname(), "since": "then", "journal": name}
    project.write(".lmsform/apply.lock", json.dumps(holder))

    with ApplyLock(project.root) as lock:
        assert lock.taken_over == holder
        assert lock.killed_journal is None
    project.write(".lmsform/apply.lock", json.dumps(holder))
    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "taking over the lock of an apply that was killed" in result.stderr
    assert "secret" not in result.output and "passwd" not in result.output
    [journal] = (project.root / ".lmsform" / "journal").glob("*.jsonl")
    assert "after_killed" not in json.loads(journal.read_text(encoding="utf-8").splitlines()[0])


def test_a_plain_journal_name_in_a_taken_over_lock_is_used(project: ProjectDir) -> None:
    holder = {"pid": _gone_pid(), "host": socket.gethostname(), "since": "then", "journal": "x-0a1b.jsonl"}
    project.write(".lmsform/apply.lock", json.dumps(holder))

    with ApplyLock(project.root) as lock:
        assert lock.killed_journal == "x-0a1b.jsonl"


def test_attack_a_link_in_a_new_journals_place_is_not_followed(project: ProjectDir, outside: Path) -> None:
    """A journal is only ever a new file: a link where it is created is refused, not written through."""
    folder = project.root / ".lmsform" / "journal"
    folder.mkdir(parents=True)
    (folder / "j.jsonl").symlink_to(outside / "precious.txt")
    (folder / "k.jsonl").symlink_to(outside / "new.txt")
    plan = Plan(provider="skilljar", target="acme", changes=())

    for name in ("j.jsonl", "k.jsonl"):
        with pytest.raises(FileExistsError):
            Journal(folder / name, plan)

    assert _outside_files(outside) == {"precious.txt": PRECIOUS}


def _forged_plan(provider: str) -> dict[str, object]:
    """A saved plan as an attacker writes it: its only change re-sends a field the vendor cannot report
    back, and the checksum is recomputed (it covers the changes)."""
    change = Change(
        action=Action.REASSERT,
        kind="users",
        key=("ann@acme.com",),
        before={"email": "ann@acme.com"},
        after={"email": "ann@acme.com", "password": "x"},
        ids={"id": "u1"},
        unread=("password",),
    )
    document = Plan(provider="skilljar", target="acme", changes=(change,), created_at="now").to_json()
    document["provider"] = provider
    document["checksum"] = _checksum([change.to_json()])
    return document


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_attack_a_saved_plan_naming_a_forged_provider_cannot_start_a_line(
    cli: CliRunnerCall, tmp_path: Path, output_format: str
) -> None:
    """`show` titled the report with the plan's provider, and a reassert's line starts with the
    title: `::error title=Pwned::x` became a workflow command in the CI log."""
    forged = tmp_path / "forged.json"
    provider = "::error title=Pwned::x\n::add-mask::y"
    forged.write_text(json.dumps(_forged_plan(provider)), encoding="utf-8")

    result = cli("show", forged, "--format", output_format)

    assert result.exit_code == 1
    assert_shown_safely(result.stdout + result.stderr)
    assert result.stdout == ""
    assert f"the plan names provider {json.dumps(provider)}, which lmsform does not know" in result.stderr


def test_a_saved_plan_of_a_known_provider_is_shown(cli: CliRunnerCall, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(_forged_plan("skilljar")), encoding="utf-8")

    result = cli("show", saved)

    assert result.exit_code == 0, result.output
    assert "\nSkilljar cannot report back 1 write-only setting(s);" in result.stdout, result.stdout
