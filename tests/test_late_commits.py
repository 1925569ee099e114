"""Creates that commit after the client stopped waiting: never a second object, found or a clear error.

The emulator holds one create longer than lmsform's timeout and commits it afterwards (`LateCommits`),
as a slow vendor does. For the kinds the vendor keeps no unique key for (Damstra groups, Skilljar
courses and webhooks) a repeat would make a duplicate; lmsform must look again until the object
shows, or stop and say so, and the vendor's store must hold exactly one object either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.providers import safe_writes
from lmsform.providers.damstra.emulator import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator import create_app as damstra_app
from lmsform.providers.emulation.faults import LateCommits
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator import create_app as skilljar_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls

TIMEOUT_S = 1  # lmsform's timeout for one call; every late commit lands after it
LATE_S = 3.0


@dataclass(frozen=True)
class Late:
    """A create that commits late: the vendor, its manifest, the create's path, and its objects in the
    emulator's store."""

    vendor: str
    manifest: str
    path: str
    objects: Callable[[dict[str, Any]], list[Any]]


CASES = {
    "damstra group": Late(
        "damstra",
        "groups:\n  - name: crew\n    description: The crew\n",
        "/api/v2/group",
        lambda state: [group for group in state["groups"] if group["name"] == "crew" and group["active"]],
    ),
    "skilljar course": Late(
        "skilljar",
        "courses:\n  - title: Safety 101\n    short_description: Stay safe.\n",
        "/v1/courses",
        lambda state: [course for course in state["courses"] if course["title"] == "Safety 101"],
    ),
    "skilljar webhook": Late(
        "skilljar",
        "webhooks:\n  - url: https://hooks.acme.example/lms\n    events: [COURSE_COMPLETION]\n",
        "/v1/webhooks",
        lambda state: state["webhooks"],
    ),
}


@pytest.fixture
def servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, tuple[EmulatorServer, LateCommits]]]:
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    monkeypatch.setenv("SKILLJAR_API_KEY", CANARY_KEY)
    damstra = LateCommits(
        damstra_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())
    )
    skilljar = LateCommits(
        skilljar_app(
            tmp_path / "skilljar.sqlite3",
            api_key=CANARY_KEY,
            options=SkilljarEmulatorOptions(domains=(DOMAIN,)),
        )
    )
    with EmulatorServer(damstra) as damstra_server, EmulatorServer(skilljar) as skilljar_server:
        yield {"damstra": (damstra_server, damstra), "skilljar": (skilljar_server, skilljar)}
        damstra.settle()
        skilljar.settle()


def _configure(project: ProjectDir, vendor: str, server: EmulatorServer) -> None:
    if vendor == "damstra":
        provider = (
            f"  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}/api/v2\n"
            "  access_key: ${DAMSTRA_ACCESS_KEY}\n"
        )
    else:
        provider = (
            f"  type: skilljar\n  domain: {DOMAIN}\n  api_key: ${{SKILLJAR_API_KEY}}\n"
            f"  base_url: {server.url}\n"
        )
    project.write("lmsform.yaml", f"provider:\n{provider}  timeout: {TIMEOUT_S}\n")


def _state(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _wait_for_commit(late: LateCommits, path: str) -> None:
    deadline = time.monotonic() + 4 * LATE_S
    while ("POST", path) not in late.committed:
        assert time.monotonic() < deadline, "the late create never reached the emulator's app"
        time.sleep(0.05)


@pytest.mark.parametrize("gateway", [False, True], ids=["timed out", "gateway 504"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_attack_a_create_committing_after_the_timeout_is_found_not_made_twice(
    servers: dict[str, tuple[EmulatorServer, LateCommits]],
    project: ProjectDir,
    cli: CliRunnerCall,
    case: Late,
    gateway: bool,
) -> None:
    server, late = servers[case.vendor]
    _configure(project, case.vendor, server)
    project.write("things.yaml", case.manifest)
    late.arm("POST", case.path, delay=LATE_S, gateway=gateway)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code == 0, result.output
    _wait_for_commit(late, case.path)
    late.settle()
    assert len(case.objects(_state(server))) == 1  # the store itself: exactly one
    posts = [call for call in api_calls(server) if (call.method, call.path) == ("POST", case.path)]
    assert len(posts) == 1  # sent once, never again
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_attack_a_create_committing_after_lmsform_stops_looking_fails_clearly(
    servers: dict[str, tuple[EmulatorServer, LateCommits]],
    project: ProjectDir,
    cli: CliRunnerCall,
    case: Late,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The vendor commits only after lmsform's retry budget: the apply stops with what happened and what
    to do, sends nothing twice, and the next plan finds the object the vendor made in the end."""
    monkeypatch.setattr(safe_writes, "RETRY_BUDGET", 2.0)
    server, late = servers[case.vendor]
    _configure(project, case.vendor, server)
    project.write("things.yaml", case.manifest)
    late.arm("POST", case.path, delay=LATE_S + 2, gateway=True)

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code != 0
    output = " ".join(result.output.split())
    assert "no unique key for it, so lmsform does not send it again" in output, result.output
    assert "Run `lmsform plan` again in a few minutes" in output
    assert case.objects(_state(server)) == []
    late.settle()
    assert len(case.objects(_state(server))) == 1
    assert cli("plan", project.root, "--detailed-exitcode").exit_code == 0
