"""An apply killed with SIGKILL at any point converges on the next run, with no duplicate, a journal that
tells the truth, and a lock that does not stand in the way.

Per vendor: the real CLI (`python -m lmsform apply`, on the project with `--auto-approve` or on a saved
plan) applies a couple of hundred changes to an empty account on the vendor's emulator, served from this
process, with `parallelism` 4 so that calls are in flight when the kill comes. `KillSwitch` kills it at
points chosen by `random.Random(SEED)`: its first request (while it reads the account), then a write in
each stage of the apply (bulk users, groups, memberships, …), the rest anywhere; a write is killed
either before the vendor acts on it or after the vendor committed it, its answer lost with the process.
Then:

* the journal is JSON Lines up to its last complete line, and everything it records as done is in the
  emulator's state; the emulator holds no object twice (counted from its own state, not through
  lmsform); the lock names the killed process and its journal;
* the next apply (the same command, in-process) takes the lock over, saying so and naming the killed
  apply's journal, resumes the saved plan or plans afresh, and completes; every planned object is there
  once and a following `plan` is empty; the new journal names the killed one, and for a saved plan the
  two together record every change of the plan as done.

`LMSFORM_CRASH_SEED=<n>` picks other points (the suite uses a fixed seed).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.lock import lock_path
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CLI_OUTPUTS, CliRunnerCall, ProjectDir
from tests.crash_accounts import ACCOUNTS, CrashAccount, api_root
from tests.crash_kill import KillPoint, KillSwitch

pytestmark = pytest.mark.slow  # kills real processes mid-apply

SEED = int(os.environ.get("LMSFORM_CRASH_SEED", "20260105"))
PARALLELISM = 4
KILLS = {"skilljar": 10, "damstra": 10, "versal": 4, "training-records": 4}


@dataclass
class Rig:
    account: CrashAccount
    server: EmulatorServer
    switch: KillSwitch
    project: ProjectDir
    workdir: Path  # where commands run; paths in messages are relative to it
    cli: CliRunnerCall

    @property
    def journals(self) -> Path:
        return self.project.root / ".lmsform" / "journal"

    def reset(self) -> None:
        """An empty account (with what the vendor's API cannot create) and a project that never applied."""
        requests.post(f"{self.server.url}/_emulator/reset", timeout=30).raise_for_status()
        seed = requests.post(f"{self.server.url}/_emulator/seed", json=self.account.base_seed(), timeout=30)
        seed.raise_for_status()
        shutil.rmtree(self.project.root / ".lmsform", ignore_errors=True)

    def state(self) -> dict[str, Any]:
        answer = requests.get(f"{self.server.url}/_emulator/state", timeout=30)
        answer.raise_for_status()
        state: dict[str, Any] = answer.json()
        return state


@pytest.fixture(params=list(KILLS))
def rig(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    project: ProjectDir,
    cli: CliRunnerCall,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Rig]:
    account = ACCOUNTS[request.param]
    for name, value in account.credentials.items():
        monkeypatch.setenv(name, value)
    switch = KillSwitch(account.make_app(tmp_path / f"{account.vendor}.sqlite3"))
    with EmulatorServer(switch, record_bodies=False) as server:
        account.write_project(project.root, api_root(account.vendor, server.url), PARALLELISM)
        yield Rig(account, server, switch, project, tmp_path, cli)


def test_an_apply_killed_anywhere_converges_on_the_next_run(rig: Rig) -> None:
    rng = random.Random(f"{SEED}-{rig.account.vendor}")
    reference = _reference(rig)
    points = choose_points(reference.writes, rng, KILLS[rig.account.vendor])
    modes = ["saved", "project"] * (len(points) // 2) + ["saved"] * (len(points) % 2)
    rng.shuffle(modes)
    for number, (point, mode) in enumerate(zip(points, modes, strict=True), 1):
        try:
            _kill_and_recover(rig, point, mode, number, reference.planned)
        except Exception as error:
            error.add_note(f"seed {SEED}, kill {number}: the {mode} apply killed at {point}")
            raise


@pytest.mark.parametrize("rig", ["damstra"], indirect=True)
def test_a_saved_plan_killed_inside_a_create_of_two_calls_resumes(rig: Rig) -> None:
    # Damstra makes an inactive user in two calls: the import, then `inactivate`. Killed in between, the
    # user is there but active: resuming finishes the create with an update the saved plan never had.
    reference = _reference(rig)
    inactivate = "POST /api/v2/user/{id}/inactivate"
    assert inactivate in reference.writes, "Damstra no longer makes an inactive user in two calls"
    first = reference.writes.index(inactivate) + 1

    point = KillPoint(first, after_commit=False, stage=reference.writes[first - 1])

    _kill_and_recover(rig, point, "saved", 1, reference.planned)


@dataclass(frozen=True)
class Reference:
    writes: list[str]  # the routes of an apply's writes, in order
    planned: set[str]  # the addresses of its changes


def _reference(rig: Rig) -> Reference:
    """What an apply that runs to the end does, on an empty account; the account is reset after."""
    rig.reset()
    made = rig.cli("plan", rig.project.root, "--out", rig.workdir / "plan.json")
    assert made.exit_code == 0, made.output
    rig.switch.arm(None)
    result = rig.cli("apply", rig.project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    assert rig.account.duplicates(rig.state()) == []
    return Reference(rig.switch.writes, _addresses(rig.workdir / "plan.json"))


def choose_points(writes: list[str], rng: random.Random, count: int) -> list[KillPoint]:
    """`count` points: the first request (a read), then one write in each stage (route) in the order the
    apply reaches them, then any writes; each write killed before or after the vendor acts, at random."""
    stages = list(dict.fromkeys(writes))
    chosen: set[int] = set()
    for index in range(count - 1):
        stage = stages[index] if index < len(stages) else None
        pool = [n for n, route in enumerate(writes, 1) if stage in (None, route) and n not in chosen]
        chosen.add(rng.choice(pool))
    reading = KillPoint(0, False, "")
    return [reading, *(KillPoint(n, rng.random() < 0.5, writes[n - 1]) for n in sorted(chosen))]


def _kill_and_recover(rig: Rig, point: KillPoint, mode: str, number: int, planned: set[str]) -> None:
    rig.reset()
    if mode == "saved":
        plan_file = rig.workdir / "plan.json"
        made = rig.cli("plan", rig.project.root, "--out", plan_file)
        assert made.exit_code == 0, made.output
        assert _addresses(plan_file) == planned
        command = ["apply", str(plan_file)]
    else:
        command = ["apply", str(rig.project.root), "--auto-approve"]

    killed = _run_until_killed(rig, command, point, number)

    # What the kill left: a true journal (none before the first write), no duplicate, the dead one's lock.
    state = rig.state()
    assert rig.account.duplicates(state) == [], "duplicates after the kill"
    journals = sorted(rig.journals.glob("*.jsonl"))
    assert len(journals) == (1 if point.write else 0)
    lines = journal_lines(journals[0]) if journals else []
    assert all(line["event"] not in ("complete", "stopped") for line in lines)
    done = {line["address"] for line in lines if line["event"] == "done"}
    missing = done - set(rig.account.present(state))
    assert not missing, f"the journal records as done what the vendor does not have: {sorted(missing)[:5]}"
    holder = json.loads(lock_path(rig.project.root).read_text(encoding="utf-8"))
    assert holder["pid"] == killed and holder.get("journal") == (journals[0].name if journals else None)

    # The next run: the same command, in-process.
    result = rig.cli(*command)

    assert result.exit_code == 0, result.output
    assert f"taking over the lock of an apply that was killed (pid {killed} on" in result.stderr
    assert (
        f"What it did is in project/.lmsform/journal/{journals[0].name} ({len(done)} change(s) done"
        if journals
        else "It had not started changing anything (it left no journal)."
    ) in result.stderr
    assert not lock_path(rig.project.root).exists()
    state = rig.state()
    assert rig.account.duplicates(state) == [], "duplicates after the next run"
    absent = planned - set(rig.account.present(state))
    assert not absent, f"not made after the next run: {sorted(absent)[:5]}"
    assert rig.cli("plan", rig.project.root, "--detailed-exitcode").exit_code == 0, "the plan is not empty"
    _check_next_journal(rig, journals, done, mode, planned, result.stdout, result.stderr)


def _check_next_journal(
    rig: Rig, killed: list[Path], done: set[str], mode: str, planned: set[str], stdout: str, stderr: str
) -> None:
    """The next run's journal names the killed one's; for a saved plan, the two record every change."""
    journals = sorted(rig.journals.glob("*.jsonl"))
    assert journals[: len(killed)] == killed
    if len(journals) == len(killed):  # the killed apply had done it all, without hearing it
        assert mode == "project" and "No changes." in stdout
        return
    [after] = [journal_lines(path) for path in journals[len(killed) :]]
    assert after[0].get("after_killed") == (killed[0].name if killed else None)
    assert after[-1]["event"] == "complete"
    if mode == "saved" and killed:
        assert "Resuming this plan, begun by an earlier apply" in stderr
        assert after[0]["resumes"] == killed[0].name
        found = {line["address"] for line in after if line["event"] == "done" and line.get("found")}
        assert not found & done, "found made, yet the killed apply's journal has them"
        assert not found or f" {len(found)} of the others were made without that apply hearing back" in stderr
    recorded = done | {line["address"] for line in after if line["event"] == "done"}
    if mode == "saved":
        assert recorded == planned, f"the journals do not account for {sorted(planned - recorded)[:5]}"


def _addresses(plan_file: Path) -> set[str]:
    return {change["address"] for change in json.loads(plan_file.read_text(encoding="utf-8"))["changes"]}


def _run_until_killed(rig: Rig, command: list[str], point: KillPoint, number: int) -> int:
    """Run `python -m lmsform <command>` until the kill switch kills it; its pid."""
    log = rig.workdir / f"killed-{number}.log"
    environment = {**os.environ, **rig.account.credentials}
    rig.switch.arm(point)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "lmsform", *command],
            cwd=rig.workdir,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        rig.switch.attach(process)
        try:
            returncode = process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    # The vendor finishes what it received from the dead process before the next run reads the account
    # (a request the vendor takes up only after that is a race no client can close).
    rig.switch.wait_idle()
    text = log.read_text(encoding="utf-8", errors="replace")
    CLI_OUTPUTS.append(text)
    assert returncode == -signal.SIGKILL, f"the apply was not killed (exit {returncode}):\n{text[-3000:]}"
    return process.pid


def journal_lines(path: Path) -> list[dict[str, Any]]:
    """A journal's lines: every complete line must be a JSON object; a last line cut short is left out."""
    *complete, _cut_short = path.read_text(encoding="utf-8").split("\n")
    lines = [json.loads(text) for text in complete]
    assert all(isinstance(line, dict) for line in lines), path
    return lines
