"""Shared fixtures: a Skilljar emulator on loopback, project directories, and the CLI runner."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from lmsform.cli import main
from lmsform.providers.emulation.server import EmulatorServer, RecordedRequest
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions, create_app
from tests.guards import leaks, refuse_non_loopback, uncovered

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# A recognisable API key: tests assert that it never shows up in any output.
CANARY_KEY = "sk-live-CANARY-4f9d2c71e8"
DOMAIN = "acme.skilljar.com"


@pytest.fixture
def skilljar(tmp_path: Path) -> Iterator[EmulatorServer]:
    """A Skilljar emulator accepting only CANARY_KEY, with its state in a fresh SQLite file."""
    app = create_app(
        tmp_path / "skilljar.sqlite3", api_key=CANARY_KEY, options=SkilljarEmulatorOptions(domains=(DOMAIN,))
    )
    with EmulatorServer(app) as server:
        yield server


class _RefuseFirstGroupCreate:
    """Answers the first `POST /v1/groups` 403 without passing it on: a create that truly failed, so the
    apply stops with the rest of the plan not attempted."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.refused = False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self.refused and (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == ("POST", "/v1/groups"):
            self.refused = True
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [b'{"detail": "You do not have permission to perform this action."}']
        return self.app(environ, start_response)


@pytest.fixture
def refusing(tmp_path: Path) -> Iterator[EmulatorServer]:
    """A Skilljar emulator that refuses the first group create: an apply that stops part way."""
    app = create_app(
        tmp_path / "refusing.sqlite3", api_key=CANARY_KEY, options=SkilljarEmulatorOptions(domains=(DOMAIN,))
    )
    with EmulatorServer(_RefuseFirstGroupCreate(app)) as server:
        yield server


@dataclass
class ProjectDir:
    """A project directory on disk, written by the test."""

    root: Path

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def configure(self, base_url: str, *, manage: str = "", extra: str = "") -> Path:
        manage_block = (
            f"manage:\n{textwrap.indent(textwrap.dedent(manage).strip(), '  ')}\n" if manage.strip() else ""
        )
        return self.write(
            "lmsform.yaml",
            f"provider:\n  type: skilljar\n  domain: {DOMAIN}\n  api_key: ${{SKILLJAR_API_KEY}}\n"
            f"  base_url: {base_url}\n{extra}{manage_block}",
        )


@pytest.fixture
def project(tmp_path: Path) -> ProjectDir:
    root = tmp_path / "project"
    root.mkdir()
    return ProjectDir(root)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunnerCall:
    """The CLI, run from the directory holding `project/`, so manifest paths show as project/..."""
    monkeypatch.setenv("SKILLJAR_API_KEY", CANARY_KEY)
    monkeypatch.chdir(tmp_path)
    return CliRunnerCall()


# Everything the CLI printed during the run, searched for secrets once the run is over (tests/guards.py).
CLI_OUTPUTS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    refuse_non_loopback()


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_any_output(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Once every test has run: no secret shows in any CLI output, plan file, journal or log of the run."""
    yield
    base = tmp_path_factory.getbasetemp()
    assert leaks(CLI_OUTPUTS, base) == [], "a secret showed in lmsform's output or files"
    if _whole_suite(request.config):
        assert uncovered(CLI_OUTPUTS, base) == []


def _whole_suite(config: pytest.Config) -> bool:
    """The run is the README's command: every test, none picked by path, keyword or marker."""
    picked = [
        arg for arg in config.args if Path(arg).resolve() != Path(str(config.rootpath), "tests").resolve()
    ]
    return not picked and not config.option.keyword and not config.option.markexpr


class CliRunnerCall:
    """Runs the real click app in-process, stdout and stderr kept apart."""

    def __call__(
        self, *args: str | Path, env: dict[str, str | None] | None = None, input: str | None = None
    ) -> Result:
        runner = CliRunner(env=env)
        try:
            result = runner.invoke(main, [str(arg) for arg in args], input=input, catch_exceptions=False)
        except Exception as error:
            CLI_OUTPUTS.append(f"{type(error).__name__}: {error}")
            raise
        CLI_OUTPUTS.append(result.stdout + result.stderr)
        return result


def api_calls(server: EmulatorServer, *, since: int = 0) -> list[RecordedRequest]:
    """The vendor API calls the emulator received (its test hooks excluded)."""
    return [request for request in server.requests[since:] if not request.path.startswith("/_emulator")]


def writes(server: EmulatorServer, *, since: int = 0) -> list[tuple[str, str]]:
    return [
        (request.method, request.path)
        for request in api_calls(server, since=since)
        if request.method != "GET"
    ]


# Hypothesis profiles for the convergence properties (tests/properties): the suite runs a few
# examples, the same ones every time; `pytest -m properties --hypothesis-profile long` runs many more.
hypothesis_settings.register_profile(
    "suite",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "long",
    max_examples=300,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile("suite")


@pytest.fixture(autouse=True)
def _lmsform_logger_as_it_was() -> Iterator[None]:
    """The CLI sets up the `lmsform` logger (its own handler, no propagation): put it back after each
    test, so a later test's caplog sees lmsform's records whatever ran before it."""
    logger = logging.getLogger("lmsform")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved
