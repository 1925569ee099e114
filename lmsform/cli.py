"""The `lmsform` command. Each command parses its arguments, delegates to `app`, and prints."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from lmsform import __version__, app, schema
from lmsform.apply import ApplyResult, ChangeResult, apply_plan
from lmsform.characters import shown_inline
from lmsform.console import (
    EXIT_CHANGES,
    EXIT_ERROR,
    ColourChoosingGroup,
    apply_progress,
    configure_logging,
    confirm,
    errors_exit,
    fail,
    log_options,
    report_applied,
)
from lmsform.errors import PlanFileError, relative
from lmsform.expansion import expand_declared
from lmsform.export import check_exportable, export_project
from lmsform.gc_tuning import fewer_collections
from lmsform.journal import Cause, Journal, journal_dir, read_journal, unfinished_applies
from lmsform.kinds import DECLARABLE, KIND_NAMES, KINDS_BY_NAME, kind
from lmsform.lock import ApplyLock, describe
from lmsform.lock import unlock as remove_lock
from lmsform.manifest import Project
from lmsform.output import FORMATS, Report, render
from lmsform.output.markdown import CommentLimit
from lmsform.output.redaction import Redactor
from lmsform.plan import Change, Plan, Targets
from lmsform.providers import registry
from lmsform.providers.base import Provider
from lmsform.providers.emulation.faults import MALFORMED_KINDS, Faults, parse_duration, parse_rate
from lmsform.sandbox import sandbox_state_path
from lmsform.scaffold import init_project
from lmsform.secrets import redact as mask_secrets
from lmsform.targeting import TargetError, parse_target
from lmsform.yamlmessages import did_you_mean

_F = TypeVar("_F", bound=Callable[..., Any])


def _verbose(command: _F) -> _F:
    """-v, and where and how the log is written (--log-file, --log-format)."""
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Log every HTTP call (method, path, status, time) and retry; secrets masked.",
    )(log_options(command))


def _directory(command: _F) -> _F:
    return click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))(command)


def _output(command: _F) -> _F:
    command = click.option(
        "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True
    )(command)
    return click.option(
        "--redact",
        type=click.Choice(["none", "emails"]),
        help="Show e-mail addresses as pseudonyms and mask names in text and Markdown (default: "
        "output.redact); LMSFORM_REDACT_KEY keeps the pseudonyms from run to run.",
    )(command)


def _comment_size(command: _F) -> _F:
    """--max-chars and --full-plan-url: Markdown that fits a pull-request comment."""
    command = click.option(
        "--full-plan-url",
        metavar="URL",
        help="With --max-chars: where the full plan is (an http(s) URL, such as the CI run's), for the "
        "line that says what was left out.",
    )(command)
    return click.option(
        "--max-chars",
        type=click.IntRange(min=1000),
        metavar="N",
        help="Make --format markdown fit N characters (a GitHub comment holds 65536): a section that does "
        "not fit is summarised, and a last line says what was left out.",
    )(command)


def _comment_limit(
    output_format: str, max_chars: int | None, full_plan_url: str | None
) -> CommentLimit | None:
    """The size Markdown must fit; misuse is an error in the arguments (exit 2), before anything starts."""
    if max_chars is None and full_plan_url is None:
        return None
    if output_format != "markdown" or max_chars is None:
        raise click.UsageError(
            "--max-chars and --full-plan-url go with --format markdown, and --full-plan-url with --max-chars"
        )
    try:
        return CommentLimit(max_chars, full_plan_url)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--full-plan-url") from None


def _force(command: _F) -> _F:
    return click.option(
        "--force", is_flag=True, help="Go ahead although the plan exceeds the safety thresholds."
    )(command)


def _addresses(context: click.Context, parameter: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """--target values, each an address; one that is not is an error in the arguments (exit 2)."""
    for text in value:
        try:
            parse_target(text)
        except TargetError as error:
            raise click.BadParameter(str(error), context, parameter) from None
    return tuple(dict.fromkeys(value))


def _targeting(command: _F) -> _F:
    """--target and --kind: a partial plan of what they select and what it needs (`lmsform.targeting`)."""
    command = click.option(
        "--kind",
        "kinds",
        multiple=True,
        type=click.Choice(KIND_NAMES),
        help="Plan only objects of this kind, and what they need (repeatable).",
    )(command)
    return click.option(
        "--target",
        "addresses",
        multiple=True,
        metavar="ADDRESS",
        callback=_addresses,
        help='Plan only this object, and what it needs (repeatable; globs allowed): users["*@acme.com"].',
    )(command)


@click.group(cls=ColourChoosingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lmsform")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Learning-management systems as code: plan and apply an LMS account from YAML manifests."""
    ctx.with_resource(fewer_collections())


