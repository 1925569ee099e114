"""Two applies of one account at once, from two copies of a project: no duplicate, a clear error.

The apply lock is a file in the project's directory, so two clones (two CI runners, two laptops) do
not see each other's. Damstra keeps no unique group name, so lmsform checks the account itself: before
a phase of new groups it lists the groups once, and after each create it looks for a twin another
apply made at the same moment, taking its own copy back. And where duplicates exist already, the plan
names them and `id:` adopts one.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from werkzeug.test import EnvironBuilder, run_wsgi_app

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, create_app
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir, api_calls

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

API = "/api/v2"
ROOT = Path(__file__).resolve().parents[1]
CREW = "groups:\n  - name: crew\n    description: The crew\n"
ANN = "users:\n  - username: ann\n    email: ann@acme.com\n    first_name: Ann\n    last_name: Acme\n"


def _configure(project: ProjectDir, server: EmulatorServer) -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}{API}\n"
        "  access_key: ${DAMSTRA_ACCESS_KEY}\n",
    )


def _active_crews(server: EmulatorServer) -> list[dict[str, Any]]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return [group for group in state["groups"] if group["name"] == "crew" and group["active"]]


def _group_posts(server: EmulatorServer) -> int:
    return sum(1 for call in api_calls(server) if (call.method, call.path) == ("POST", f"{API}/group"))


@pytest.fixture
def inner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WSGIApplication:
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    return create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())


def _made_elsewhere(inner: WSGIApplication, body: dict[str, Any]) -> None:
    """A group create another apply sends, straight to the vendor's app."""
    made = EnvironBuilder(path=f"{API}/group", method="POST", json=body, headers=[("AccessKey", CANARY_KEY)])
    run_wsgi_app(inner, made.get_environ())


def test_attack_a_group_made_by_another_apply_since_the_plan_is_not_made_again(
    inner: WSGIApplication, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Another clone's apply makes `crew` while this apply creates its users: the group phase lists the
    groups once, finds it, and stops instead of making a second one."""
    done: list[bool] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == ("POST", f"{API}/user") and not done:
            done.append(True)
            _made_elsewhere(inner, {"name": "crew", "description": "The crew"})
        return inner(environ, start_response)

    with EmulatorServer(app) as server:
        _configure(project, server)
        project.write("people.yaml", ANN)
        project.write("groups.yaml", CREW)

        result = cli("apply", project.root, "--auto-approve")

        assert result.exit_code != 0
        output = " ".join(result.output.split())
        assert "made since the plan, by another apply?" in output, result.output
        assert _group_posts(server) == 0
        assert len(_active_crews(server)) == 1
        group_reads = [call for call in api_calls(server) if call.url_path.startswith(f"{API}/group?")]
        assert len(group_reads) == 2  # the plan's read, and one list for the phase of new groups
        assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


def _apply_in_a_process(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "DAMSTRA_ACCESS_KEY": CANARY_KEY}
    return subprocess.run(
        [sys.executable, "-m", "lmsform", "apply", str(root), "--auto-approve"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=root.parent,
        timeout=120,
        check=False,
    )


def test_attack_two_clones_applied_at_once_leave_no_duplicate_group(
    inner: WSGIApplication, tmp_path: Path, cli: CliRunnerCall
) -> None:
    """Two processes apply two copies of one project, and the emulator holds each one's group create
    until the other's arrives: both passed the check before the create. Each then looks for a twin;
    at most one copy stays, and an apply that took its copy back says why. A third apply converges."""
    both_sent = threading.Barrier(2, timeout=30)
    held: list[bool] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == ("POST", f"{API}/group") and len(held) < 2:
            held.append(True)
            with contextlib.suppress(threading.BrokenBarrierError):
                both_sent.wait()  # a lone create goes on after the timeout
        return inner(environ, start_response)

    with EmulatorServer(app) as server:
        copies = [ProjectDir(tmp_path / name) for name in ("clone-a", "clone-b")]
        for copy in copies:
            copy.root.mkdir()
            _configure(copy, server)
            copy.write("groups.yaml", CREW)

        with_threads: list[subprocess.CompletedProcess[str]] = []
        runs = [
            threading.Thread(target=lambda c=c: with_threads.append(_apply_in_a_process(c.root)))
            for c in copies
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join()

        assert _group_posts(server) == 2  # both applies sent their create
        assert len(_active_crews(server)) <= 1
        failed = [run for run in with_threads if run.returncode != 0]
        for process in failed:
            assert "another apply made the same object at the same moment" in " ".join(
                process.stdout.split() + process.stderr.split()
            ), process
        assert len(failed) >= 1

        again = cli("apply", copies[0].root, "--auto-approve")
        assert again.exit_code == 0, again.output
        assert len(_active_crews(server)) == 1
        assert cli("plan", copies[1].root, "--detailed-exitcode").exit_code == 0


@pytest.fixture
def damstra(inner: WSGIApplication) -> Iterator[EmulatorServer]:
    with EmulatorServer(inner) as server:
        yield server


def test_attack_duplicate_groups_are_named_in_the_plan_and_id_adopts_one(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Two live groups share the name `crew` (two applies raced before lmsform guarded against it, or
    someone made one by hand): plan names both ids and the remedy; `id:` then adopts one."""
    ids = []
    for _ in range(2):
        answer = requests.post(
            f"{damstra.url}{API}/group",
            json={"name": "crew", "description": "The crew"},
            headers={"AccessKey": CANARY_KEY},
            timeout=10,
        )
        ids.append(str(answer.json()["id"]))
    _configure(project, damstra)
    project.write("groups.yaml", CREW)

    refused = cli("plan", project.root)

    assert refused.exit_code == 1
    output = " ".join(refused.output.split())
    assert (
        f"2 groups in Damstra share the key 'crew' (ids {ids[0]}, {ids[1]}); add `id:` to say which one"
        in output
    )

    project.write(
        "groups.yaml", f"groups:\n  - name: crew\n    id: {json.dumps(ids[1])}\n    description: The crew\n"
    )
    adopted = cli("plan", project.root, "--detailed-exitcode")

    assert adopted.exit_code == 0, adopted.output
    assert len(_active_crews(damstra)) == 2  # nothing changed: the other one is left to the team
