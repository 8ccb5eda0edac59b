"""Benchmark the simulator: wall time, rows written per table, peak memory.

python scripts/bench_synth.py                      # national preset into a temp folder
python scripts/bench_synth.py --preset demo --out /tmp/demo
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

from scripts.bench_measure import TreeSampler


def peak_rss_mb() -> float:
    """ru_maxrss of this process plus that of its largest child, in MB (Linux: KB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    from pipelines.synthetic import generate

    out = args.out or Path(tempfile.mkdtemp(prefix=f"synth-{args.preset}-"))
    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    proc = psutil.Process()

    def progress(stage: str, done: float) -> None:
        stages.append((stage, time.perf_counter() - t0, proc.memory_info().rss / 2**20))

    with TreeSampler(os.getpid()) as tree:
        result = generate(
            out, preset=args.preset, seed=args.seed, people=args.people, progress=progress
        )
    wall = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    total = sum(result.rows.values())
    print(
        f"preset {result.preset.name}: {result.preset.people:,} people, "
        f"{result.preset.months} months, seed {args.seed}"
    )
    print(f"wall time        {wall:8.1f} s")
    print(f"peak memory      {tree.peak_mb:8.0f} MB (sampled RSS of the process tree, summed)")
    print(f"peak memory      {peak_rss_mb():8.0f} MB (ru_maxrss: self + largest child)")
    cpu = sum(
        getattr(resource.getrusage(who), f)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for f in ("ru_utime", "ru_stime")
    )
    print(f"cpu time         {cpu:8.1f} s (user + system, self + children)")
    print(f"load average     {os.getloadavg()[0]:8.1f} (1 min, at the end; other work slows runs)")
    print(f"output size      {size / 2**20:8.0f} MB in {result.files} landing files")
    print(f"rows written     {total:>12,} ({total / wall:,.0f} rows/s)")
    for table, rows in result.rows.items():
        print(f"  {table:<18} {rows:>12,}")
    releases = result.calibration["metrics"]["releases_per_year"]["value"]
    print(f"releases a year  {releases:>12,.0f}")
    print("stage start times (s), with the time the previous stage took:")
    previous = 0.0
    for stage, at, rss in stages:
        print(f"  {at:7.1f}  (+{at - previous:5.1f})  rss {rss:6.0f} MB  {stage}")
        previous = at
    if args.out is None and not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
