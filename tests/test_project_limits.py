"""Whole-project bounds: a pull request cannot make lmsform's load cost more by spreading manifests
over many files, each within the per-file bounds, or by nesting folders deeper than the stack allows.

Each test attacks one bound through the real CLI and checks the refusal: exit 1, an error naming the
file or folder and the bound, nothing written, and no vendor request (the walk and the checks come
before the project's lmsform.yaml is even parsed, so the base URL below is never called).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lmsform import sourcefile, yamllimits
from lmsform.sourcefile import MAX_FILE_BYTES
from lmsform.yamllimits import (
    MAX_FOLDER_DEPTH,
    MAX_FOLDER_ENTRIES,
    MAX_PROJECT_BYTES,
    MAX_PROJECT_FILES,
    MAX_PROJECT_VALUES,
    MAX_VALUES,
)
from tests.conftest import DOMAIN, CliRunnerCall

# Nothing listens here: a command that got past the manifests would fail to connect, not pass.
CONFIG = (
    f"provider:\n  type: skilljar\n  domain: {DOMAIN}\n  api_key: ${{SKILLJAR_API_KEY}}\n"
    "  base_url: http://127.0.0.1:9\n"
)
NOTHING_CHANGED = "1 error in the manifests; nothing was changed."


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "lmsform.yaml").write_text(CONFIG, encoding="utf-8")
    return root


def _users(first: int, count: int) -> str:
    return "".join(f"  - email: learner{number:08d}@acme.com\n" for number in range(first, first + count))


def _refusal(cli: CliRunnerCall, *args: str | Path) -> list[str]:
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


# --- bytes -----------------------------------------------------------------------------------------


def test_attack_many_files_each_under_the_file_bound_cannot_pass_the_project_bytes(
    project: Path, tmp_path: Path
) -> None:
    """Five files of 7 MiB of real users (each under the 8 MiB a file may hold) make 35 MiB: the project
    is refused at the file that crosses 32 MiB, by size alone, in a child process whose memory is
    capped. Read, the five files would take minutes and gigabytes to build."""
    block = _users(0, 1_000)
    per_file = 7 * 2**20
    names = [f"users-{number}.yaml" for number in range(5)]
    for name in names:
        with (project / name).open("w", encoding="utf-8") as stream:
            stream.write("users:\n")
            while stream.tell() < per_file:
                stream.write(block)
    sizes = [(project / name).stat().st_size for name in names]
    assert max(sizes) < MAX_FILE_BYTES
    assert sum(sizes) > MAX_PROJECT_BYTES
    crossing = next(
        index for index in range(len(names)) if len(CONFIG) + sum(sizes[: index + 1]) > MAX_PROJECT_BYTES
    )
    total = (len(CONFIG) + sum(sizes[: crossing + 1])) / 2**20

    started = time.monotonic()
    result = _capped_validate(project)

    assert time.monotonic() - started < 30  # refused before any file is read: about a second
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: project/{names[crossing]}:1:1: {names[crossing]} takes the project's manifest files over "
        f"32 MiB together ({total:.1f} MiB with it): lmsform refuses larger projects",
        NOTHING_CHANGED,
    ]


MEMORY_CAP = 256 * 2**20  # lmsform refuses in under 100 MiB; building the five files takes gigabytes


def _capped_validate(project: Path) -> subprocess.CompletedProcess[str]:
    limits = (
        "import resource, runpy, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
        "sys.argv = ['lmsform', 'validate', sys.argv[1]]\n"
        "runpy.run_module('lmsform', run_name='__main__', alter_sys=True)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", limits, project.name],
        cwd=project.parent,
        env={**os.environ, "SKILLJAR_API_KEY": "sk-test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- values ----------------------------------------------------------------------------------------


def test_attack_many_files_each_under_the_file_values_cannot_pass_the_project_values(
    project: Path, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files each within a file's values that together hold more than the project's are refused at the
    value that crosses the bound, before any tree is built. The bound is made 1,000 here so the files
    are small (the real one is checked below). Before the bound, four files of 6 MiB took 129 s and 2.5 GB."""
    monkeypatch.setattr(yamllimits, "MAX_PROJECT_VALUES", 1_000)
    for number in range(3):  # the mapping, `users`, the list and 400 items: 403 values each
        (project / f"users-{number}.yaml").write_text("users: [" + "0, " * 400 + "]\n", encoding="utf-8")

    assert _refusal(cli, "validate", project) == [
        # lmsform.yaml holds 11 values (a mapping, `provider`, a mapping and four settings' names and
        # values), users-0 and users-1 403 each: 817. The 1,001st is users-2's 184th: its 181st item,
        # at column 9 + 3 * 180.
        "Error: project/users-2.yaml:1:549: more than 1,000 values in the project's manifest files "
        "together, counting what aliases repeat (817 in the files before this one): lmsform refuses "
        "larger projects",
        NOTHING_CHANGED,
    ]