@main.command()
@_directory
@_verbose
def validate(directory: Path, verbose: bool) -> None:
    """Check the manifests offline, without secrets. Exit 0 valid, 1 invalid."""
    configure_logging(verbose)
    with errors_exit():
        project = app.load(directory, offline=True)
        # A target made of variables that are not set (a base_url from the environment) may be empty.
        target = " ".join(filter(None, (project.provider.title, project.settings.target())))
        click.echo(f"Valid: {_declared(project)} for {shown_inline(target)}.")


def _declared(project: Project) -> str:
    """What the manifests declare, counted as plan counts it: an entry naming groups is one object per
    member. Offline, only members the manifests declare are known: say so where plan may find more."""
    expanded, open_kinds = expand_declared(project.desired, project.config.manage)
    counts = expanded.counts()
    more = f" (more if groups have members only in {project.provider.title})"
    return (
        ", ".join(
            f"{counts.get(name, 0)} {kind(name).singular if counts.get(name) == 1 else name}"
            + (more if name in open_kinds else "")
            for name in KINDS_BY_NAME
            if name in counts or name in open_kinds
        )
        or "nothing declared"
    )


@main.command()
@_directory
@_verbose
@_output
@_comment_size
@_force
@_targeting
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan as JSON for `apply`."
)
def plan(
    directory: Path,
    verbose: bool,
    output_format: str,
    redact: str | None,
    force: bool,
    addresses: tuple[str, ...],
    kinds: tuple[str, ...],
    detailed_exitcode: bool,
    out: Path | None,
    max_chars: int | None,
    full_plan_url: str | None,
) -> None:
    """Show what apply would change (and save it with --out)."""
    limit = _comment_limit(output_format, max_chars, full_plan_url)
    configure_logging(verbose)
    with errors_exit():
        project = app.load(directory)
        with _connected(project) as provider:
            planned, reading = app.plan(project, provider, Targets(addresses, kinds))
        _show(project, planned, output_format, redact, limit=limit)
        app.check_safety(project, planned, reading, force=force)
        if out is not None:
            app.save_plan(planned, project, out)
            click.echo(f"Saved the plan to {out}; apply it with: lmsform apply {out}", err=True)
    if detailed_exitcode and not planned.is_empty:
        sys.exit(EXIT_CHANGES)


@main.command()
@_directory
@_verbose
@_output
@_comment_size
def drift(
    directory: Path,
    verbose: bool,
    output_format: str,
    redact: str | None,
    max_chars: int | None,
    full_plan_url: str | None,
) -> None:
    """Report where the live account differs from the manifests, and why when the apply journals tell.
    Exit 0 in sync, 2 drift, 1 error."""
    limit = _comment_limit(output_format, max_chars, full_plan_url)
    configure_logging(verbose)
    with errors_exit():
        project = app.load(directory)
        with _connected(project) as provider:
            found = app.drift(project, provider)
        _show(project, found.plan, output_format, redact, report="drift", causes=found.causes, limit=limit)
    if not found.plan.is_empty:
        sys.exit(EXIT_CHANGES)


@main.command()
@click.argument("target", default=".", type=click.Path(path_type=Path))
@_verbose
@_force
@_targeting
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
def apply(
    target: Path,
    verbose: bool,
    force: bool,
    addresses: tuple[str, ...],
    kinds: tuple[str, ...],
    auto_approve: bool,
) -> None:
    """Apply a saved plan (TARGET is a plan file) once a fresh plan shows exactly its changes, or plan
    and apply a project directory."""
    targets = Targets(addresses, kinds)
    if targets.partial and target.is_file():
        raise click.UsageError(
            "a saved plan keeps the targets it was made with: apply it without --target and --kind"
        )
    configure_logging(verbose)
    with errors_exit():
        result = (
            _apply_saved(target, force)
            if target.is_file()
            else _apply_directory(target, force, auto_approve, targets)
        )
    if result is not None and not result.ok:
        sys.exit(EXIT_ERROR)


