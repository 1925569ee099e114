"""Hostile manifests: each one fails with precise errors, exit 1, and not one HTTP request.

The corpus is `tests/hostile/`: a folder per case holding the project's files (the default
`lmsform.yaml` below when the case has none) and `expected.txt`, the exact lines lmsform writes to
stderr. Every case runs through the real CLI against emulators that record each request. Cases that
would be silly as committed files (a 50 MB manifest, symbolic links, a named pipe) are made here,
and the heavy ones run in a child process whose memory and CPU time are capped, so that lmsform
expanding an alias bomb or building a tree of an oversized file fails the test instead of the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform.providers.damstra.emulator import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator import create_app as damstra_app
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions
from lmsform.providers.skilljar.emulator import create_app as skilljar_app
from lmsform.providers.training_records.emulator import create_app as training_records_app
from lmsform.providers.versal.emulator import create_app as versal_app
from lmsform.sourcefile import MAX_FILE_BYTES
from lmsform.yamllimits import MAX_ALIAS_VALUES, MAX_DEPTH, MAX_VALUES
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall

CORPUS = Path(__file__).parent / "hostile"
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
DEFAULT_CONFIG = (
    "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  api_key: ${SKILLJAR_API_KEY}\n"
    "  base_url: ${SKILLJAR_URL}\n"
)
# These also run through `plan`, which would read the live account first if it got past the manifests.
# Cases only a command that reads the environment's values can refuse.
NEEDS_THE_ENVIRONMENT = {"env-variable-not-set"}
PLANNED = {
    "alias-bomb",
    "bidi-override-in-a-comment",
    "config-unknown-provider-type",
    "duplicate-key-in-an-entry",
    "email-cyrillic-letter-in-the-domain",
    "env-credential-in-a-webhook-url",
    "group-parent-cycle",
    "nesting-too-deep",
    "not-utf8-latin1",
    "reference-to-an-undeclared-group",
    "syntax-tab-indentation",
    "tag-python-object",
    "versal-groups",
}
# Heavy cases run with at most this much address space and CPU time: lmsform itself needs under
# 100 MiB to refuse them; building a tree of any of them takes gigabytes, or minutes.
MEMORY_CAP = 256 * 2**20
CPU_SECONDS_CAP = 60
WALL_SECONDS_CAP = 120  # a read that blocks (a named pipe) uses no CPU


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
        "DAMSTRA": emulator_for("damstra").api_root(emulators["DAMSTRA"].url),
        "VERSAL": emulator_for("versal").api_root(emulators["VERSAL"].url),
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
        # The base URLs are no credentials: manifests read them only because the environment says so.
        "LMSFORM_VARIABLES": ",".join([*(f"{vendor}_URL" for vendor in roots), "ACTIVE"]),
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


def test_the_corpus_is_large_and_every_case_says_what_it_expects() -> None:
    assert len(CASES) >= 40
    assert [case for case in CASES if not (CORPUS / case / "expected.txt").is_file()] == []
    assert sorted((PLANNED | NEEDS_THE_ENVIRONMENT) - set(CASES)) == []


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

    commands = ("validate", "plan") if case in PLANNED else ("validate",)
    if case in NEEDS_THE_ENVIRONMENT:  # validate runs without secrets: a missing variable is plan's to say
        assert cli("validate", project, env={**environment}).exit_code == 0
        commands = ("plan",)
    for command in commands:
        result = cli(command, project, env={**environment})

        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert result.stderr.splitlines() == _expected(case), command
    assert _request_counts(emulators) == before


# --- cases made at test time -----------------------------------------------------------------------


def _errors(
    tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str], emulators: dict[str, EmulatorServer]
) -> list[str]:
    before = _request_counts(emulators)
    result = cli("validate", tmp_path / "project", env={**environment})
    assert result.exit_code == 1, result.output
    assert _request_counts(emulators) == before
    return result.stderr.splitlines()


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for name, text in {"lmsform.yaml": DEFAULT_CONFIG, **files}.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    return project


def test_a_symbolic_link_out_of_the_project_is_not_followed(
    tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str], emulators: dict[str, EmulatorServer]
) -> None:
    secret = tmp_path / "elsewhere" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nCANARY-b3BlbnNzaC1rZXk\n", encoding="utf-8")
    project = _project(tmp_path, {})
    (project / "users.yaml").symlink_to(secret)

    assert _errors(tmp_path, cli, environment, emulators) == [
        "Error: project/users.yaml:1:1: users.yaml is a symbolic link to a file outside the project folder: "
        "lmsform reads manifests only from inside the project",
        "1 error in the manifests; nothing was changed.",
    ]


def test_a_symbolic_link_inside_the_project_is_read(
    tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str]
) -> None:
    project = _project(tmp_path, {"shared/people.yml": ""})
    (project / "shared" / "people.yml").write_text("users:\n  - email: jane@acme.com\n", encoding="utf-8")
    (project / "users.yaml").symlink_to(project / "shared" / "people.yml")

    result = cli("validate", project, env={**environment})

    # The link was followed, and lands on a file of the project: read once, not twice.
    assert result.exit_code == 1
    assert "project/users.yaml:1:1: users.yaml is the same file as project/shared/people.yml" in result.stderr


def test_a_loop_of_symbolic_links_is_an_error(
    tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str], emulators: dict[str, EmulatorServer]
) -> None:
    project = _project(tmp_path, {})
    (project / "a.yaml").symlink_to(project / "b.yaml")
    (project / "b.yaml").symlink_to(project / "a.yaml")

    assert _errors(tmp_path, cli, environment, emulators) == [
        "Error: project/a.yaml:1:1: a.yaml is a symbolic link that leads nowhere (missing target or a loop "
        "of links)",
        "Error: project/b.yaml:1:1: b.yaml is a symbolic link that leads nowhere (missing target or a loop "
        "of links)",
        "2 errors in the manifests; nothing was changed.",
    ]


def test_lmsform_yaml_that_is_a_directory_is_an_error(
    tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str], emulators: dict[str, EmulatorServer]
) -> None:
    project = tmp_path / "project"
    (project / "lmsform.yaml").mkdir(parents=True)

    assert _errors(tmp_path, cli, environment, emulators) == [
        "Error: project/lmsform.yaml:1:1: lmsform.yaml is a directory, not a file",
        "1 error in the manifests; nothing was changed.",
    ]


def test_a_yaml_named_directory_is_a_folder_of_manifests(
    tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str]
) -> None:
    project = _project(tmp_path, {"users.yaml/more.yaml": ""})
    (project / "users.yaml" / "more.yaml").write_text("users:\n  - email: jane@acme.com\n", encoding="utf-8")

    result = cli("validate", project, env={**environment})

    assert result.exit_code == 0, result.output


# --- bounded time and memory ----------------------------------------------------------------------


def _bounded_validate(project: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`lmsform validate project` in a child process that may use MEMORY_CAP and CPU_SECONDS_CAP."""
    limits = (
        "import resource, runpy, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
        f"resource.setrlimit(resource.RLIMIT_CPU, ({CPU_SECONDS_CAP}, {CPU_SECONDS_CAP}))\n"
        "sys.argv = ['lmsform', 'validate', sys.argv[1]]\n"
        "runpy.run_module('lmsform', run_name='__main__', alter_sys=True)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", limits, project.name],
        cwd=project.parent,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=WALL_SECONDS_CAP,
        check=False,
    )


