"""Talking to the person (or CI log) running lmsform: errors, confirmation, apply progress and what
stays on screen after it, colours (NO_COLOR, --no-color), logging (set up by `logs`).

Errors and log lines quote manifests, file names and vendors' answers, none of them trusted: each
line is printed with control and bidi characters and line breaks shown as escapes (`shown_inline`),
so quoted text can neither restyle the terminal nor start a line a CI runner would act on.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from lmsform import logs
from lmsform.apply import ApplyResult, ChangeResult, KindCounts, Outcome
from lmsform.characters import shown_escaped, shown_inline
from lmsform.errors import LmsformError, ManifestError, relative
from lmsform.output.redaction import Redactor
from lmsform.output.text import apply_summary, batch_line
from lmsform.secrets import redact

EXIT_ERROR = 1
EXIT_CHANGES = 2


@contextmanager
def errors_exit() -> Iterator[None]:
    """Turn lmsform's errors into a message on stderr and exit 1; secrets are masked."""
    try:
        yield
    except ManifestError as error:
        for issue in error.lines():
            _print_error([issue])
        count = len(error.issues)
        click.echo(
            f"{count} error{'s' if count != 1 else ''} in the manifests; nothing was changed.", err=True
        )
        sys.exit(EXIT_ERROR)
    except LmsformError as error:
        _print_error(error.lines())
        sys.exit(EXIT_ERROR)
    except Exception as error:
        # A bug in lmsform. Its message may quote untrusted text (a name, a vendor's answer), so it is
        # printed on one line like every error; the frames (lmsform's own code) are kept for a report.
        frames = "".join(["Traceback (most recent call last):\n", *traceback.format_tb(error.__traceback__)])
        click.echo(shown_escaped(redact(frames)).rstrip("\n"), err=True)
        _print_error(
            [f"unexpected error, a bug in lmsform (please report it): {type(error).__name__}: {error}"]
        )
        sys.exit(EXIT_ERROR)


def fail(message: str) -> NoReturn:
    """Print `message` as one line (its line breaks as escapes) and exit 1."""
    _print_error([message])
    sys.exit(EXIT_ERROR)


def _print_error(lines: Sequence[str]) -> None:
    """The first line after "Error: ", the rest as they are; secrets masked before anything is escaped,
    so a secret is masked however it is written."""
    first, *rest = lines or [""]
    click.echo(click.style("Error: ", fg="red", bold=True) + shown_inline(redact(first)), err=True)
    for line in rest:
        click.echo(shown_inline(redact(line)), err=True)


def interactive() -> bool:
    return sys.stdin.isatty()


def confirm() -> None:
    if not interactive():
        fail("refusing to apply without --auto-approve: no terminal to ask for confirmation")
    answer = click.prompt(
        "\nDo you want to apply these changes? Only 'yes' will be accepted", default="", show_default=False
    )
    if answer.strip() != "yes":
        fail("Apply cancelled.")