def _apply_directory(
    directory: Path, force: bool, auto_approve: bool, targets: Targets
) -> ApplyResult | None:
    project = app.load(directory)
    with ApplyLock(project.root) as lock, _connected(project) as provider:
        _warn_if_taken_over(project, lock)
        planned, reading = app.plan(project, provider, targets)
        _show(project, planned, "text", None)
        app.check_safety(project, planned, reading, force=force)
        if not planned.changes:
            return None
        if not auto_approve:
            confirm()
        return _run(project, provider, planned, lock)


def _apply_saved(path: Path, force: bool) -> ApplyResult | None:
    """Apply a saved plan, which is a claim: plan again, go ahead only if the fresh plan makes exactly
    its changes, and apply the fresh one (its ids, its safety counts)."""
    opened = app.open_saved_plan(path, within=Path.cwd())
    saved = opened.plan
    project = app.load(opened.project)
    app.check_environment(opened, project)
    with ApplyLock(project.root) as lock, _connected(project) as provider:
        _warn_if_taken_over(project, lock)
        begun = unfinished_applies(project.root, saved)
        resumes = begun[-1].path if begun else None
        found: list[Change] = []
        fresh, reading = app.plan_again(opened, project, provider, resuming=bool(begun))
        if begun:
            planned = app.resume(opened, fresh, project)
            found = app.made_already(saved, planned, begun)
            unheard = (
                f" {len(found)} of the others were made without that apply hearing back; this apply's "
                "journal records them as found."
                if found
                else ""
            )
            click.echo(
                shown_inline(
                    f"Resuming this plan, begun by an earlier apply (journal {relative(begun[-1].path)}): "
                    f"{len(planned.changes)} of its {len(saved.changes)} change(s) are left.{unheard}"
                ),
                err=True,
            )
        else:
            app.check_unchanged(opened, fresh, project, reading.live)
            planned = fresh
        _show(project, planned, "text", None)
        app.check_safety(project, planned, reading, force=force)
        if not planned.changes and not found:
            return None
        return _run(project, provider, planned, lock, resumes=resumes, found=found)


def _warn_if_taken_over(project: Project, lock: ApplyLock) -> None:
    """Say loudly that this apply took over the lock of a killed one, and where to see what that one did."""
    holder = lock.taken_over
    if holder is None:
        return
    folder = journal_dir(project.root)
    name = lock.killed_journal
    if name is not None:
        path = folder / name
        what = (
            f"What it did is in {relative(path)} ({len(read_journal(path).done)} change(s) done, unfinished)."
            if path.is_file() and not path.is_symlink()
            else f"Its journal, {relative(path)}, is missing."
        )
    elif holder:
        what = "It had not started changing anything (it left no journal)."
    else:
        what = f"Its lock file was cut short: its journal, if any, is the newest in {relative(folder)}."
    click.echo(
        click.style("Warning: ", fg="yellow", bold=True)
        + shown_inline(  # the lock file and journal names may be a pull request's
            f"taking over the lock of an apply that was killed ({describe(holder)}): its process is gone. "
            f"{what} This apply reads the account again before it changes anything, so it starts from "
            "what the killed one did."
        ),
        err=True,
    )


def _run(
    project: Project,
    provider: Provider,
    planned: Plan,
    lock: ApplyLock,
    *,
    resumes: Path | None = None,
    found: list[Change] | None = None,
) -> ApplyResult:
    redactor = Redactor(project.config.output.redact)
    with (
        Journal.start(project.root, planned, resumes=resumes, after_killed=lock.killed_journal) as journal,
        apply_progress(len(planned.changes), redactor) as progress,
    ):
        lock.record_journal(journal.path)
        journal.record_found(found or ())

        def finished(batch: list[ChangeResult]) -> None:
            journal.record(batch)
            progress(batch)

        result = apply_plan(
            planned,
            provider,
            parallelism=project.settings.parallelism,
            on_batch=finished,
            secrets=app.secrets_of(project),
        )
    report_applied(result, journal.path, redactor)
    return result


@main.command()
@_directory
@click.option(
    "--force",
    is_flag=True,
    help="Also remove a lock from another host (which cannot be checked), or one naming a process that "
    "runs here without holding it. Never one whose apply runs.",
)
def unlock(directory: Path, force: bool) -> None:
    """Remove the apply lock an apply left behind when it was killed (never one still running).

    An apply takes over by itself the lock of an apply killed on this machine; this is for the rest."""
    with errors_exit():
        click.echo(shown_inline(remove_lock(directory, force=force)))


