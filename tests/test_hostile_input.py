"""Hostile manifests: each one fails with precise errors, exit 1, and not one HTTP request.

The corpus is `tests/hostile/`: a folder per case holding the project's files (the default
`lmsform.yaml` below when the case has none) and `expected.txt`, the exact lines lmsform writes to
stderr. Every case runs through the real CLI against emulators that record each request. Cases that
would be silly as committed files (a 50 MB manifest, symbolic links, a named pipe) are made here,
and the heavy ones run in a child process whose memory and CPU time are capped, so that lmsform
expanding an alias bomb or building a tree of an oversized file fails the test instead of the machine.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator import create_app as damstra_app
from lmsform.providers.damstra.provider import DamstraProvider
from lmsform.providers.emulator import EmulatorServer
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator import create_app as skilljar_app
from lmsform.providers.training_records.emulator import create_app as training_records_app
from lmsform.providers.versal.emulator import create_app as versal_app
from lmsform.providers.versal.provider import VersalProvider
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall

CORPUS = Path(__file__).parent / "hostile"
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
DEFAULT_CONFIG = (
    "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  api_key: ${SKILLJAR_API_KEY}\n"
    "  base_url: ${SKILLJAR_URL}\n"
)
# These also run through `plan`, which would read the live account first if it got past the manifests.
PLANNED = {
    "config-unknown-provider-type",
    "duplicate-key-in-an-entry",
    "reference-to-an-undeclared-group",
    "syntax-tab-indentation",
    "tag-python-object",
    "versal-groups",
}


@pytest.fixture(scope="module")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, EmulatorServer]]:
    """One emulator per vendor, each recording every request it gets."""
    state = tmp_path_factory.mktemp("hostile-emulators")
    apps = {
        "SKILLJAR": skilljar_app(
            state / "skilljar.sqlite3", api_key=CANARY_KEY, options=SkilljarEmulatorOptions(domains=(DOMAIN,))
        ),
        "DAMSTRA": damstra_app(
            state / "damstra.sqlite3", access_key=CANARY_KEY, options=DamstraEmulatorOptions()
        ),
        "VERSAL": versal_app(state / "versal.sqlite3", api_key=str(uuid.uuid4())),
        "TRAINING_RECORDS": training_records_app(state / "training-records.sqlite3", api_key=CANARY_KEY),
    }
    servers = {name: EmulatorServer(app) for name, app in apps.items()}
    for server in servers.values():
        server.start()
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def environment(emulators: dict[str, EmulatorServer]) -> dict[str, str]:
    """What the cases' lmsform.yaml files read with ${VARIABLE}: each vendor's API root and credentials."""
    roots = {
        "SKILLJAR": emulators["SKILLJAR"].url,
        "DAMSTRA": DamstraProvider.emulator_api_root(emulators["DAMSTRA"].url),
        "VERSAL": VersalProvider.emulator_api_root(emulators["VERSAL"].url),
        "TRAINING_RECORDS": emulators["TRAINING_RECORDS"].url,
    }
    return {
        **{f"{vendor}_URL": root for vendor, root in roots.items()},
        "SKILLJAR_API_KEY": CANARY_KEY,
        "DAMSTRA_ACCESS_KEY": CANARY_KEY,
        "VERSAL_API_KEY": str(uuid.uuid4()),
        "TRAINING_RECORDS_API_USER": "hostile",
        "TRAINING_RECORDS_API_KEY": CANARY_KEY,
        "LMSFORM_TEST_WITH_NEWLINE": "Jane\n",
    }


def _project_of(case: str, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(CORPUS / case, project, ignore=shutil.ignore_patterns("expected.txt"))
    if not (project / "lmsform.yaml").exists():
        (project / "lmsform.yaml").write_text(DEFAULT_CONFIG, encoding="utf-8")
    return project


def _expected(case: str) -> list[str]:
    return (CORPUS / case / "expected.txt").read_text(encoding="utf-8").splitlines()


def _request_counts(emulators: dict[str, EmulatorServer]) -> dict[str, int]:
    return {name: len(server.requests) for name, server in emulators.items()}


def test_every_case_says_what_it_expects() -> None:
    assert [case for case in CASES if not (CORPUS / case / "expected.txt").is_file()] == []
    assert sorted(PLANNED - set(CASES)) == []


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_manifest_gives_precise_errors_and_no_request(
    case: str,
    tmp_path: Path,
    cli: CliRunnerCall,
    emulators: dict[str, EmulatorServer],
    environment: dict[str, str],
) -> None:
    project = _project_of(case, tmp_path)
    before = _request_counts(emulators)

    for command in ("validate", "plan") if case in PLANNED else ("validate",):
        result = cli(command, project, env={**environment})

        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert result.stderr.splitlines() == _expected(case), command
    assert _request_counts(emulators) == before
