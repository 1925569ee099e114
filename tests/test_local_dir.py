"""`.lmsform/` is never committed, whatever the vendor: git ignores the journals and the lock, and only
the owner can read the folder (the journals name learners)."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from lmsform.localdir import local_dir
from lmsform.lock import ApplyLock
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir

TEAM = "users:\n  - email: ann@acme.com\n    first_name: Ann\n  - email: bob@acme.com\n    first_name: Bob\n"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), done.stderr  # check-ignore answers 1 for "not ignored"
    return done.stdout


@pytest.fixture
def repository(project: ProjectDir) -> ProjectDir:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(project.root, "init", "--quiet")
    return project


def test_an_apply_to_a_real_vendor_leaves_nothing_for_git_to_commit(
    skilljar: EmulatorServer, repository: ProjectDir, cli: CliRunnerCall
) -> None:
    repository.configure(skilljar.url)
    repository.write("people.yaml", TEAM)

    result = cli("apply", repository.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    [journal] = (repository.root / ".lmsform" / "journal").glob("*.jsonl")
    untracked = _git(repository.root, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(untracked) == ["?? lmsform.yaml", "?? people.yaml"]
    covered = [journal.relative_to(repository.root).as_posix(), ".lmsform/apply.lock"]
    assert _git(repository.root, "check-ignore", *covered).splitlines() == covered


def test_the_lock_alone_creates_the_ignored_owner_only_folder(repository: ProjectDir) -> None:
    with ApplyLock(repository.root):
        untracked = _git(repository.root, "status", "--porcelain", "--untracked-files=all")
        assert _git(repository.root, "check-ignore", ".lmsform/apply.lock") == ".lmsform/apply.lock\n"

    assert untracked == ""
    assert stat.S_IMODE((repository.root / ".lmsform").stat().st_mode) == 0o700


def test_a_gitignore_the_user_edited_is_kept(project: ProjectDir) -> None:
    ignore = project.write(".lmsform/.gitignore", "# mine\njournal/\n")

    local_dir(project.root, "journal")

    assert ignore.read_text(encoding="utf-8") == "# mine\njournal/\n"
