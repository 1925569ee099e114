"""A vendor-neutral runner for convergence properties, and the store comparison they share.

One `Convergence` serves a provider's real emulator over loopback HTTP for a whole test; each
hypothesis example calls `reset()` (the emulator's own reset hook, cheap) and seeds the account it
needs. `converge()` writes a fresh project folder, runs `lmsform apply` and then `lmsform plan`
in-process through the real click app, and fails, naming the change and quoting the manifests,
unless the apply succeeds and the next plan is empty.

`assert_store_holds` compares what a manifest declared with what the vendor's store holds, with
the equality lmsform promises: numbers by value, strings exactly, lists in order, instants as
instants (`2024-05-01T10:00:00+02:00` is `2024-05-01T08:00:00Z`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests
import yaml
from click.testing import CliRunner, Result

from lmsform.cli import main
from lmsform.plan import Action
from lmsform.providers import registry
from lmsform.providers.base import Provider
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

_HOOK_TIMEOUT = 30


@dataclass(frozen=True)
class Vendor:
    """How to run one provider against its emulator."""

    provider: str
    # lmsform.yaml's provider lines besides `type` and `base_url`, indented by two spaces; the key
    # is read from `key_variable` (e.g. "  domain: acme.skilljar.com\n  api_key: ${SKILLJAR_API_KEY}\n").
    settings: str
    key_variable: str
    key: str
    # What the emulator serves (the Skilljar domain, the Versal organisation), as `lmsform emulator --target`.
    target: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def provider_class(self) -> type[Provider]:
        return registry()[self.provider]


@dataclass(frozen=True)
class ProjectRun:
    """A project folder and what its apply printed."""

    root: Path
    files: Mapping[str, str]
    apply: Result


class Convergence:
    """A provider's emulator on loopback for one test, and the apply-then-plan property over it."""

    def __init__(self, vendor: Vendor, workdir: Path) -> None:
        self.vendor = vendor
        self.workdir = workdir
        self.app: WSGIApplication = emulator_for(vendor.provider).app(
            workdir / f"{vendor.provider}.sqlite3", api_key=vendor.key, target=vendor.target
        )
        self.server = EmulatorServer(self.app)
        self._projects = itertools.count(1)

    def __enter__(self) -> Convergence:
        self.server.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_root(self) -> str:
        return emulator_for(self.vendor.provider).api_root(self.server.url)

    def reset(self) -> None:
        """Empty the account (each emulator keeps what makes it that account: domain, organisation)."""
        answer = requests.post(f"{self.url}/_emulator/reset", timeout=_HOOK_TIMEOUT)
        assert answer.status_code == 204, answer.text
        self.server.recorder.clear()

    def seed(self, document: Mapping[str, Any]) -> Any:
        """Objects "made elsewhere": put into the account through the emulator's seed hook."""
        answer = requests.post(f"{self.url}/_emulator/seed", json=document, timeout=_HOOK_TIMEOUT)
        assert answer.status_code == 201, f"seeding failed ({answer.status_code}): {answer.text}\n{document}"
        return answer.json()

    def write_project(self, files: Mapping[str, str], *, manage: Mapping[str, str]) -> Path:
        """A new project folder (its own `.lmsform/`): lmsform.yaml plus the manifest files as given."""
        root = self.workdir / f"project-{next(self._projects)}"
        root.mkdir()
        manage_block = "".join(f"  {kind}: {mode}\n" for kind, mode in manage.items())
        config = (
            f"provider:\n  type: {self.vendor.provider}\n  base_url: {self.api_root}\n{self.vendor.settings}"
            + (f"manage:\n{manage_block}" if manage_block else "")
        )
        (root / "lmsform.yaml").write_text(config, encoding="utf-8")
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        return root

    def cli(self, *args: str | Path) -> Result:
        env = {self.vendor.key_variable: self.vendor.key, **self.vendor.extra_env}
        return CliRunner(env=env).invoke(main, [str(arg) for arg in args], catch_exceptions=False)

    def apply(self, root: Path) -> Result:
        # --force: a generated account may well exceed the safety thresholds (a safety test's concern).
        return self.cli("apply", root, "--auto-approve", "--force")

    def plan_changes(self, root: Path) -> list[dict[str, Any]]:
        """What the next plan would change, as its JSON form lists it."""
        result = self.cli("plan", root, "--format", "json", "--force")
        assert result.exit_code == 0, f"plan failed (exit {result.exit_code}):\n{result.output}"
        changes: list[dict[str, Any]] = json.loads(result.stdout)["changes"]
        # Re-sent values the vendor cannot report back are not changes (`plan --detailed-exitcode`).
        return [change for change in changes if change["action"] != Action.REASSERT.value]

    def converge(self, files: Mapping[str, str], *, manage: Mapping[str, str]) -> ProjectRun:
        """Apply `files`, then require exit 0 and an empty next plan."""
        root = self.write_project(files, manage=manage)
        applied = self.apply(root)
        assert applied.exit_code == 0, (
            f"apply failed (exit {applied.exit_code}):\n{applied.output}\n{describe_project(files, manage)}"
        )
        left = self.plan_changes(root)
        assert not left, (
            "the plan after apply is not empty:\n"
            + "\n".join(describe_change(change) for change in left)
            + f"\napply said:\n{applied.output}\n{describe_project(files, manage)}"
        )
        return ProjectRun(root, files, applied)


