"""The terminal: NO_COLOR and --no-color, log lines printed above the progress bar rather than over it,
and what stays on screen after an apply (a table per kind and the journal's path)."""

from __future__ import annotations

import io
import logging
import re

import click
import pytest
from click.testing import CliRunner, Result

from lmsform import console
from lmsform.apply import ApplyResult, ChangeResult, Outcome
from lmsform.cli import main
from lmsform.output.redaction import Redactor
from lmsform.plan import Action, Change
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CLI_OUTPUTS, CliRunnerCall, ProjectDir

COLOUR = re.compile(r"\x1b\[[0-9;]*m")
PEOPLE = (
    "users:\n  - email: jane@acme.com\n    first_name: Jane\n    groups: [staff]\ngroups:\n  - name: staff\n"
)


def _in_colour(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """The CLI as on a terminal that shows colours (stdout and stderr apart)."""
    result = CliRunner(env=env).invoke(main, list(args), color=True, catch_exceptions=False)
    CLI_OUTPUTS.append(result.stdout + result.stderr)
    return result


@pytest.fixture
def broken(project: ProjectDir, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project `validate` refuses, so the run prints a coloured `Error:`."""
    monkeypatch.chdir(project.root.parent)
    project.configure("sandbox")
    project.write("people.yaml", "users:\n  - email: not-an-address\n")
    return "project"


def test_errors_are_in_colour_on_a_terminal_by_default(broken: str) -> None:
    assert COLOUR.search(_in_colour("validate", broken).stderr)
    assert COLOUR.search(_in_colour("validate", broken, env={"NO_COLOR": ""}).stderr)  # empty: not set


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("validate", "{dir}"), {"NO_COLOR": "1"}),
        (("validate", "{dir}", "--no-color"), None),
        (("--no-color", "validate", "{dir}"), None),
    ],
)
def test_no_color_or_the_no_color_option_print_without_colours(
    broken: str, args: tuple[str, ...], env: dict[str, str | None] | None
) -> None:
    result = _in_colour(*(arg.format(dir=broken) for arg in args), env=env)

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: project/people.yaml:2:12: email:")
    assert not COLOUR.search(result.stderr)


def test_every_command_takes_no_color() -> None:
    without = [
        name
        for name, command in {"lmsform": main, **main.commands}.items()
        if not any("--no-color" in parameter.opts for parameter in command.params)
    ]
    assert without == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _failed(address: str) -> ChangeResult:
    return ChangeResult(Change(Action.CREATE, "users", (address,), None, {}), Outcome.FAILED, "boom")


def test_log_lines_are_printed_above_the_progress_bar_not_over_it(monkeypatch: pytest.MonkeyPatch) -> None:
    screen, stderr = _Terminal(), _Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    monkeypatch.setattr("sys.stderr", stderr)
    console.configure_logging(verbose=True)
    log = logging.getLogger("lmsform.http")

    with console.apply_progress(2, Redactor("none")) as report:
        log.info("GET /v1/users -> 429; retry 1 in 2.0 s (as Retry-After asks)")
        report([_failed("a@acme.com")])
    log.info("after the bar: straight to stderr")

    assert stderr.getvalue() == "lmsform.http: after the bar: straight to stderr\n"
    shown = screen.getvalue()
    # Printed through the display, which clears the bar, writes the line, and draws the bar again below.
    assert "lmsform.http: GET /v1/users -> 429; retry 1 in 2.0 s (as Retry-After asks)\n" in shown
    assert shown.index("retry 1") < shown.rindex("Applying")


def test_the_progress_bar_and_its_failures_print_without_colours_under_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = _Terminal()
    monkeypatch.setattr("sys.stdout", screen)

    with click.Context(main, color=False), console.apply_progress(1, Redactor("none")) as report:
        report([_failed("a@acme.com")])

    assert 'users["a@acme.com"]: create failed: boom' in screen.getvalue()
    assert not COLOUR.search(screen.getvalue())


def _results(kind: str, action: Action, outcome: Outcome, count: int) -> list[ChangeResult]:
    return [ChangeResult(Change(action, kind, (f"{kind}{n}",), None, {}), outcome) for n in range(count)]


def test_the_table_after_an_apply_counts_each_kind_by_outcome_in_plan_order() -> None:
    result = ApplyResult(
        (
            *_results("memberships", Action.CREATE, Outcome.DONE, 12),
            *_results("users", Action.CREATE, Outcome.DONE, 3),
            *_results("users", Action.UPDATE, Outcome.DONE, 1),
            *_results("users", Action.REASSERT, Outcome.DONE, 1),
            *_results("users", Action.DEACTIVATE, Outcome.DONE, 2),
            *_results("groups", Action.DELETE, Outcome.FAILED, 1),
            *_results("memberships", Action.DELETE, Outcome.NOT_ATTEMPTED, 4),
        )
    )

    assert console.applied_table(result.by_kind()).splitlines() == [
        "kind         created  updated  removed  failed  not attempted",
        "users              3        2        2       0              0",
        "groups             0        0        0       1              0",
        "memberships       12        0        0       0              4",
    ]


def test_after_an_apply_the_summary_table_and_the_journal_stay_on_screen(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)

    applied = cli("apply", project.root, "--auto-approve")

    assert applied.exit_code == 0, applied.output
    assert applied.stdout.splitlines()[-6:] == [
        "Apply complete: 3 added, 0 changed, 0 removed.",
        "kind         created  updated  removed  failed",
        "users              1        0        0       0",
        "groups             1        0        0       0",
        "memberships        1        0        0       0",
        applied.stdout.splitlines()[-1],
    ]
    assert re.fullmatch(
        r"The journal of this apply is project/\.lmsform/journal/\S+\.jsonl\.",
        applied.stdout.splitlines()[-1],
    )
