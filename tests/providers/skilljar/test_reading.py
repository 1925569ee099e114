"""How lmsform reads a Skilljar domain: the independent lists at once, in one pool of
`provider.parallelism` threads, with the same requests and the same result as one list after another."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls
from tests.skilljar_api import SkilljarApi

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

USERS_PATH = f"/v1/domains/{DOMAIN}/users"


class _UsersWaitForMembers:
    """WSGI middleware: the domain's user list is answered only once a group's members were asked for.

    A reader that waits for the user list to end before it reads memberships never gets there; one that
    reads the lists at once gets both (the wait gives up after 10 s, so a failure cannot hang)."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self.members_asked = threading.Event()
        self.users_waited = False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = str(environ.get("PATH_INFO", "")), environ.get("REQUEST_METHOD")
        if method == "GET" and path.startswith("/v1/groups/") and path.endswith("/users"):
            self.members_asked.set()
        elif method == "GET" and path == USERS_PATH:
            self.users_waited = self.members_asked.wait(10)
        return self._app(environ, start_response)


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[tuple[EmulatorServer, _UsersWaitForMembers]]:
    app = create_app(
        tmp_path / "skilljar.sqlite3", api_key=CANARY_KEY, options=SkilljarEmulatorOptions(domains=(DOMAIN,))
    )
    gate = _UsersWaitForMembers(app)
    with EmulatorServer(gate) as server:
        yield server, gate


def test_memberships_are_read_while_the_user_list_is_still_being_read(
    gated: tuple[EmulatorServer, _UsersWaitForMembers], project: ProjectDir, cli: CliRunnerCall
) -> None:
    server, gate = gated
    api = SkilljarApi(server.url)
    crew = api.add_group("crew")
    api.add_member(crew, api.add_user("ann@acme.com", "Ann", "Lee"))
    api.add_member(crew, api.add_user("bob@acme.com", "Bob", "Hill"))
    project.configure(server.url, manage="memberships: authoritative", extra="  parallelism: 2\n")
    project.write(
        "people.yaml",
        "users:\n  - email: ann@acme.com\n    first_name: Ann\n    last_name: Lee\n"
        "groups:\n  - name: crew\n    members: [ann@acme.com, bob@acme.com]\n",
    )
    start = len(server.requests)

    result = cli("plan", project.root, "--detailed-exitcode")

    assert result.exit_code == 0, result.output
    assert gate.users_waited
    reads = sorted(call.path for call in api_calls(server, since=start))
    assert reads == sorted([f"/v1/domains/{DOMAIN}", USERS_PATH, "/v1/groups", f"/v1/groups/{crew}/users"])
