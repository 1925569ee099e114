"""Talking to the person (or CI log) running lmsform: errors, confirmation, apply progress, logging."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lmsform.apply import ChangeResult, Outcome
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
        for issue in error.issues:
            click.echo(click.style("Error: ", fg="red", bold=True) + redact(str(issue)), err=True)
        count = len(error.issues)
        click.echo(
            f"{count} error{'s' if count != 1 else ''} in the manifests; nothing was changed.", err=True
        )
        sys.exit(EXIT_ERROR)
    except LmsformError as error:
        fail(str(error))


def fail(message: str) -> NoReturn:
    click.echo(click.style("Error: ", fg="red", bold=True) + redact(message), err=True)
    sys.exit(EXIT_ERROR)


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
    handler.setFormatter(RedactingFormatter("%(name)s: %(message)s"))
    root = logging.getLogger("lmsform")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False
