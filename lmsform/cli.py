"""The `lmsform` command. Each command parses its arguments, delegates to `app`, and prints."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from lmsform import __version__, app, render
from lmsform.apply import apply_plan
from lmsform.errors import LmsformError, ManifestError, relative
from lmsform.manifest import Project
from lmsform.model import kind
from lmsform.plan import Plan
from lmsform.providers import registry
from lmsform.providers.base import Provider
from lmsform.providers.emulator import EmulatorServer
from lmsform.sandbox import sandbox_state_path
from lmsform.secrets import RedactingFormatter, redact

EXIT_ERROR = 1
EXIT_CHANGES = 2

_F = TypeVar("_F", bound=Callable[..., Any])


def _common(command: _F) -> _F:
    command = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Log every HTTP call (method, path, status, time); secrets masked.",
    )(command)
    return click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lmsform")
def main() -> None:
    """Learning-management systems as code: plan and apply users, groups and memberships from YAML."""


@main.command()
@_common
def validate(directory: Path, verbose: bool) -> None:
    """Check the manifests offline. Exit 0 valid, 1 invalid."""
    _configure_logging(verbose)
    with _errors_exit():
        project = app.load(directory)
        counts = ", ".join(
            f"{count} {kind(name).singular if count == 1 else name}"
            for name, count in project.desired.counts().items()
        )
        click.echo(f"Valid: {counts} for {project.provider.title} {project.settings.target()}.")


@main.command()
@_common
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
def plan(directory: Path, verbose: bool, detailed_exitcode: bool) -> None:
    """Show what apply would change."""
    _configure_logging(verbose)
    with _errors_exit():
        project = app.load(directory)
        with _connected(project) as provider:
            planned = _shown_plan(project, provider)
    if detailed_exitcode and not planned.is_empty:
        sys.exit(EXIT_CHANGES)


@main.command()
@_common
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
def apply(directory: Path, verbose: bool, auto_approve: bool) -> None:
    """Show the plan, ask for confirmation, then make the changes."""
    _configure_logging(verbose)
    with _errors_exit():
        project = app.load(directory)
        with _connected(project) as provider:
            planned = _shown_plan(project, provider)
            if not planned.changes:
                return
            if not auto_approve:
                _confirm()
            result = apply_plan(
                planned,
                provider,
                parallelism=project.settings.parallelism,
                on_result=lambda item: click.echo(render.result_line(item)),
                secrets=app.secrets_of(project),
            )
        click.echo()
        click.echo(render.apply_summary(result), err=not result.ok)
    if not result.ok:
        sys.exit(EXIT_ERROR)


@main.command()
@click.argument("vendor", type=click.Choice(sorted(registry())))
@click.option("--port", default=0, show_default=True, help="Port on 127.0.0.1; 0 picks a free one.")
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file holding the emulator's data (default: VENDOR-emulator.sqlite3 here).",
)
@click.option("--api-key", help="The only API key accepted; default: any non-empty key.")
@click.option("--target", help="The account served, e.g. the Skilljar domain name.")
def emulator(
    vendor: str, port: int, state_path: Path | None, api_key: str | None, target: str | None
) -> None:
    """Run a vendor's emulator as an HTTP server; its first line of output is the URL for `base_url`."""
    provider = registry()[vendor]
    path = state_path or Path(f"{vendor}-emulator.sqlite3")
    server = EmulatorServer(provider.emulator_app(path, api_key=api_key, target=target), port=port)
    click.echo(server.url)
    click.echo(f"{provider.title} emulator serving; state in {path}. Press Ctrl-C to stop.", err=True)
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@contextmanager
def _connected(project: Project) -> Iterator[Provider]:
    if project.settings.uses_sandbox:
        state = relative(sandbox_state_path(project.root, project.provider))
        click.echo(f"Using the built-in {project.provider.title} sandbox (state in {state}).", err=True)
    with app.connect(project) as provider:
        yield provider


def _shown_plan(project: Project, provider: Provider) -> Plan:
    planned = app.plan(project, provider)
    click.echo(render.plan_text(planned, title=project.provider.title), nl=False)
    return planned


def _confirm() -> None:
    if not _interactive():
        _fail("refusing to apply without --auto-approve: no terminal to ask for confirmation")
    answer = click.prompt(
        "\nDo you want to apply these changes? Only 'yes' will be accepted", default="", show_default=False
    )
    if answer.strip() != "yes":
        _fail("Apply cancelled.")


def _interactive() -> bool:
    return sys.stdin.isatty()


@contextmanager
def _errors_exit() -> Iterator[None]:
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
        _fail(str(error))


def _fail(message: str) -> NoReturn:
    click.echo(click.style("Error: ", fg="red", bold=True) + redact(message), err=True)
    sys.exit(EXIT_ERROR)


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(name)s: %(message)s"))
    root = logging.getLogger("lmsform")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False