@main.command()
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_output
@_comment_size
def show(
    plan_file: Path, output_format: str, redact: str | None, max_chars: int | None, full_plan_url: str | None
) -> None:
    """Render a saved plan."""
    limit = _comment_limit(output_format, max_chars, full_plan_url)
    with errors_exit():
        saved, document = app.read_plan_file(plan_file)
        if saved.provider not in registry():
            # The title starts lines of the report: a forged plan's provider must not be printed as one.
            raise PlanFileError(
                f"{plan_file}: the plan names provider {json.dumps(saved.provider)}, which lmsform does "
                f"not know (it knows {', '.join(registry())})"
            )
        title = registry()[saved.provider].title
        mode = redact or str(document.get("redact", "none"))
        text = render(saved, output_format, title=title, redact=mode, document=document, limit=limit)
        click.echo(text, nl=False)


def _kind_names(context: click.Context, parameter: click.Parameter, value: str | None) -> list[str] | None:
    """--kinds as a list of kinds; a name that is no kind is an error in the arguments (exit 2)."""
    if not value:
        return None
    names = [name.strip() for name in value.split(",")]
    unknown = [name for name in names if name not in DECLARABLE]
    if unknown:
        hints = "; ".join(f"{name!r} is not a kind{did_you_mean(name, DECLARABLE)}" for name in unknown)
        raise click.BadParameter(f"{hints} (choose from {', '.join(DECLARABLE)})", context, parameter)
    return names


@main.command(name="export")
@_directory
@_verbose
@click.option(
    "--kinds",
    callback=_kind_names,
    help=f"Comma-separated kinds to export (default: all the provider can read): {', '.join(DECLARABLE)}.",
)
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write (default: DIRECTORY); a new folder also gets lmsform.yaml and the schemas.",
)
def export_command(directory: Path, verbose: bool, kinds: list[str] | None, to: Path | None) -> None:
    """Write manifests for the live account, to bring an existing LMS under lmsform."""
    configure_logging(verbose)
    with errors_exit():
        project = app.load(directory)
        check_exportable(project.provider, kinds)
        with _connected(project) as provider:
            written = export_project(project, provider, kinds, to or directory)
        for path in written:
            click.echo(shown_inline(f"wrote {relative(path)}"))


@main.command()
@click.option(
    "--provider", "vendor", required=True, type=click.Choice(sorted(registry())), help="The vendor."
)
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(vendor: str, directory: Path) -> None:
    """Start a project in DIRECTORY: a commented lmsform.yaml, .gitignore, a first resource file and
    the schemas editors use. Never overwrites a file."""
    with errors_exit():
        written = init_project(registry()[vendor], directory)
    for path in written:
        click.echo(shown_inline(f"wrote {relative(path)}"))


@main.command()
@_directory
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file is not formatted.")
def fmt(directory: Path, check: bool) -> None:
    """Normalise manifest files (key order, indentation), keeping comments."""
    from lmsform.manifest_layout import format_project

    with errors_exit():
        result = format_project(directory, check=check)
    for path, reason in result.skipped:
        click.echo(shown_inline(f"skipped {relative(path)}: {reason}"), err=True)
    for path in result.changed:
        click.echo(shown_inline(f"{'would reformat' if check else 'reformatted'} {relative(path)}"))
    if (check and result.changed) or result.skipped:
        sys.exit(EXIT_ERROR)


@main.command(name="schema")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--provider",
    "vendor",
    type=click.Choice(sorted(registry())),
    help="Print this vendor's schema of resource files to stdout instead of writing files.",
)
@click.option(
    "--config",
    "project_file",
    is_flag=True,
    help="Print the schema of lmsform.yaml: the vendor's with --provider, else the one for every vendor.",
)
def schema_command(directory: Path | None, vendor: str | None, project_file: bool) -> None:
    """Write the JSON Schemas of the manifest format (one set per provider, and lmsform.yaml's for
    every provider) to DIRECTORY (default: schemas), or print one with --provider or --config."""
    if vendor is not None or project_file:
        if directory is not None:
            raise click.UsageError(
                "give DIRECTORY to write every schema, or --provider/--config to print one"
            )
        click.echo(schema.one(vendor, project_file), nl=False)
        return
    for path in schema.write(directory or Path("schemas")):
        click.echo(f"wrote {relative(path)}")


