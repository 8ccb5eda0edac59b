"""Benchmark: ingest every month of a preset (default national) into a fresh DuckDB file.

Prints wall time, rows read per second and peak memory of the ingest process. The landing
data is generated first (in a subprocess, so its memory is not counted) unless it exists.

    python -m scripts.bench_ingest                      # national preset, 60 months
    python -m scripts.bench_ingest --preset ci --out /tmp/bench_ci
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("bench/ingest"))
    args = parser.parse_args()

    out = args.out / args.preset
    landing = out / "landing"
    if not (out / ".generated").exists():
        print(f"generating the {args.preset} preset under {out} ...", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "synth",
                "--preset",
                args.preset,
                "--seed",
                str(args.seed),
                "--out",
                str(out),
            ],
            check=True,
        )
        (out / ".generated").touch()
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)

    from pipelines.ingest.landing import landing_months
    from pipelines.ingest.materialise import failures, materialise_ingest

    os.environ.setdefault("DAGSTER_HOME", str(out.resolve()))
    warehouse = out / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    months = landing_months(landing)
    size = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = materialise_ingest(
        months, landing_dir=landing, warehouse=warehouse, log_level="WARNING"
    )
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not result.success:
        print("ingest FAILED:", *failures(result), sep="\n  ")
        raise SystemExit(1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        read, loaded, quarantined, files = con.execute(
            "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), count(*) "
            "FROM ops.manifest WHERE status = 'loaded'"
        ).fetchall()[0]
    print(f"preset            {args.preset} ({len(months)} months, {months[0]}..{months[-1]})")
    print(f"files             {files} ({size / 1e6:.0f} MB)")
    print(f"rows read         {read:,} (loaded {loaded:,}, quarantined {quarantined:,})")
    print(f"ingest wall time  {elapsed:.1f} s")
    print(f"ingest CPU time   {cpu:.1f} s (user + system; wall time suffers on a busy machine)")
    print(f"rows per second   {read / elapsed:,.0f}")
    print(f"peak memory       {peak_mb:,.0f} MB (max RSS of the ingest process)")
    print(f"warehouse         {warehouse.stat().st_size / 1e6:.0f} MB, CPUs {os.cpu_count()}")
    print(f"load average      {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
