"""Benchmark ``dbt build`` of the outcome model on a copy of an ingested, linked warehouse.

    python -m scripts.bench_dbt --warehouse data/warehouse.duckdb

Prints wall time, peak memory of the dbt process, raw rows read and indicator rows written.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.contracts.deliveries import CONTRACTS
from pipelines.transform.project import DBT_EXECUTABLE, PROJECT_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="ingested + linked DuckDB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Path(tmp) / "warehouse.duckdb"
        shutil.copy(args.warehouse, warehouse)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            raw_rows = sum(
                con.execute(f"select count(*) from raw.{t}").fetchall()[0][0] for t in CONTRACTS
            )
        env = {**os.environ, "OUTCOMES_WAREHOUSE": str(warehouse)}
        start = time.perf_counter()
        result = subprocess.run(
            [str(DBT_EXECUTABLE), "build", "--profiles-dir", str(PROJECT_DIR)],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if result.returncode != 0:
            raise SystemExit(result.stdout[-3000:])
        with duckdb.connect(str(warehouse), read_only=True) as con:
            sql = "select count(*) from main_marts.fct_indicators"
            indicator_rows = con.execute(sql).fetchall()
    print(f"dbt build: {wall:.1f} s wall, peak RSS {peak_mb:.0f} MB")
    print(f"raw rows: {raw_rows:,} ({raw_rows / wall:,.0f} rows/s)")
    print(f"fct_indicators rows: {indicator_rows[0][0]:,}")


if __name__ == "__main__":
    main()
