"""Linkage accuracy on the ``demo`` preset: the acceptance figures (slow: builds the demo)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.landing import landing_months
from tests.conftest import build_once
from tests.support.linkage_runs import ingest_identity, materialise_linkage
from tests.support.linkage_truth import accuracy, truth_keys

KEY = "test-linkage-demo-key"
# Floors a little under the figures achieved on the demo preset (seed 42); see docs/linkage.md.
PAIR_F1_FLOORS = {"named~named": 0.995, "ndtms~others": 0.985}


def _build(folder: Path, synth: Path) -> None:
    landing = synth / "landing"
    months = landing_months(landing)
    warehouse = folder / "warehouse.duckdb"
    ingest_identity(landing, warehouse, months, KEY)
    materialise_linkage(months, warehouse=warehouse, pseudo_key=KEY)
    truth = truth_keys(synth / "truth" / "record_map.parquet", KEY)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        accuracy(con, truth).write_parquet(folder / "accuracy.parquet")


@pytest.fixture(scope="session")
def demo_accuracy(shared_root: Path, demo_synth: Path) -> pl.DataFrame:
    folder = build_once(shared_root, "linkage_demo", lambda out: _build(out, demo_synth))
    return pl.read_parquet(folder / "accuracy.parquet")


@pytest.mark.slow
@pytest.mark.parametrize("pair", sorted(PAIR_F1_FLOORS))
def test_demo_pairwise_f1(demo_accuracy: pl.DataFrame, pair: str) -> None:
    row = demo_accuracy.filter(pl.col("pair") == pair).row(0, named=True)
    assert row["pair_f1"] >= PAIR_F1_FLOORS[pair], row


@pytest.mark.slow
def test_demo_every_named_source_pair_links(demo_accuracy: pl.DataFrame) -> None:
    named = demo_accuracy.filter(
        ~pl.col("pair").str.contains("ndtms")
        & pl.col("pair").str.contains("~")
        & (pl.col("true_pairs") > 0)
        & ~pl.col("pair").str.starts_with("named")
    )
    assert named.height >= 10
    assert named["pair_f1"].min() >= 0.97, named