def _users(numbers: range) -> str:
    return "".join(f"  - email: learner{number:08d}@acme.com\n" for number in numbers)


def _fifty_megabytes(project: Path) -> list[str]:
    path = project / "users.yaml"
    with path.open("w", encoding="utf-8") as stream:
        stream.write("users:\n")
        for first in range(0, 1_500_000, 100_000):  # real, valid YAML: 50 MB of learners
            stream.write(_users(range(first, first + 100_000)))
    size = path.stat().st_size
    assert size > 50_000_000
    return [
        f"Error: project/users.yaml:1:1: users.yaml is {size / 2**20:.1f} MiB; a manifest file may be at "
        f"most {MAX_FILE_BYTES // 2**20} MiB: split it into several files"
    ]


def _deep_nesting(project: Path) -> list[str]:
    # Without a bound, libyaml's composer overflows the C stack on this (a crash, not an error).
    (project / "users.yaml").write_text(
        "users: " + "[" * 1_000_000 + "]" * 1_000_000 + "\n", encoding="utf-8"
    )
    return [
        "Error: project/users.yaml:1:57: nested more than 50 levels deep: manifests need about 5, and "
        "lmsform refuses deeper ones"
    ]


def _too_many_values(project: Path) -> list[str]:
    (project / "users.yaml").write_text("users: [" + "0," * 1_200_000 + "]\n", encoding="utf-8")
    column = 9 + 2 * (MAX_VALUES - 3)  # the file's mapping, `users` and its list count too
    return [
        f"Error: project/users.yaml:1:{column}: more than {MAX_VALUES:,} values in one file: split the "
        "manifests into several files"
    ]


def _alias_bomb(project: Path) -> list[str]:
    shutil.copy(CORPUS / "alias-bomb" / "users.yaml", project / "users.yaml")
    return _expected("alias-bomb")[:-1]


def _named_pipe(project: Path) -> list[str]:
    os.mkfifo(project / "users.yaml")  # nothing ever writes to it: reading it would wait forever
    return ["Error: project/users.yaml:1:1: users.yaml is a named pipe, not a file"]


@pytest.mark.skipif(sys.platform == "win32", reason="rlimits, named pipes")
@pytest.mark.parametrize(
    "make",
    [_fifty_megabytes, _deep_nesting, _too_many_values, _alias_bomb, _named_pipe],
    ids=lambda f: f.__name__[1:],
)
def test_heavy_cases_are_refused_in_bounded_time_and_memory(
    make: object, tmp_path: Path, environment: dict[str, str], emulators: dict[str, EmulatorServer]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "lmsform.yaml").write_text(DEFAULT_CONFIG, encoding="utf-8")
    assert callable(make)
    expected = make(project)
    before = _request_counts(emulators)

    result = _bounded_validate(project, environment)

    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stdout == ""
    assert result.stderr.splitlines() == [*expected, "1 error in the manifests; nothing was changed."]
    assert _request_counts(emulators) == before