def test_attack_aliases_in_many_files_each_under_the_file_alias_bound_count_in_the_project_values(
    project: Path, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file's aliases may repeat 100,000 values; with 10,000 files that would be a billion. What
    aliases repeat counts in the project's values too: three files that write 55 values each but
    repeat 400 take a project bounded at 1,000 over it, at the alias that crosses."""
    monkeypatch.setattr(yamllimits, "MAX_PROJECT_VALUES", 1_000)
    staff = "staff: &staff [" + ", ".join(["s"] * 10) + "]\nusers: [" + ", ".join(["*staff"] * 40) + "]\n"
    for number in range(3):  # the mapping, `staff`, its list and 10 items, `users` and its list: 15
        (project / f"users-{number}.yaml").write_text(staff, encoding="utf-8")

    assert _refusal(cli, "validate", project) == [
        # lmsform.yaml's 11, then 15 + 40 aliases of 11 values each (the list and its 10 items): 455
        # per file, 921 with lmsform.yaml's. users-2 crosses at its 6th alias (15 + 6 * 11 = 81 > the
        # 79 left), at column 9 + 5 * 8.
        "Error: project/users-2.yaml:2:49: more than 1,000 values in the project's manifest "
        "files together, counting what aliases repeat (921 in the files before this one): lmsform "
        "refuses larger projects",
        NOTHING_CHANGED,
    ]


def test_values_under_the_project_bound_still_load(project: Path, cli: CliRunnerCall) -> None:
    """The same project one file smaller, under the bound, is no error of the bound's: the refusal
    above is the bound's doing, not the files'."""
    (project / "users.yaml").write_text("users:\n" + _users(0, 300), encoding="utf-8")

    result = cli("validate", project)

    assert result.exit_code == 0, result.output


def test_the_project_bounds_are_the_documented_figures() -> None:
    """What the README's Limits section and the comment in yamllimits.py say. They leave room for the
    benchmarks' XL project (about 21 MiB, 1.3 million values in 6 files) and hold an attacker to a few
    times the per-file bounds."""
    assert MAX_PROJECT_BYTES == 32 * 2**20
    assert MAX_PROJECT_VALUES == 2_000_000
    assert MAX_PROJECT_FILES == 10_000
    assert MAX_FOLDER_DEPTH == 32
    assert MAX_FOLDER_ENTRIES == 100_000
    assert MAX_PROJECT_BYTES > 1.5 * 21 * 10**6 and MAX_PROJECT_VALUES > 1.5 * 1_310_000
    assert MAX_PROJECT_BYTES <= 4 * MAX_FILE_BYTES and MAX_PROJECT_VALUES <= 2 * MAX_VALUES


# --- files and folders ----------------------------------------------------------------------------


def test_attack_more_manifest_files_than_a_project_may_have(
    project: Path, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many small manifest files: each costs little to read, but each costs a parser of its own. The
    file past the bound is the error. The bound is 20 here, so as not to write 10,001 files (the real
    one is checked above)."""
    monkeypatch.setattr(sourcefile, "MAX_PROJECT_FILES", 20)
    for number in range(21):
        (project / f"g{number:02d}.yaml").write_text(f"groups:\n  - name: team-{number}\n", encoding="utf-8")

    assert _refusal(cli, "validate", project) == [
        "Error: project/g20.yaml:1:1: g20.yaml is manifest file number 21 of the project: a project may "
        "have at most 20 besides lmsform.yaml",
        NOTHING_CHANGED,
    ]


def test_attack_a_folder_of_more_names_than_lmsform_searches(
    project: Path, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of other files (none of them a manifest) is still searched name by name: the walk stops
    at the folder whose names take it over the bound, hidden ones counted. The bound is 50 here, so as
    not to write 100,000 files (the real one is checked above)."""
    monkeypatch.setattr(sourcefile, "MAX_FOLDER_ENTRIES", 50)
    (project / "users.yaml").write_text("users:\n" + _users(0, 1), encoding="utf-8")
    noise = project / "assets"
    noise.mkdir()
    for number in range(40):
        (noise / f".cache-{number}").touch()
        (noise / f"logo-{number}.png").touch()

    assert _refusal(cli, "validate", project) == [
        "Error: project/assets takes the project's folders over 50 files and folders (hidden ones "
        "included): lmsform searches no more",
        NOTHING_CHANGED,
    ]


# --- depth ---------------------------------------------------------------------------------------


@pytest.fixture
def deep_project(project: Path) -> Iterator[Path]:
    """The project with a tree of folders 1,000 levels deep, a manifest at the bottom. Made and removed
    one level at a time from an open folder (a path from the top would be looked up whole each time),
    bottom up at the end: Python's own recursive removal would fail on it."""
    folders = [os.open(project, os.O_RDONLY)]
    for _ in range(1_000):
        os.mkdir("a", dir_fd=folders[-1])
        folders.append(os.open("a", os.O_RDONLY, dir_fd=folders[-1]))
    manifest = os.open("users.yaml", os.O_WRONLY | os.O_CREAT, dir_fd=folders[-1])
    os.write(manifest, ("users:\n" + _users(0, 1)).encode())
    os.close(manifest)
    yield project
    os.unlink("users.yaml", dir_fd=folders[-1])
    while len(folders) > 1:
        os.close(folders.pop())
        os.rmdir("a", dir_fd=folders[-1])
    os.close(folders[0])


def test_attack_folders_1000_levels_deep_are_refused_without_a_traceback(
    deep_project: Path, cli: CliRunnerCall
) -> None:
    """Folders 1,000 levels deep once ended in a RecursionError. Every command that reads the project
    searches it with one walker: the error names the folder one level past the bound, and nothing is
    written (not even the .lmsform folder)."""
    too_deep = "/".join(["a"] * (MAX_FOLDER_DEPTH + 1))

    for command in ("validate", "plan", "fmt", "export"):
        assert _refusal(cli, command, deep_project) == [
            f"Error: project/{too_deep} is a folder {MAX_FOLDER_DEPTH + 1} levels below the project "
            f"folder: lmsform searches at most {MAX_FOLDER_DEPTH} levels deep",
            NOTHING_CHANGED,
        ], command
    assert sorted(path.name for path in deep_project.iterdir()) == ["a", "lmsform.yaml"]


def test_folders_as_deep_as_the_bound_are_searched(project: Path, cli: CliRunnerCall) -> None:
    """The walk still finds a manifest at the deepest level allowed: its error shows it was read."""
    folder = project.joinpath(*["a"] * MAX_FOLDER_DEPTH)
    folder.mkdir(parents=True)
    (folder / "users.yaml").write_text("users:\n  - email: not-an-address\n", encoding="utf-8")

    errors = _refusal(cli, "validate", project)

    assert errors[0].startswith(f"Error: project/{'a/' * MAX_FOLDER_DEPTH}users.yaml:2:12: email: ")


# --- fmt changes nothing when the project is over a bound --------------------------------------------


def test_attack_fmt_rewrites_nothing_when_a_later_file_crosses_a_project_bound(
    project: Path, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fmt rewrites files one by one: a project that crosses a bound in its last file must not have its
    first files rewritten before the refusal."""
    monkeypatch.setattr(yamllimits, "MAX_PROJECT_VALUES", 1_000)
    unformatted = "users:\n-   email: jane@acme.com\n    first_name: Jane\n"
    (project / "a.yaml").write_text(unformatted, encoding="utf-8")
    (project / "z.yaml").write_text("users: [" + "0, " * 1_000 + "]\n", encoding="utf-8")

    errors = _refusal(cli, "fmt", project)

    assert errors[0].startswith("Error: project/z.yaml:1:")
    assert "more than 1,000 values in the project's manifest files together" in errors[0]
    assert (project / "a.yaml").read_text(encoding="utf-8") == unformatted
