"""End-to-end pipeline benchmark: `outcomes run` on a preset, full build and one new month.

    python -m scripts.bench_pipeline                        # national, 3 repeats (make bench)
    python -m scripts.bench_pipeline --preset ci --repeats 1 --data /tmp/b/data \\
        --results /tmp/b/results.json --doc /tmp/b/benchmarks.md
    python -m scripts.bench_pipeline --scaling 0.25,0.5,1,2 --repeats 1   (make bench-scaling)
    python -m scripts.bench_pipeline --render-only          # docs from bench/results.json

Synthesises the preset once (`outcomes synth`, timed apart), then per repeat in a fresh run
folder: hard-links every month but the last into its landing folder and runs `outcomes run`
(the full build), then links the last month and runs `outcomes run --month <last>` (a new
month). Each command runs in a subprocess whose whole process tree is sampled for memory; stage
times come from the run's Dagster event log. See docs/benchmarks.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from scripts.bench_measure import (
    Measured,
    read_floor,
    rows_read,
    run_measured,
    step_intervals,
    sum_floor,
    tail,
)
from scripts.bench_render import gb, render_doc, secs
from scripts.bench_stages import OTHER, STAGES, UNMAPPED, median_run, peak_in, stage_figures

log = logging.getLogger("bench")
ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "docs" / "benchmarks.md"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: Output paths the run's settings would take from the environment: the benchmark keeps every
#: output under the run folder.
_PATH_VARS = ("OUTCOMES_WAREHOUSE", "OUTCOMES_PUBLICATIONS_DIR", "OUTCOMES_SNAPSHOT")


class BenchmarkFailed(SystemExit):
    """A command of the benchmark exited non-zero (message: the tail of its output)."""


def outcomes_cli() -> list[str]:
    """The venv's ``outcomes`` command."""
    exe = Path(sys.executable).parent / "outcomes"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "pipelines.cli"]


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PATH_VARS}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def checked(measured: Measured, what: str, log_path: Path) -> Measured:
    if measured.returncode != 0:
        raise BenchmarkFailed(
            f"{what} exited {measured.returncode}; last lines of {log_path}:\n{tail(log_path)}"
        )
    return measured


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def link_landing(src: Path, dst: Path, months: set[str], top_files: bool) -> int:
    """Hard-link (copy when linking fails) the files of ``months`` from one landing folder into
    another (``<source>/<YYYY-MM>/<file>``), and the top-level files (the SYNTHETIC mark) when
    ``top_files``. Returns the number of files placed."""
    placed = 0
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        parts = path.relative_to(src).parts
        in_month = len(parts) >= 3 and _MONTH.match(parts[1])
        if (in_month and parts[1] not in months) or (not in_month and not top_files):
            continue
        target = dst.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        placed += 1
    return placed


def synthesise(out: Path, preset: str, people: int | None, seed: int, logs: Path) -> dict | None:
    """``outcomes synth`` into ``out`` unless its ``.generated`` mark names the same preset,
    people and seed; its wall time and peak tree memory (None when reused)."""
    mark = out / ".generated"
    key = f"{preset} {people or 'preset'} {seed}"
    if mark.exists() and mark.read_text().strip() == key:
        log.info("reusing the synthesised deliveries in %s", out)
        return None
    shutil.rmtree(out, ignore_errors=True)
    cmd = [*outcomes_cli(), "synth", "--preset", preset, "--seed", str(seed), "--out", str(out)]
    if people:
        cmd += ["--people", str(people)]
    log.info("synthesising %s (%s people, seed %s) into %s", preset, people or "preset", seed, out)
    synth_log = logs / "synth.log"
    measured = checked(run_measured(cmd, base_env(), synth_log), "outcomes synth", synth_log)
    mark.write_text(key + "\n")
    return {"seconds": measured.wall_s, "peak_mb": measured.peak_mb}


def measured_run(run_dir: Path, months: list[str], month_arg: str | None, log_path: Path) -> dict:
    """One ``outcomes run`` (all landed months, or ``--month month_arg``): wall, peak tree RSS,
    stages from the Dagster event log and the rows read from ``months``."""
    env = base_env() | {
        "OUTCOMES_DATA_DIR": str(run_dir),
        "OUTCOMES_LANDING_DIR": str(run_dir / "landing"),
        "OUTCOMES_GX_DOCS_DIR": str(run_dir / "gx_docs"),
    }
    cmd = [*outcomes_cli(), "run", *(["--month", month_arg] if month_arg else [])]
    what = " ".join(cmd[-3:] if month_arg else cmd[-1:])
    log.info("running `outcomes %s` (log %s)", what, log_path)
    measured = checked(run_measured(cmd, env, log_path), f"outcomes {what}", log_path)
    status, steps = step_intervals(run_dir / "dagster_home", measured.started)
    stages = stage_figures(steps, measured.samples, measured.started, measured.ended)
    if UNMAPPED in stages:
        unknown = sorted(k for k in steps if k not in stages)
        log.warning("steps this benchmark maps to no stage: %s", unknown)
    return {
        "wall_s": measured.wall_s,
        "peak_mb": measured.peak_mb,
        "load_before": list(measured.load_before),
        "run_status": status,
        "rows_read": rows_read(run_dir / "warehouse.duckdb", months),
        # where startup/other goes: before the first step (imports, dbt parse, run creation)
        "before_first_step_s": min((a for a, _ in steps.values()), default=measured.ended)
        - measured.started,
        "stages": stages,
        "steps": {
            k: [round(a - measured.started, 3), round(b - measured.started, 3)]
            for k, (a, b) in sorted(steps.items(), key=lambda kv: kv[1])
        },
        # which step holds a stage's peak (the stages' figures are per stage only)
        "step_peak_mb": {
            k: round(peak_in(measured.samples, [interval]), 1)
            for k, interval in sorted(steps.items(), key=lambda kv: kv[1])
        },
    }


