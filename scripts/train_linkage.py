"""Retrain the linkage models (Splink JSON in pipelines/linkage/models/) on a simulator dataset.

    python -m scripts.train_linkage                      # demo preset, seed 42, in /tmp
    python -m scripts.train_linkage --warehouse data/warehouse.duckdb

Generates the preset (unless --warehouse is given), loads the identity-bearing tables with the
real ingest assets, then estimates u by random sampling (fixed seed) and m by EM. Commit the
changed JSON files; the next pipeline run sees a new model digest and re-scores every pair.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import duckdb

from pipelines.linkage.models import MODELS_DIR
from pipelines.linkage.train import train
from tests.support.linkage_runs import ingest_identity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/linkage_train"))
    parser.add_argument("--warehouse", type=Path, help="train on this warehouse instead")
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    warehouse = args.warehouse
    if warehouse is None:
        from pipelines.ingest.landing import landing_months
        from pipelines.synthetic import generate

        out = args.workdir / f"{args.preset}_{args.seed}"
        if not (out / ".generated").exists():
            generate(out, preset=args.preset, seed=args.seed)
            (out / ".generated").touch()
        warehouse = out / "warehouse.duckdb"
        if not warehouse.exists():
            ingest_identity(out / "landing", warehouse, landing_months(out / "landing"))
    with duckdb.connect(str(warehouse)) as con:
        month = con.execute("select max(_delivery_month) from identity.person_records").fetchall()
        profiles = train(con, month[0][0], args.out)
    print(f"trained on {profiles} profiles in {time.perf_counter() - started:.1f}s -> {args.out}")


if __name__ == "__main__":
    main()
