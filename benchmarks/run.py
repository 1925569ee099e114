"""The benchmark runner: `python -m benchmarks.run --vendor skilljar --size L`.

For each vendor it generates a synthetic organisation (`benchmarks.orgs`), seeds an emulator with it
directly (the vendor's `seed()`, not lmsform), serves it with a per-request latency, and measures:

1. `plan` with nothing to change: wall time, CPU, requests, and peak memory (a separate
   `python -m lmsform plan` subprocess; its VmHWM);
2. `apply` on an empty account (holding only what the API cannot create): wall time, requests, writes;
3. a change of 1 % of users and enrollments: `plan` then `apply`, wall time and requests;
4. the planner alone on in-memory states of 25k, 50k and 100k objects: CPU and tracemalloc peak.

Every figure is printed next to its floor (`benchmarks.floors`) and the ratio to it, with the issue's
target where it sets one. `--json` prints the same as JSON. The runner fails (exit 1) when lmsform errs,
when a no-change plan shows changes, or when an apply leaves something a second plan would change.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import floors, planner_only
from benchmarks.measure import (
    CliRun,
    Emulator,
    EmulatorSpec,
    ThreadProfiler,
    Traffic,
    run_lmsform,
    run_lmsform_subprocess,
)
from benchmarks.orgs import (
    CREDENTIALS,
    SIZE_NAMES,
    VENDORS,
    Org,
    ProjectSettings,
    changed,
    describe,
    make_org,
    seed_document,
    write_project,
)

SCENARIOS = ("plan", "apply", "change", "planner")
PLANNER_TARGET_OBJECTS = 100_000
PLANNER_CPU_TARGET = 2.0  # seconds, at 100k objects
PLANNER_MEMORY_TARGET = 400.0  # MB, at 100k objects


class BenchmarkError(RuntimeError):
    """lmsform did something the benchmark cannot go on from (an error, or changes where none are due)."""


@dataclass(frozen=True)
class Options:
    size: str = "S"
    latency: float = 0.03
    parallelism: int = 8
    rate_limit: float | None = None  # requests per minute, enforced by the emulator and set in lmsform.yaml
    scenarios: tuple[str, ...] = SCENARIOS
    planner_sizes: tuple[int, ...] = planner_only.DEFAULT_SIZES
    memory: bool = True  # also run the no-change plan as a subprocess, for its peak memory
    verify: bool = True  # after each apply, a plan (without latency) must show no changes
    profile_dir: Path | None = None  # cProfile each lmsform run and save the stats here
    work_dir: Path | None = None  # where the generated projects go (default: a temporary folder)


@dataclass
class Figure:
    scenario: str
    name: str
    value: float | None
    unit: str = ""
    floor: float | None = None
    target: str = ""  # e.g. "<= 1.05 x floor"
    passed: bool | None = None  # None: no target
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor


@dataclass
class VendorResult:
    vendor: str
    size: str
    organisation: str
    options: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def figure(self, scenario: str, name: str) -> Figure:
        return next(item for item in self.figures if (item.scenario, item.name) == (scenario, name))

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        for item, figure in zip(document["figures"], self.figures, strict=True):
            item["ratio"] = figure.ratio
        return document


# --- one vendor ---------------------------------------------------------------------------------------


class _Run:
    """The scenarios of one vendor and size."""

    def __init__(self, vendor: str, options: Options, work: Path) -> None:
        self.vendor = vendor
        self.options = options
        self.work = work
        self.org = make_org(vendor, options.size)
        self.env = dict(CREDENTIALS[vendor])
        self.result = VendorResult(
            vendor,
            options.size,
            describe(self.org),
            {
                "latency_s": options.latency,
                "parallelism": options.parallelism,
                "rate_limit_per_minute": options.rate_limit,
            },
        )
        self.profiles: dict[str, str] = {}

    # helpers

    def spec(self, org: Org) -> EmulatorSpec:
        rate = self.options.rate_limit / 60 if self.options.rate_limit else None
        return EmulatorSpec(self.vendor, seed_document(org), latency=self.options.latency, rate_limit=rate)

    def project(self, org: Org, name: str, emulator: Emulator, *, paced: bool = True) -> Path:
        directory = self.work / f"{self.vendor}-{self.options.size}-{name}"
        settings = ProjectSettings(
            base_url=emulator.api_root,
            parallelism=self.options.parallelism,
            rate_limit=self.options.rate_limit if paced else None,
        )
        write_project(org, directory, settings)
        return directory

    def add(self, scenario: str, name: str, value: float | None, unit: str = "", **kwargs: Any) -> Figure:
        figure = Figure(scenario, name, value, unit, **kwargs)
        self.result.figures.append(figure)
        return figure

    def lmsform(self, scenario: str, *args: str) -> CliRun:
        profiler = ThreadProfiler() if self.options.profile_dir is not None else None
        run = run_lmsform(args, self.env, profiler=profiler)
        if profiler is not None and self.options.profile_dir is not None:
            self.options.profile_dir.mkdir(parents=True, exist_ok=True)
            label = f"{self.vendor}-{self.options.size}-{scenario}-{args[0]}"
            stats = profiler.stats()
            stats.dump_stats(str(self.options.profile_dir / f"{label}.prof"))
            self.profiles[label] = top_functions(stats)
            self.result.info.setdefault("profiled_wall_s", {})[label] = round(run.wall, 3)
        if run.error is not None:
            raise BenchmarkError(f"lmsform {' '.join(args)} crashed: {run.error}\n{run.tail()}")
        return run

    def verify(self, org: Org, emulator: Emulator, name: str) -> None:
        """A plan after an apply must find nothing to change (run without latency, to be quick)."""
        if not self.options.verify:
            return
        directory = self.project(org, f"{name}-verify", emulator, paced=False)
        emulator.set_faults(latency=0.0, rate_limit=None)
        try:
            run = run_lmsform(("plan", str(directory)), self.env)
        finally:
            rate = self.options.rate_limit / 60 if self.options.rate_limit else None
            emulator.set_faults(latency=self.options.latency, rate_limit=rate)
        if run.error is not None or run.exit_code != 0 or not run.no_changes:
            raise BenchmarkError(
                f"after the {name} apply, a plan still shows changes (exit {run.exit_code}):\n{run.tail()}"
            )

    def latency_target(
        self, scenario: str, name: str, wall: float, requests_floor: int, *, target: bool
    ) -> None:
        """Wall time against its floor: n x latency / parallelism, or, under a rate limit, n / limit when
        that is longer."""
        bound = floors.latency_floor(requests_floor, self.options.latency, self.options.parallelism)
        note = ""
        if self.options.rate_limit:
            paced = requests_floor / (self.options.rate_limit / 60)
            if paced > bound:
                bound, note = paced, "floor: requests / rate limit"
        figure = self.add(scenario, name, wall, "s", floor=bound, note=note)
        if target:
            figure.target = "<= 1.5 x floor + 2 s"
            figure.passed = wall <= 1.5 * bound + 2.0

    def traffic_figures(self, scenario: str, traffic: Traffic) -> None:
        """Under a rate limit: 429s, failures and throughput against the limit."""
        self.result.info.setdefault("routes", {})[scenario] = dict(
            sorted(traffic.by_route.items(), key=lambda item: -item[1])[:12]
        )
        self.result.info.setdefault("statuses", {})[scenario] = {
            str(k): v for k, v in traffic.by_status.items()
        }
        failed = self.add(scenario, "failed requests", traffic.failed, target="= 0")
        failed.passed = traffic.failed == 0
        if not self.options.rate_limit:
            return
        throttled = self.add(scenario, "429 answers", traffic.throttled, target="= 0")
        throttled.passed = traffic.throttled == 0
        limit = self.options.rate_limit / 60
        rate = traffic.served_per_second
        figure = self.add(
            scenario, "throughput", rate, "req/s", floor=limit, target="within 10 % of the limit"
        )
        if rate is not None and traffic.served >= 20:
            figure.passed = abs(rate / limit - 1) <= 0.10
        else:
            figure.note = "too few requests to tell"

    def phases(self, scenario: str, run: CliRun) -> None:
        self.result.info.setdefault("phases_s", {})[f"{scenario}:{run.args[0]}"] = {
            name: round(seconds, 3) for name, seconds in run.phases.items()
        }
        self.result.info.setdefault("cpu_s", {})[f"{scenario}:{run.args[0]}"] = round(run.cpu, 3)

    # scenarios

    def no_change_plan(self, emulator: Emulator) -> None:
        directory = self.project(self.org, "full", emulator)
        emulator.mark()
        run = self.lmsform("plan", "plan", str(directory))
        traffic = emulator.traffic()
        if run.exit_code != 0 or not run.no_changes:
            raise BenchmarkError(
                f"the no-change plan shows changes or failed (exit {run.exit_code}); the seeded emulator "
                f"does not hold what the manifests declare:\n{run.tail()}"
            )
        self.result.info["plan_no_changes"] = True
        read = floors.read_floor(self.org, self.org)
        requests = self.add("plan", "requests", traffic.total, floor=read.requests, target="<= 1.05 x floor")
        requests.passed = traffic.total <= 1.05 * read.requests
        requests.note = read.note
        self.latency_target("plan", "wall", run.wall, read.requests, target=True)
        self.add("plan", "lmsform CPU", run.cpu, "s", note="in-process, the emulator runs in another process")
        self.phases("plan", run)
        self.traffic_figures("plan", traffic)
        if self.options.memory:
            emulator.mark()
            process = run_lmsform_subprocess(("plan", str(directory)), self.env)
            if process.exit_code != 0 or "No changes." not in process.output:
                raise BenchmarkError(
                    f"the subprocess plan failed (exit {process.exit_code}):\n{process.output[-2000:]}"
                )
            self.add(
                "plan",
                "peak memory",
                process.peak_rss_mb,
                "MB",
                note=f"VmHWM of a `python -m lmsform plan` subprocess ({process.wall:.2f} s wall)",
            )

    def change(self, emulator: Emulator) -> None:
        after = changed(self.org)
        directory = self.project(after, "changed", emulator)
        emulator.mark()
        planned = self.lmsform("change", "plan", str(directory))
        plan_traffic = emulator.traffic()
        if planned.exit_code != 0 or planned.no_changes:
            raise BenchmarkError(f"the 1 % change plan failed or found nothing:\n{planned.tail()}")
        emulator.mark()
        applied = self.lmsform("change", "apply", str(directory), "--auto-approve", "--force")
        apply_traffic = emulator.traffic()
        if applied.exit_code != 0:
            raise BenchmarkError(f"the 1 % change apply failed (exit {applied.exit_code}):\n{applied.tail()}")
        traffic = plan_traffic + apply_traffic
        read = floors.read_floor(self.org, after)
        writes = floors.change_floor(self.org, after)
        total_floor = 2 * read.requests + writes.requests  # plan reads, apply reads again, then writes
        self.add(
            "change",
            "requests (plan + apply)",
            traffic.total,
            floor=total_floor,
            note="floor: 2 reads + writes",
        )
        figure = self.add(
            "change", "write calls", traffic.writes, floor=writes.requests, target="<= 1.1 x floor"
        )
        figure.passed = traffic.writes <= 1.1 * writes.requests
        figure.note = writes.note
        self.latency_target(
            "change", "wall (plan + apply)", planned.wall + applied.wall, total_floor, target=False
        )
        self.add("change", "plan wall", planned.wall, "s")
        self.add("change", "apply wall", applied.wall, "s")
        self.phases("change", planned)
        self.phases("change", applied)
        self.traffic_figures("change", traffic)
        self.verify(after, emulator, "change")

    def initial_apply(self) -> None:
        base = self.org.base()
        with Emulator(self.spec(base)) as emulator:
            self.result.info["fault_layer"] = emulator.fault_layer
            directory = self.project(self.org, "initial", emulator)
            emulator.mark()
            run = self.lmsform("apply", "apply", str(directory), "--auto-approve", "--force")
            traffic = emulator.traffic()
            if run.exit_code != 0:
                raise BenchmarkError(f"the initial apply failed (exit {run.exit_code}):\n{run.tail()}")
            read = floors.read_floor(base, self.org)
            writes = floors.create_floor(self.org)
            figure = self.add(
                "apply", "write calls", traffic.writes, floor=writes.requests, target="<= 1.1 x floor"
            )
            figure.passed = traffic.writes <= 1.1 * writes.requests
            figure.note = writes.note
            self.add(
                "apply",
                "requests",
                traffic.total,
                floor=read.requests + writes.requests,
                note="floor: reads + writes",
            )
            self.latency_target("apply", "wall", run.wall, read.requests + writes.requests, target=False)
            self.add("apply", "lmsform CPU", run.cpu, "s")
            self.phases("apply", run)
            self.traffic_figures("apply", traffic)
            self.verify(self.org, emulator, "initial")

    def planner(self) -> None:
        for made in planner_only.measure_sizes(self.vendor, self.options.planner_sizes):
            at_target = made.objects >= PLANNER_TARGET_OBJECTS
            cpu = self.add("planner", f"CPU @ {made.objects:,} objects", made.cpu, "s")
            memory = self.add("planner", f"peak memory @ {made.objects:,} objects", made.peak_mb, "MB")
            cpu.note = f"{made.changes} changes; {1000 * made.cpu / made.objects:.3f} ms per object"
            memory.note = "tracemalloc peak during make_plan"
            if at_target:
                cpu.target, cpu.passed = f"<= {PLANNER_CPU_TARGET:g} s", made.cpu <= PLANNER_CPU_TARGET
                memory.target = f"<= {PLANNER_MEMORY_TARGET:g} MB"
                memory.passed = made.peak_mb <= PLANNER_MEMORY_TARGET

    def run(self) -> VendorResult:
        started = time.perf_counter()
        self.result.info["load_average_at_start"] = [round(value, 2) for value in os.getloadavg()]
        wanted = set(self.options.scenarios)
        steps: list[tuple[str, Callable[[], None]]] = []
        if wanted & {"plan", "change"}:
            steps.append(("plan+change", self._with_full_emulator))
        if "apply" in wanted:
            steps.append(("apply", self.initial_apply))
        if "planner" in wanted:
            steps.append(("planner", self.planner))
        for name, step in steps:
            try:
                step()
            except Exception as error:  # one failed scenario must not hide the others' figures
                self.result.errors.append(f"{name}: {error}")
        self.result.info["runner_wall_s"] = round(time.perf_counter() - started, 2)
        self.result.info["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
        if self.profiles:
            self.result.info["profiles"] = self.profiles
        return self.result

    def _with_full_emulator(self) -> None:
        with Emulator(self.spec(self.org)) as emulator:
            self.result.info["seed_s"] = round(emulator.seed_seconds, 2)
            self.result.info["fault_layer"] = emulator.fault_layer
            if "plan" in self.options.scenarios:
                self.no_change_plan(emulator)
            if "change" in self.options.scenarios:
                self.change(emulator)


def run_vendor(vendor: str, options: Options) -> VendorResult:
    """Every scenario of `options` for one vendor; errors are collected in the result, not raised."""
    with _work_dir(options.work_dir) as work:
        return _Run(vendor, options, work).run()


@contextlib.contextmanager
def _work_dir(chosen: Path | None) -> Iterator[Path]:
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        yield chosen
        return
    with tempfile.TemporaryDirectory(prefix="lmsform-bench-") as name:
        yield Path(name)


def top_functions(stats: Any, limit: int = 25) -> str:
    """The profile's hottest functions by own time, and by cumulative time, as text."""
    stream = io.StringIO()
    stats.stream = stream
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return stream.getvalue()