def run_scenario(args: argparse.Namespace, label: str, people: int | None, **extra) -> dict:
    """Synthesise, measure the floor, then ``repeats`` × (full build, new month)."""
    from pipelines.ingest.landing import landing_months
    from pipelines.synthetic.presets import resolve

    root = args.data / label
    synth_dir, logs = root / "synth", root / "logs"
    synth = synthesise(synth_dir, args.preset, people, args.seed, logs)
    landing = synth_dir / "landing"
    months = landing_months(landing)
    if len(months) < 2:
        raise BenchmarkFailed(f"{landing} holds {len(months)} month(s); need two or more")
    full_months, last = months[:-1], months[-1]
    log.info("floor: reading every file of %s once", landing)
    floor = read_floor(landing, months)
    every = sum_floor(floor, months)
    log.info(
        "floor: %s for %s rows in %s files", secs(every["seconds"]), every["rows"], every["files"]
    )
    machine = {
        "cpus": os.cpu_count(),
        "ram_gb": psutil.virtual_memory().total / 1e9,
        "load_before": os.getloadavg()[0],
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    prepare = "from pipelines.transform.project import prepare_manifest; prepare_manifest()"
    subprocess.run([sys.executable, "-c", prepare], check=True, env=base_env())
    repeats = []
    for i in range(1, args.repeats + 1):
        run_dir = root / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        (run_dir / "landing").mkdir(parents=True)
        link_landing(landing, run_dir / "landing", set(full_months), top_files=True)
        full = measured_run(run_dir, full_months, None, logs / f"full-{i}.log")
        link_landing(landing, run_dir / "landing", {last}, top_files=False)
        new = measured_run(run_dir, [last], last, logs / f"new-month-{i}.log")
        repeats.append({"full": full, "new_month": new})
        log.info(
            "repeat %d/%d: full %s, new month %s", i, args.repeats, secs(full["wall_s"]),
            secs(new["wall_s"]),
        )  # fmt: skip
    previous = load_results(args.results).get(label, {})
    return {
        "label": label,
        "preset": args.preset,
        "people": resolve(args.preset, people).people,
        "seed": args.seed,
        "months": months,
        "commit": git_commit(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine,
        "synth": synth or previous.get("synth") or {"seconds": 0.0, "peak_mb": 0.0},
        "floor": {
            "full": sum_floor(floor, full_months),
            "new_month": sum_floor(floor, [last]),
            "all": sum_floor(floor, months),
        },
        "repeats": repeats,
        "median": {
            "full": median_run([r["full"] for r in repeats]),
            "new_month": median_run([r["new_month"] for r in repeats]),
        },
        "scaling_of": None,
        "multiple": None,
        **extra,
    }


def load_results(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def save_entry(path: Path, entry: dict) -> None:
    """Merge one scenario into the results file (keyed by label)."""
    results = load_results(path)
    results[entry["label"]] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


def stage_table(entry: dict) -> Table:
    """The medians of one scenario, for the terminal."""
    full, new = entry["median"]["full"], entry["median"]["new_month"]
    floor = entry["floor"]["full"]["seconds"]
    table = Table(title=f"{entry['label']}: median of {full['repeats']} repeat(s)")
    for col in ("stage", "full wall", "full peak", "× floor", "new month wall", "new peak"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for stage in (*STAGES, UNMAPPED, OTHER):
        if stage in full["stages"] or stage in new["stages"]:
            f = full["stages"].get(stage, {"seconds": 0.0, "peak_mb": 0.0})
            n = new["stages"].get(stage, {"seconds": 0.0, "peak_mb": 0.0})
            ratio = f"{f['seconds'] / floor:.1f}" if floor else "-"
            table.add_row(stage, secs(f["seconds"]), gb(f["peak_mb"]), ratio,
                          secs(n["seconds"]), gb(n["peak_mb"]))  # fmt: skip
    table.add_row("total", secs(full["wall_s"]), gb(full["peak_mb"]),
                  f"{full['wall_s'] / floor:.1f}" if floor else "-",
                  secs(new["wall_s"]), gb(new["peak_mb"]), style="bold")  # fmt: skip
    return table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--people", type=int, default=None, help="override the population")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("bench/data"))
    parser.add_argument("--results", type=Path, default=Path("bench/results.json"))
    parser.add_argument("--doc", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--label", default=None, help="default: <preset>[-<people>]")
    parser.add_argument(
        "--scaling", default=None, help="comma-separated multiples of the preset's population"
    )
    parser.add_argument("--render-only", action="store_true", help="only re-render the docs")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    args.data = args.data.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(message)s", handlers=[RichHandler(show_path=False)]
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # opening the Dagster instance
    args = parse_args(argv)
    console = Console()
    label = args.label or (args.preset if args.people is None else f"{args.preset}-{args.people}")
    if not args.render_only:
        if args.scaling:
            from pipelines.synthetic.presets import PRESETS

            base = PRESETS[args.preset].people
            for multiple in (float(m) for m in args.scaling.split(",")):
                size = f"{args.preset}-x{multiple:g}"
                entry = run_scenario(
                    args, size, round(base * multiple), scaling_of=args.preset, multiple=multiple
                )
                save_entry(args.results, entry)
                console.print(stage_table(entry))
        else:
            entry = run_scenario(args, label, args.people)
            save_entry(args.results, entry)
            console.print(stage_table(entry))
    render_doc(args.doc, TEMPLATE, load_results(args.results), label, args.preset)
    log.info("results in %s; %s re-rendered", args.results, args.doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
