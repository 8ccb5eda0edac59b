"""Linkage benchmark: full-build time, records per minute, peak memory, time to link a month.

    python -m scripts.bench_link                       # national preset (about 300k people)
    python -m scripts.bench_link --preset demo

Generates the preset once under --workdir, loads the identity-bearing tables with the real
ingest assets (all months but the last), then in fresh subprocesses (so peak memory is the
linkage's own): links everything (full build), loads the last month and links it (one month).
Prints the accuracy table against the simulator's truth as well.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import time
from pathlib import Path

DEV_KEY = "bench-link-key"


def _link_in_child(warehouse: str, month: str, queue) -> None:
    import duckdb

    from pipelines.linkage.link import link
    from pipelines.linkage.link_checks import record_stats

    started = time.perf_counter()
    with duckdb.connect(warehouse) as con:
        summary = link(con, DEV_KEY, month)
        record_stats(con, summary)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {
            "seconds": seconds,
            "peak_mb": peak_mb,
            "records": summary.records,
            "new_records": summary.new_records,
            "persons": summary.clusters,
            "keys_changed": summary.keys_changed,
            "existing_keys": summary.existing_keys,
            "steps": summary.seconds,
        }
    )


def timed_link(warehouse: Path, month: str) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_link_in_child, args=(str(warehouse), month, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_link"))
    parser.add_argument("--no-accuracy", action="store_true")
    args = parser.parse_args()

    from pipelines.ingest.landing import landing_months
    from tests.support.linkage_runs import ingest_identity

    out = args.workdir / f"{args.preset}_{args.seed}"
    if not (out / ".generated").exists():
        from pipelines.synthetic import generate

        started = time.perf_counter()
        generate(out, preset=args.preset, seed=args.seed)
        (out / ".generated").touch()
        print(f"generated {args.preset} in {time.perf_counter() - started:.0f}s")
    months = landing_months(out / "landing")
    base = out / "ingested_but_last.duckdb"
    if not base.exists():
        started = time.perf_counter()
        ingest_identity(out / "landing", out / "tmp.duckdb", months[:-1], DEV_KEY)
        (out / "tmp.duckdb").rename(base)
        print(f"ingested {len(months) - 1} months in {time.perf_counter() - started:.0f}s")
    warehouse = out / "bench.duckdb"
    shutil.copy(base, warehouse)

    full = timed_link(warehouse, months[-2])
    ingest_identity(out / "landing", warehouse, months[-1:], DEV_KEY)
    month = timed_link(warehouse, months[-1])
    rate = full["records"] / (full["seconds"] / 60)
    kept = 1 - month["keys_changed"] / month["existing_keys"] if month["existing_keys"] else 1
    print(f"preset {args.preset}, seed {args.seed}, {os.cpu_count()} cpus")
    print(
        f"full build ({months[0]}..{months[-2]}): {full['records']:,} records, "
        f"{full['persons']:,} persons, {full['seconds']:.1f}s, {rate:,.0f} records/min, "
        f"peak {full['peak_mb']:,.0f} MB"
    )
    print(f"  steps: {json.dumps(full['steps'])}")
    print(
        f"one month ({months[-1]}): {month['new_records']:,} new records, "
        f"{month['seconds']:.1f}s, peak {month['peak_mb']:,.0f} MB, "
        f"person keys kept {kept:.5f}"
    )
    print(f"  steps: {json.dumps(month['steps'])}")

    if not args.no_accuracy:
        import duckdb
        import polars as pl

        from tests.support.linkage_truth import accuracy, truth_keys

        truth = truth_keys(out / "truth" / "record_map.parquet", DEV_KEY)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            table = accuracy(con, truth)
        with pl.Config(tbl_rows=60, tbl_cols=20, tbl_width_chars=200):
            print(table)


if __name__ == "__main__":
    main()
