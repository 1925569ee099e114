"""One harness for every vendor's emulator: a running server on loopback and a client for it.

`EmulatorClient` is the whole loop: it sends a request with the vendor's credentials to the vendor's
API path (test hooks under `/_emulator/` are never under it), keeps what it sent for the vendor's
oracle, and reaches the hooks every emulator has (reset, seed, state, requests, faults). What differs
between vendors is data, a `Vendor` (`tests.emulators.vendors`): how to build the app, the key, how
the key is sent, where the API lives and the oracle that checks exchanges against the vendor's spec.
Each vendor's client class adds only its shortcuts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, Self, TypeVar

import flask
import requests

from lmsform.providers.emulation.faults import is_hook
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer

OptionsT = TypeVar("OptionsT")


class Closable(Protocol):
    def close(self) -> None: ...


Oracle = Callable[["EmulatorClient[Any]"], list[str]]
"""Every way the exchanges of a client so far break its vendor's spec (run when a test ends)."""


class _Default(Enum):
    KEY = "the vendor's key"


VENDORS_KEY = _Default.KEY
"""The key of the vendor's `Vendor`, where a test names none."""


def _no_credentials(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


@dataclass(frozen=True)
class Vendor(Generic[OptionsT]):
    """What the harness needs to know to run one vendor's emulator and talk to it."""

    name: str
    """The vendor as the emulator registry names it."""
    key: str
    """The key the emulators accept and the clients send, unless a test says otherwise."""
    create_app: Callable[[Path, str | None, OptionsT], flask.Flask]
    """The app on a state file, accepting a key (None: any) with options."""
    store: Callable[[flask.Flask], Closable]
    """The store behind an app, closed when its server stops."""
    default_options: OptionsT
    authenticate: Callable[[requests.Session, str], None]
    """Make a session send a key the vendor's way (`auth=` on a call overrides it)."""
    oracle: Oracle | None = None
    mount: Callable[[OptionsT], str] | None = None
    """Where options move the API to (default: where the registry says it lives)."""
    timeout: float = 10
    follow_redirects: bool = True

    def prefix(self, options: OptionsT) -> str:
        return self.mount(options) if self.mount else emulator_for(self.name).api_path


@dataclass(frozen=True)
class Sent:
    """One exchange a client sent to the vendor's API, and what the oracle is to check of it."""

    response: requests.Response
    check_request: bool
    check_response: bool
    index: int | None
    """Its place in the server's log; noted only for requests exempt from the check."""


class EmulatorClient(Generic[OptionsT]):
    """A running emulator and a `requests` session that sends the vendor's credentials on every call."""

    vendor: Vendor[OptionsT]

    def __init__(self, server: EmulatorServer, *, key: str, prefix: str) -> None:
        self.server = server
        self.key = key
        self.prefix = prefix
        """Where the vendor's API lives on the server (paths a test gives are under it)."""
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or .netrc credentials from the environment
        self.vendor.authenticate(self.session, key)
        self.sent: list[Sent] = []
        self.checked = 0
        """Successful API calls the oracle covers; a test adds those it checked on its own."""
        self.check_responses = True
        """False: the oracle checks only the requests."""

    @classmethod
    def start(
        cls,
        state_path: Path,
        *,
        api_key: str | Literal[_Default.KEY] | None = VENDORS_KEY,
        client_key: str | Literal[_Default.KEY] = VENDORS_KEY,
        options: OptionsT | None = None,
    ) -> Self:
        """An emulator on `state_path` accepting `api_key` (None: any key), and a client sending
        `client_key`."""
        vendor = cls.vendor
        options = vendor.default_options if options is None else options
        app = vendor.create_app(state_path, vendor.key if api_key is VENDORS_KEY else api_key, options)
        server = EmulatorServer(app, on_stop=vendor.store(app).close).start()
        key = vendor.key if client_key is VENDORS_KEY else client_key
        return cls(server, key=key, prefix=vendor.prefix(options))

    @property
    def url(self) -> str:
        return self.server.url

    def fresh(self) -> Self:
        """Empty state (what an emulator always holds excepted), a clean request log and the
        vendor's credentials again, for the next test."""
        assert self.session.post(f"{self.url}/_emulator/reset", timeout=10).status_code == 204
        self.server.recorder.clear()
        self.vendor.authenticate(self.session, self.key)
        self.sent.clear()
        self.checked = 0
        return self

    def stop(self) -> None:
        self.session.close()
        self.server.stop()

    def spec_problems(self) -> list[str]:
        """Every way the exchanges so far break the vendor's spec (none without an oracle)."""
        return self.vendor.oracle(self) if self.vendor.oracle else []

    # --- raw calls; paths are under the API path unless they are hooks or whole URLs ---

    def call(
        self,
        method: str,
        path: str,
        *,
        check_request: bool = True,
        check_response: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        """`auth=None` sends no credentials (but what `headers` carry); `check_request=False` spares a
        request sent malformed on purpose from the spec check, `check_response=False` its answer."""
        if "auth" in kwargs and kwargs["auth"] is None:
            kwargs["auth"] = _no_credentials
        kwargs.setdefault("allow_redirects", self.vendor.follow_redirects)
        url = path if path.startswith("http") else self.url + ("" if is_hook(path) else self.prefix) + path
        response = self.session.request(method, url, timeout=self.vendor.timeout, **kwargs)
        if not is_hook(path):
            self._note(response, check_request, check_response)
        return response

    def _note(self, response: requests.Response, check_request: bool, check_response: bool) -> None:
        index = None if check_request else len(self.server.requests) - 1
        self.sent.append(Sent(response, check_request, check_response, index))
        if response.ok:
            self.checked += 1

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        """The JSON answer (None for an empty one) of a call that must succeed with `status`."""
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        if not response.content:
            return None
        assert response.headers["Content-Type"] == "application/json"
        return response.json()

    # --- test hooks ---

    def seed(self, document: dict[str, Any]) -> dict[str, Any]:
        seeded: dict[str, Any] = self.ok("POST", "/_emulator/seed", 201, json=document)
        return seeded

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.ok("GET", "/_emulator/state")
        return state

    def counts(self) -> dict[str, Any]:
        """The vendor requests the emulator counted (`GET /_emulator/requests`)."""
        counts: dict[str, Any] = self.ok("GET", "/_emulator/requests")
        return counts

    def fault(self, method: str, path: str, **rule: Any) -> None:
        """Arm a fault rule (`POST /_emulator/faults`)."""
        self.ok("POST", "/_emulator/faults", 201, json={"method": method, "path": path, **rule})


ClientT = TypeVar("ClientT", bound=EmulatorClient[Any])


class Started(Generic[ClientT]):
    """The emulators a test started: all stop when it ends, and each must have kept to the spec."""

    def __init__(self) -> None:
        self.running: list[ClientT] = []

    def add(self, emulator: ClientT) -> ClientT:
        self.running.append(emulator)
        return emulator

    def stop_and_check(self) -> None:
        problems = []
        for emulator in self.running:
            emulator.stop()
            problems += emulator.spec_problems()
        assert problems == []