# --- output --------------------------------------------------------------------------------------------


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit in ("s", "MB", "req/s"):
        return f"{value:,.2f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def table(result: VendorResult) -> str:
    options = result.options
    rate = options["rate_limit_per_minute"]
    lines = [
        f"== {result.vendor} {result.size}: {result.organisation}",
        f"   latency {1000 * options['latency_s']:g} ms, parallelism {options['parallelism']}"
        + (f", rate limit {rate:g}/min" if rate else "")
        + (f", emulator faults by {result.info['fault_layer']}" if "fault_layer" in result.info else "")
        + (f", seeding {result.info['seed_s']} s" if "seed_s" in result.info else ""),
    ]
    header = ("scenario", "figure", "value", "floor", "ratio", "target", "result")
    rows = [header]
    for figure in result.figures:
        unit = f" {figure.unit}" if figure.unit else ""
        verdict = "" if figure.passed is None else ("pass" if figure.passed else "FAIL")
        rows.append(
            (
                figure.scenario,
                figure.name,
                _number(figure.value, figure.unit) + unit,
                _number(figure.floor, figure.unit) + (unit if figure.floor is not None else ""),
                "-" if figure.ratio is None else f"{figure.ratio:.2f}",
                figure.target,
                verdict,
            )
        )
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    notes = [f"   {f.scenario} {f.name}: {f.note}" for f in result.figures if f.note]
    if notes:
        lines.append("notes:")
        lines.extend(notes)
    phases = result.info.get("phases_s", {})
    if phases:
        lines.append("phases (wall s) and lmsform CPU (s):")
        for run, spent in phases.items():
            shown = ", ".join(f"{name} {seconds:.2f}" for name, seconds in spent.items())
            lines.append(f"   {run}: {shown}; CPU {result.info['cpu_s'][run]:.2f}")
    routes = result.info.get("routes", {})
    for scenario, counted in routes.items():
        shown = "; ".join(f"{name} x{count}" for name, count in list(counted.items())[:6])
        lines.append(f"   {scenario} requests by route: {shown}")
    for error in result.errors:
        lines.append(f"ERROR {error}")
    lines.append(
        f"   (runner wall {result.info.get('runner_wall_s', 0)} s; load average at start "
        f"{result.info.get('load_average_at_start')}, at end {result.info.get('load_average_at_end')})"
    )
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> tuple[list[str], Options, bool, Path | None]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendor", choices=[*VENDORS, "all"], default="all")
    parser.add_argument("--size", choices=SIZE_NAMES, default="S")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds added to every request (0.03)")
    parser.add_argument("--parallelism", type=int, default=8, help="provider.parallelism (8)")
    parser.add_argument(
        "--rate-limit",
        type=float,
        help="requests per minute: the emulator answers more with 429 and Retry-After, and lmsform.yaml "
        "sets provider.rate_limit to it",
    )
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--planner-sizes",
        default=",".join(str(size) for size in planner_only.DEFAULT_SIZES),
        help="objects in the planner-alone runs",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the subprocess plan (peak memory)")
    parser.add_argument("--no-verify", action="store_true", help="skip the plan after each apply")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="cProfile each lmsform run; stats to DIR")
    parser.add_argument("--work-dir", type=Path, help="keep the generated projects here")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--json-out", type=Path, metavar="FILE", help="also write the results as JSON to FILE"
    )
    args = parser.parse_args(argv)
    scenarios = tuple(name.strip() for name in args.scenarios.split(",") if name.strip())
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    options = Options(
        size=args.size,
        latency=args.latency,
        parallelism=args.parallelism,
        rate_limit=args.rate_limit,
        scenarios=scenarios,
        planner_sizes=tuple(int(size) for size in args.planner_sizes.split(",") if size.strip()),
        memory=not args.no_memory,
        verify=not args.no_verify,
        profile_dir=args.profile,
        work_dir=args.work_dir,
    )
    vendors = list(VENDORS) if args.vendor == "all" else [args.vendor]
    return vendors, options, args.json, args.json_out


def main(argv: Sequence[str] | None = None) -> int:
    vendors, options, as_json, json_out = _parse(argv)
    results = []
    for vendor in vendors:
        result = run_vendor(vendor, options)
        results.append(result)
        if not as_json:
            print(table(result), flush=True)
            if options.profile_dir is not None:
                for label, text in result.info.get("profiles", {}).items():
                    print(f"--- profile {label} (timings under cProfile are inflated)\n{text}", flush=True)
            print(flush=True)
        if json_out is not None:  # after each vendor, so a long run stopped half-way keeps what it measured
            json_out.write_text(_json(results) + "\n", encoding="utf-8")
    if as_json:
        print(_json(results))
    return 0 if all(result.ok for result in results) else 1


def _json(results: Sequence[VendorResult]) -> str:
    return json.dumps([result.to_json() for result in results], indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"not JSON: {type(value).__name__}")


if __name__ == "__main__":
    sys.exit(main())