def apply_in_turn(
    run: Convergence,
    live: Mapping[str, Any],
    manifests: Sequence[tuple[Mapping[str, str], Mapping[str, str]]],
    holds: Callable[[Mapping[str, str], Mapping[str, str]], None],
) -> None:
    """The property: from the account `live`, each (files, manage) applied in turn converges, and
    after each the vendor's store `holds` what it declares."""
    run.reset()
    run.seed(live)
    for files, manage in manifests:
        run.converge(files, manage=manage)
        holds(files, manage)


def describe_change(change: Mapping[str, Any]) -> str:
    shown = {name: change.get(name) for name in ("before", "after", "changed") if change.get(name)}
    what = f"{change.get('action')} {change.get('kind')} {change.get('key')}"
    return f"  {what}: {json.dumps(shown, default=str, ensure_ascii=False)}"


def describe_project(files: Mapping[str, str], manage: Mapping[str, str]) -> str:
    parts = [f"manage: {dict(manage)}"]
    parts += [f"--- {name}\n{text}" for name, text in files.items()]
    return "\n".join(parts)


# --- what the store holds ---------------------------------------------------------------------------


def instant(value: Any) -> datetime | None:
    """`value` as an aware instant, if it is one (a datetime, or an ISO 8601 text with a time and offset)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def differences(declared: Any, stored: Any, *, path: str = "") -> Iterator[str]:
    """Where `stored` does not hold `declared`, one line per field (of mappings, the declared keys only)."""
    if isinstance(declared, Mapping):
        if not isinstance(stored, Mapping):
            yield f"{path or '.'}: declared a mapping, the store holds {stored!r}"
            return
        for name, value in declared.items():
            where = f"{path}.{name}" if path else str(name)
            if name not in stored:
                yield f"{where}: declared {value!r}, the store has no such field"
            else:
                yield from differences(value, stored[name], path=where)
        return
    if isinstance(declared, Sequence) and not isinstance(declared, str):
        if not isinstance(stored, Sequence) or isinstance(stored, str) or len(stored) != len(declared):
            yield f"{path}: declared {list(declared)!r}, the store holds {stored!r}"
            return
        for index, (item, held) in enumerate(zip(declared, stored, strict=True)):
            yield from differences(item, held, path=f"{path}[{index}]")
        return
    if not same_value(declared, stored):
        yield f"{path}: declared {declared!r}, the store holds {stored!r}"


def same_value(declared: Any, stored: Any) -> bool:
    """One scalar: booleans only equal booleans, numbers by value, instants as instants, the rest exactly."""
    declared_instant, stored_instant = instant(declared), instant(stored)
    if declared_instant is not None or stored_instant is not None:
        return declared_instant is not None and declared_instant == stored_instant
    if isinstance(declared, date) and isinstance(stored, str):
        return declared.isoformat() == stored
    if isinstance(declared, bool) or isinstance(stored, bool):
        return isinstance(declared, bool) and isinstance(stored, bool) and declared == stored
    if isinstance(declared, int | float) and isinstance(stored, int | float):
        return declared == stored
    return type(declared) is type(stored) and bool(declared == stored)


def assert_store_holds(declared: Mapping[str, Any], stored: Mapping[str, Any] | None, *, what: str) -> None:
    """`stored` (read from the vendor's store) holds every field `declared` gives `what` (`users ann@x`)."""
    assert stored is not None, f"{what}: declared, but the vendor's store does not hold it"
    problems = list(differences(declared, stored))
    assert not problems, f"{what}: the vendor's store does not hold what was declared:\n  " + "\n  ".join(
        problems
    )


def yaml_text(document: Any) -> str:
    """A manifest as YAML text (block style, unicode kept): what a person would write."""
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, default_flow_style=False)