def _parsed(
    parse: Callable[[str], float],
) -> Callable[[click.Context, click.Parameter, str | None], float | None]:
    def callback(context: click.Context, parameter: click.Parameter, value: str | None) -> float | None:
        try:
            return None if value is None else parse(value)
        except ValueError as error:
            raise click.BadParameter(str(error), context, parameter) from None

    return callback


def _fault_options(command: _F) -> _F:
    """Options named after `Faults` settings; the ones given go to `Faults` as they are."""
    share = click.FloatRange(0, 1)
    options = [
        click.option("--latency", metavar="DURATION", callback=_parsed(parse_duration),
                     help="Delay every API request: 30ms, 0.03s or seconds."),
        click.option("--rate-limit", metavar="RATE", callback=_parsed(parse_rate),
                     help="Answer 429 with Retry-After beyond this rate: 600/min, 10/s or per second."),
        click.option("--error-rate", type=share, help="Share of API requests answered 503."),
        click.option("--throttle-rate", type=share, help="Share of API requests answered 429."),
        click.option("--drop-rate", type=share, help="Share of writes committed, then left unanswered."),
        click.option("--hang-rate", type=share, help="Share of API requests held for --hang-seconds."),
        click.option("--hang-seconds", metavar="DURATION", callback=_parsed(parse_duration),
                     help="How long a hanging request is held (default 30s)."),
        click.option("--malformed-rate", "malformed", type=share,
                     help="Share of successful JSON answers to GETs spoilt as --malformed-kind says."),
        click.option("--malformed-kind", type=click.Choice(MALFORMED_KINDS),
                     help="html: a 502 HTML page; truncated: half the JSON; loop: paging that loops."),
        click.option("--seed", type=int, help="Seed for the random faults, to repeat a run."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


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
@_fault_options
def emulator(
    vendor: str,
    port: int,
    state_path: Path | None,
    api_key: str | None,
    target: str | None,
    **fault_options: Any,
) -> None:
    """Run a vendor's emulator as an HTTP server; its first line of output is the URL for `base_url`.

    Network faults can be set here and changed while it runs: GET or POST /_emulator/chaos."""
    from lmsform.providers.emulation.registry import emulator_for
    from lmsform.providers.emulation.server import EmulatorServer

    provider = registry()[vendor]
    vendor_emulator = emulator_for(vendor)
    path = state_path or Path(f"{vendor}-emulator.sqlite3")
    given = {name: value for name, value in fault_options.items() if value is not None}
    faults = Faults(**given)
    with errors_exit():
        served = vendor_emulator.app(path, api_key=api_key, target=target)
    server = EmulatorServer(served, port=port, faults=faults)
    click.echo(vendor_emulator.api_root(server.url))
    click.echo(f"{provider.title} emulator serving; state in {path}. Press Ctrl-C to stop.", err=True)
    if given:
        click.echo("Faults: " + ", ".join(f"{name}={value}" for name, value in given.items()), err=True)
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@contextmanager
def _connected(project: Project) -> Iterator[Provider]:
    if project.settings.uses_sandbox:
        state = relative(sandbox_state_path(project.root, project.provider))
        click.echo(
            shown_inline(f"Using the built-in {project.provider.title} sandbox (state in {state})."), err=True
        )
    if project.settings.insecure:
        click.echo(
            shown_inline(
                f"Warning: allow_insecure: {project.settings.base_url} is plain http://; the API key and "
                "learner data cross the network unencrypted."
            ),
            err=True,
        )
    with app.connect(project) as provider:
        yield provider


def _show(
    project: Project,
    planned: Plan,
    output_format: str,
    redact: str | None,
    report: Report = "plan",
    causes: Mapping[str, Cause] | None = None,
    limit: CommentLimit | None = None,
) -> None:
    document = (
        app.plan_document(planned, project, relative_to=Path.cwd()) if output_format == "json" else None
    )
    mode = redact or project.config.output.redact
    text = render(
        planned,
        output_format,
        title=project.provider.title,
        redact=mode,
        report=report,
        document=document,
        causes=causes,
        limit=limit,
    )
    # No plan holds a secret; should a value ever equal one, it is masked here as in every log line.
    click.echo(mask_secrets(text), nl=False)


__all__ = ["fail", "main"]