# --- what stays allowed -----------------------------------------------------------------------------

# 200 users sharing one set of settings through a merge key.
_STAFF = (
    "users:\n  - &staff {email: u0@acme.com, active: true, groups: [staff]}\n"
    + "".join(f"  - <<: *staff\n    email: u{number}@acme.com\n" for number in range(1, 200))
    + "groups:\n  - name: staff\n"
)


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {"users.yaml": "\ufeffusers:\n  - email: jane@acme.com\n"}, id="byte-order-mark-at-the-start"
        ),
        pytest.param({"users.yaml": "users:\r\n  - email: jane@acme.com\r\n"}, id="windows-line-ends"),
        pytest.param({"users.yaml": "# only a comment\n"}, id="comment-only"),
        pytest.param(
            {
                "users.yaml": "users:\n  - email: darya@acme.com\n"
                "    first_name: \u062f\u0627\u0631\u06cc\u200c\u0627\n"
            },
            id="zero-width-non-joiner-in-a-persian-name",
        ),
        pytest.param(
            {"groups.yaml": "groups:\n  - name: \U0001f469\u200d\U0001f4bb on call\n"},
            id="zero-width-joiner-in-an-emoji",
        ),
        pytest.param(
            {
                "groups.yaml": "groups:\n  - name: \u041f\u0440\u043e\u0434\u0430\u0436\u0438\n"
                "  - name: Caf\u00e9 staff\n"
            },
            id="one-script-per-word-and-composed-accents",
        ),
        pytest.param(
            {"courses.yaml": "courses:\n  - title: \u03bcg dosing for \u03b2-blockers\n"},
            id="greek-and-latin-in-a-title",
        ),
        pytest.param({"users.yaml": _STAFF}, id="aliases-and-merge-keys-within-bounds"),
        pytest.param(
            {
                "users.yaml": 'users:\n  - email: jane@acme.com\n    first_name: "Jane\\tMarie"\n'
                "    last_name: Pay$$\n"
            },
            id="escaped-tab-and-literal-dollar",
        ),
        pytest.param(
            {"users.yaml": "users:\n  - email: jane@acme.com\n    active: ${ACTIVE}\n"},
            id="boolean-from-a-variable",
        ),
        pytest.param(
            {"users.yaml": "users:\n  - email: o'brien+lms@mail.acme-corp.co.uk\n"},
            id="apostrophe-plus-and-subdomains",
        ),
        pytest.param(
            {"users.yaml": "users:\n  - email: jane@xn--cme-5cd.com\n"}, id="an-idn-domain-in-ascii-form"
        ),
    ],
)
def test_what_careful_admins_write_stays_valid(
    files: dict[str, str], tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str]
) -> None:
    project = _project(tmp_path, files)

    result = cli("validate", project, env={**environment, "ACTIVE": "true"})

    assert result.exit_code == 0, result.output


def test_positions_after_a_byte_order_mark_and_windows_line_ends_are_exact(
    tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str]
) -> None:
    _project(tmp_path, {"users.yaml": "\ufeffusers:\r\n  - email: jane@acme.com\r\n    active: maybe\r\n"})

    assert _errors(tmp_path, cli, environment, {}) == [
        "Error: project/users.yaml:3:13: active: write true or false "
        "(YAML tools disagree on what yes, no, on and off mean)",
        "1 error in the manifests; nothing was changed.",
    ]


def test_fmt_skips_hostile_files_untouched_instead_of_expanding_or_following_them(
    tmp_path: Path, cli: CliRunnerCall, environment: dict[str, str]
) -> None:
    project = _project(tmp_path, {})
    bomb = (CORPUS / "alias-bomb" / "users.yaml").read_text(encoding="utf-8")
    (project / "users.yaml").write_text(bomb, encoding="utf-8")
    outside = tmp_path / "outside.yaml"
    outside.write_text("groups:\n- name: x\n", encoding="utf-8")
    (project / "groups.yaml").symlink_to(outside)

    result = cli("fmt", project, env={**environment})

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "skipped project/groups.yaml: project/groups.yaml:1:1: groups.yaml is a symbolic link to a file "
        "outside the project folder: lmsform reads manifests only from inside the project",
        f"skipped project/users.yaml: {_expected('alias-bomb')[0].removeprefix('Error: ')}",
    ]
    assert (project / "users.yaml").read_text(encoding="utf-8") == bomb
    assert outside.read_text(encoding="utf-8") == "groups:\n- name: x\n"


def test_the_readme_states_the_limits_lmsform_enforces() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"at most **{MAX_FILE_BYTES // 2**20} MiB**" in readme
    assert f"at most **{MAX_DEPTH}** levels deep" in readme
    assert f"at most **{MAX_VALUES:,}** values" in readme
    assert f"at most **{MAX_ALIAS_VALUES:,}** values in total" in readme