@contextmanager
def apply_progress(total: int, redactor: Redactor) -> Iterator[Callable[[list[ChangeResult]], None]]:
    """Reports finished work: a progress bar on a terminal, one line per finished batch otherwise."""
    if not sys.stdout.isatty():
        yield lambda batch: click.echo(batch_line(batch, redactor))
        return
    columns = (TextColumn("Applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    console = Console(no_color=True if colours_off() else None)  # rich reads NO_COLOR itself
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("apply", total=total)

        def above_the_bar(line: str) -> None:
            # The line is escaped already; from_ansi keeps its styling as rich's, dropped without colour.
            # Never wrapped: a line copied from the terminal (a JSON log record) stays one line.
            progress.console.print(
                Text.from_ansi(line), markup=False, highlight=False, emoji=False, soft_wrap=True
            )

        def advance(batch: list[ChangeResult]) -> None:
            progress.advance(task, len(batch))
            for result in batch:
                if result.outcome is Outcome.FAILED:
                    above_the_bar(batch_line([result], redactor))

        with logs.printing_above(above_the_bar):
            yield advance


def report_applied(result: ApplyResult, journal: Path, redactor: Redactor) -> None:
    """What stays on screen once the progress bar is gone: the summary, a table of what was done to
    each kind, and where the journal is. On stderr when the apply failed."""
    failed = not result.ok
    click.echo()
    click.echo(apply_summary(result, redactor), err=failed)
    click.echo(applied_table(result.by_kind()), err=failed)
    where = "What was done is in" if failed else "The journal of this apply is"
    click.echo(shown_inline(f"{where} {relative(journal)}."), err=failed)


_COLUMNS = ("created", "updated", "removed", "failed")


def applied_table(counts: dict[str, KindCounts]) -> str:
    """One row per kind, a column per outcome; "not attempted" only when a change was not."""
    columns = [*_COLUMNS, "not attempted"] if any(row.not_attempted for row in counts.values()) else _COLUMNS
    rows = [["kind", *columns]] + [
        [shown_inline(kind), *(str(getattr(row, column.replace(" ", "_"))) for column in columns)]
        for kind, row in counts.items()
    ]
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    return "\n".join("  ".join(_aligned(row, widths)) for row in rows)


def _aligned(row: list[str], widths: list[int]) -> list[str]:
    """The kind to the left, counts to the right."""
    cells = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
    return [row[0].ljust(widths[0]), *cells[1:]]


_F = TypeVar("_F", bound=Callable[..., Any])
_LOG_CHOICE = "lmsform.log"


def colours_off() -> bool:
    """Whether output is plain: NO_COLOR is set to anything but "" (no-color.org), or --no-color."""
    context = click.get_current_context(silent=True)
    return bool(os.environ.get("NO_COLOR")) or (context is not None and context.color is False)


def _no_colour(context: click.Context, parameter: click.Parameter, value: bool) -> None:
    if value or os.environ.get("NO_COLOR"):
        context.color = False  # click.echo drops styles; colours_off() tells rich


def no_color_option() -> click.Option:
    return click.Option(
        ["--no-color"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_no_colour,
        help="Print without colours (as the NO_COLOR environment variable does).",
    )


class ColourChoosingGroup(click.Group):
    """A command group where the group and every command take --no-color, so a command added later
    has it too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(no_color_option())

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any("--no-color" in parameter.opts for parameter in cmd.params):
            cmd.params.append(no_color_option())
        super().add_command(cmd, name)


def log_options(command: _F) -> _F:
    """--log-file and --log-format, kept for `configure_logging` (the commands need not name them)."""

    def keep(context: click.Context, parameter: click.Parameter, value: Any) -> None:
        context.meta.setdefault(_LOG_CHOICE, {})[parameter.name] = value

    command = click.option(
        "--log-format",
        type=click.Choice(logs.LOG_FORMATS),
        default="text",
        show_default=True,
        expose_value=False,
        callback=keep,
        help="Format of the log: text, or json (one object per line).",
    )(command)
    return click.option(
        "--log-file",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        callback=keep,
        help=f"Append the log to this file instead of stderr (its level: -v or {logs.LEVEL_VARIABLE}).",
    )(command)


def configure_logging(verbose: bool) -> None:
    """Set up the log as -v, LMSFORM_LOG and the command's --log-file and --log-format ask; a level or
    file that cannot be used is an error in the arguments (exit 2) before anything starts."""
    context = click.get_current_context(silent=True)
    given = context.meta.get(_LOG_CHOICE, {}) if context is not None else {}
    choice = logs.LogChoice(
        verbose=verbose, file=given.get("log_file"), format=given.get("log_format") or "text"
    )
    try:
        logs.configure(choice, os.environ, sys.stderr)
    except logs.LogSetupError as error:
        raise click.BadParameter(shown_inline(str(error)), param_hint=error.option) from None
    if context is not None and choice.file is not None:
        context.call_on_close(logs.close_log_files)
