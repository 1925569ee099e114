"""Damstra's batched writes over real HTTP: new groups a level of their hierarchy at a time, sending
exactly the calls claimed, with nothing left to plan."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
import requests

from lmsform.model import GROUPS
from lmsform.plan import Action, Change
from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, create_app
from lmsform.providers.damstra.operations import DamstraOperations
from lmsform.providers.damstra.settings import DamstraSettings
from lmsform.providers.emulator import EmulatorServer
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir, api_calls

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

API = "/api/v2"
State = dict[str, Any]


def _serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WSGIApplication:
    monkeypatch.setenv("DAMSTRA_ACCESS_KEY", CANARY_KEY)
    return create_app(tmp_path / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions())


@pytest.fixture
def damstra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    with EmulatorServer(_serve(tmp_path, monkeypatch)) as server:
        yield server


def _configure(project: ProjectDir, server: EmulatorServer, *, extra: str = "") -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: damstra\n  organisation: Acme Safety\n  base_url: {server.url}{API}\n"
        f"  access_key: ${{DAMSTRA_ACCESS_KEY}}\n{extra}",
    )


def _user(name: str, *lines: str, last_name: str = "Acme") -> str:
    extra = "".join(f"    {line}\n" for line in lines)
    return (
        f"  - username: {name}\n    email: {name}@acme.com\n"
        f"    first_name: {name.title()}\n    last_name: {last_name}\n{extra}"
    )


def _people(users: Iterable[str]) -> str:
    return "users:\n" + "".join(users)


def _state(server: EmulatorServer) -> State:
    state: State = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _by_name(state: State, table: str, column: str) -> dict[str, dict[str, Any]]:
    return {str(row[column]): row for row in state[table]}


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve", "--force")
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _no_changes(cli: CliRunnerCall, project: ProjectDir) -> None:
    again = cli("plan", project.root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


# --- groups: a level at a time -------------------------------------------------------------------------


def _group(name: str, parent: str | None) -> Change:
    return Change(Action.CREATE, GROUPS.name, (name,), None, {"name": name, "parent": parent})


def test_new_groups_are_one_work_each_in_the_wave_of_their_depth() -> None:
    """Listed children first; `annex`'s parent `hq` exists already, so it needs no wave of its own."""
    changes = [
        _group("crew-a", "site"),
        _group("crew-b", "site"),
        _group("site", "region"),
        _group("annex", "hq"),
        _group("region", None),
    ]
    operations = DamstraOperations(cast(Any, None), DamstraSettings(type="damstra", base_url="sandbox"))

    works = operations.work(GROUPS.name, Action.CREATE, changes)

    assert works is not None
    assert [len(work.changes) for work in works] == [1] * 5
    waves = {work.changes[0].key[0]: work.wave for work in works}
    assert waves == {"region": 0, "annex": 0, "site": 1, "crew-a": 2, "crew-b": 2}


def test_a_hierarchy_of_new_groups_is_created_parents_first(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _configure(project, damstra)
    project.write("people.yaml", _people([_user("ann", "groups: [crew-b]")]))
    crews = "".join(f"  - name: {crew}\n    parent: site\n" for crew in ("crew-a", "crew-b", "crew-c"))
    project.write(
        "groups.yaml",
        f"groups:\n{crews}  - name: site\n    parent: region\n  - name: region\n  - name: depot\n",
    )
    before = len(damstra.requests)

    _apply(cli, project)

    # The emulator records each call as it answers it: a level is done before the next one starts.
    created = [
        json.loads(call.body)
        for call in api_calls(damstra, since=before)
        if (call.method, call.path) == ("POST", f"{API}/group")
    ]
    names = [body["name"] for body in created]
    assert (set(names[:2]), names[2], set(names[3:])) == (
        {"region", "depot"},
        "site",
        {"crew-a", "crew-b", "crew-c"},
    )
    groups = _by_name(_state(damstra), "groups", "name")
    parents = {body["name"]: body["parentId"] for body in created}
    assert parents == {
        "region": None,
        "depot": None,
        "site": groups["region"]["id"],
        **{crew: groups["site"]["id"] for crew in ("crew-a", "crew-b", "crew-c")},
    }
    assert len(groups) == 6
    _no_changes(cli, project)
