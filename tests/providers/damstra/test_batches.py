"""Damstra's batched writes over real HTTP: new groups a level of their hierarchy at a time, and changed
users in bulk merges on user name, each sending exactly the calls claimed, with nothing left to plan."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import flask
import pytest
import requests

from lmsform.kinds import GROUPS
from lmsform.plan import Action, Change
from lmsform.providers.damstra.emulator import DamstraEmulatorOptions, create_app, emulator_store
from lmsform.providers.damstra.provider import DamstraProvider
from lmsform.providers.damstra.settings import DamstraSettings
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, CliRunnerCall, ProjectDir, api_calls

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API = "/api/v2"
State = dict[str, Any]


def _serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> flask.Flask:
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
    settings = DamstraSettings.model_validate({"type": "damstra", "base_url": "sandbox"})
    provider = DamstraProvider(settings, api_root="http://127.0.0.1:9", credential="unused")

    works = provider.work(GROUPS.name, Action.CREATE, changes)

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
    parents = {body["name"]: body.get("parentId", "left out") for body in created}
    assert parents == {
        "region": "left out",
        "depot": "left out",
        "site": groups["region"]["id"],
        **{crew: groups["site"]["id"] for crew in ("crew-a", "crew-b", "crew-c")},
    }
    assert len(groups) == 6
    _no_changes(cli, project)


# --- users: bulk merges on user name -------------------------------------------------------------------


TEAM = [f"u{n:02d}" for n in range(10)]


def _team(changed: dict[str, tuple[str, ...]], *, married: Iterable[str] = ()) -> str:
    """The team; `changed` users get the extra lines, `married` ones the last name Acme-Smith."""
    return _people(
        _user(
            name,
            *(("roles: [supervisor, trainee]",) if name == "u00" else ()),
            *changed.get(name, ()),
            last_name="Acme-Smith" if name in married else "Acme",
        )
        for name in TEAM
    )


def test_changed_users_are_updated_by_bulk_merges_in_chunks(
    damstra: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Seven users with a new last name, in merges of at most 4; u01 is also inactivated (after its
    merge), u09 only inactivated, and a user adopted under a new user name is updated by id."""
    seed = {
        "users": [
            {"userName": "legacy.jd", "firstName": "J", "lastName": "Doe", "emailAddress": "jd@acme.com"}
        ]
    }
    requests.post(f"{damstra.url}/_emulator/seed", json=seed, timeout=10).raise_for_status()
    _configure(project, damstra, extra="  bulk_import_size: 4\n")
    jane = "  - username: jane.doe\n    email: jd@acme.com\n    first_name: Jane\n    last_name: Doe\n"
    project.write(
        "people.yaml",
        _team({}) + "  - username: legacy.jd\n    email: jd@acme.com\n"
        "    first_name: J\n    last_name: Doe\n",
    )
    _apply(cli, project)
    married = ("u00", "u01", "u02", "u03", "u05", "u06", "u08")
    project.write(
        "people.yaml",
        _team({"u01": ("active: false",), "u09": ("active: false",)}, married=married)
        + jane
        + "    adopt_by: email\n",
    )
    live = _by_name(_state(damstra), "users", "user_name")
    before = len(damstra.requests)

    planned = cli("plan", project.root)
    _apply(cli, project)

    # The plan is the same as ever: one update per user.
    assert "Plan: 0 to add, 9 to change, 0 to remove." in planned.stdout
    for name in married:
        assert f'~ users["{name}"]' in planned.stdout
    calls = [call for call in api_calls(damstra, since=before) if call.method == "POST"]
    paths = sorted(call.path.removeprefix(API) for call in calls)
    assert paths == sorted(
        [
            "/bulkUserImport",
            "/bulkUserImport",
            f"/user/{live['legacy.jd']['id']}",
            f"/user/{live['u01']['id']}/inactivate",
            f"/user/{live['u09']['id']}/inactivate",
        ]
    )
    merges = [json.loads(call.body) for call in calls if call.path == f"{API}/bulkUserImport"]
    assert {body["mergeType"] for body in merges} == {"userName"}
    assert sorted(len(body["users"]) for body in merges) == [3, 4]
    rows = {row["userName"]: row for body in merges for row in body["users"]}
    assert sorted(rows) == sorted(married)
    # Whole users, roles always (an import resets omitted roles), never a password or a welcome e-mail.
    assert rows["u00"]["roles"] == [5, 6] and rows["u02"]["roles"] == [6]
    assert all(row["lastName"] == "Acme-Smith" and row["sendWelcomeEmail"] is False for row in rows.values())
    assert all("password" not in row and "id" not in row for row in rows.values())
    # u01's status changes only after the merge that gives it its new name.
    order = [call.path for call in calls]
    u01_merge = next(i for i, call in enumerate(calls) if b'"u01"' in call.body)
    assert order.index(f"{API}/user/{live['u01']['id']}/inactivate") > u01_merge

    users = _by_name(_state(damstra), "users", "user_name")
    assert len(users) == len(live)  # nobody created
    assert {name: users[name]["last_name"] for name in married} == dict.fromkeys(married, "Acme-Smith")
    assert users["u00"]["roles"] == [5, 6]
    assert (users["u01"]["client_status_id"], users["u09"]["client_status_id"]) == (57, 57)
    assert users["jane.doe"]["id"] == live["legacy.jd"]["id"] and users["jane.doe"]["first_name"] == "Jane"
    assert _state(damstra)["outbox"] == []
    _no_changes(cli, project)


def test_a_merge_that_finds_a_user_name_gone_stops_with_the_user_it_made_named(
    tmp_path: Path, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone renames u03 in the web app between lmsform's read and its merge: the merge makes a new
    u03 (Damstra merges or creates), so the apply stops with an error that names both ids."""
    inner = _serve(tmp_path, monkeypatch)
    renamed: list[int] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] == f"{API}/bulkUserImport" and not renamed:
            store = emulator_store(inner)
            user = store.user_by_user_name("u03")
            if user is not None:
                store.update_user(user.id, {"user_name": "u03.old"})
                renamed.append(user.id)
        return inner(environ, start_response)

    with EmulatorServer(app) as server:
        _configure(project, server)
        project.write("people.yaml", _team({}))
        renamed.append(0)  # the first apply's import creates the team: leave it alone
        _apply(cli, project)
        renamed.clear()
        project.write("people.yaml", _team({}, married=("u02", "u03")))

        result = cli("apply", project.root, "--auto-approve", "--force")

        assert result.exit_code == 1
        made = _by_name(_state(server), "users", "user_name")["u03"]
        assert f'users["u03"] is id {renamed[0]}, Damstra answered id {made["id"]}' in result.output
        assert "was a user name changed in Damstra since the plan was made?" in result.output
        assert made["last_name"] == "Acme-Smith"
        assert _state(server)["outbox"] == []  # the user made by mistake got no welcome e-mail
