"""Talking to the person (or CI log) running lmsform: errors, confirmation, apply progress, logging.

Errors and log lines quote manifests, file names and vendors' answers, none of them trusted: each
line is printed with control and bidi characters and line breaks shown as escapes (`shown_inline`),
so quoted text can neither restyle the terminal nor start a line a CI runner would act on.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lmsform.apply import ChangeResult, Outcome
from lmsform.characters import shown_escaped, shown_inline
from lmsform.errors import LmsformError, ManifestError
from lmsform.output.redaction import Redactor
from lmsform.output.text import batch_line
from lmsform.secrets import RedactingFormatter, redact

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
    with Progress(*columns, console=Console(), transient=True) as progress:
        task = progress.add_task("apply", total=total)

        def advance(batch: list[ChangeResult]) -> None:
            progress.advance(task, len(batch))
            for result in batch:
                if result.outcome is Outcome.FAILED:
                    progress.console.print(batch_line([result], redactor), markup=False, highlight=False)

        yield advance


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter("%(name)s: %(message)s"))
    root = logging.getLogger("lmsform")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False


class _OneLineFormatter(RedactingFormatter):
    """A record on one line whatever its arguments hold (a vendor's id, a name); a traceback keeps its
    lines, with control and bidi characters as escapes."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return shown_inline(redact(super().formatMessage(record)))

    def formatException(self, ei: Any) -> str:
        return shown_escaped(redact(super().formatException(ei)))

    def formatStack(self, stack_info: str) -> str:
        return shown_escaped(redact(super().formatStack(stack_info)))
