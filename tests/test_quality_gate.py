"""The quality gate: GX suites as blocking Dagster checks in front of publication.

Real Dagster runs (ephemeral instance) over a real DuckDB warehouse and real GX validations.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.asset_keys import PUBLICATION_KEY
from pipelines.publish.assets import analyst_snapshot, release
from pipelines.quality import frames
from pipelines.quality.gate import gate_checks
from pipelines.quality.suites import validate
from tests.support.sample_indicators import sample_indicators
from tests.test_publish_support import (
    MONTHS,
    failed_checks,
    fct_asset,
    resources,
    run_publication,
    tree_bytes,
)


def test_good_run_publishes_after_every_check_passed(tmp_path):
    result = run_publication(tmp_path)
    assert result.success, failed_checks(result)
    folder = tmp_path / "publications" / MONTHS[-1]
    meta = json.loads((folder / "metadata.json").read_text())
    assert len(meta["run_configuration"]["checks_verified"]) == 5
    assert (tmp_path / "gx_docs" / "index.html").exists()


def test_broken_indicator_fails_the_run_and_leaves_the_previous_release(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    good = run_publication(tmp_path, months=MONTHS[:-1], instance=instance)
    assert good.success
    previous = tmp_path / "publications" / MONTHS[-2]
    before = tree_bytes(tmp_path / "publications")

    broken = sample_indicators(1).with_columns(
        pl.when(pl.col("indicator_id") == "T02")
        .then(pl.col("value") + 2000)  # a rate per 1,000 above its upper bound
        .otherwise(pl.col("value"))
        .alias("value")
    )
    result = run_publication(tmp_path, indicators=broken, instance=instance)
    assert not result.success
    assert failed_checks(result) == ["fct_indicators:gx_indicators"]
    assert not (tmp_path / "publications" / MONTHS[-1]).exists()
    assert tree_bytes(tmp_path / "publications") == before
    assert previous.exists()

    # Publishing on its own after the failed gate is refused too, naming the check.
    alone = dg.materialize(
        [fct_asset(broken), release, analyst_snapshot, *gate_checks(raw_tables=[], spine_key=None)],
        selection=[PUBLICATION_KEY],
        resources=resources(tmp_path),
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": MONTHS[0],
            "dagster/asset_partition_range_end": MONTHS[-1],
        },
        raise_on_error=False,
    )
    assert not alone.success
    failure = next(e for e in alone.all_events if e.event_type_value == "STEP_FAILURE")
    assert "fct_indicators:gx_indicators failed" in failure.event_specific_data.error.message
    assert tree_bytes(tmp_path / "publications") == before


def test_missing_indicator_is_caught(tmp_path):
    result = run_publication(
        tmp_path, indicators=sample_indicators(1).filter(pl.col("indicator_id") != "T04")
    )
    assert not result.success
    assert "fct_indicators:gx_indicator_presence" in failed_checks(result)
    assert not (tmp_path / "publications" / MONTHS[-1]).exists()


def test_coverage_drop_against_the_previous_release_is_caught(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    assert run_publication(tmp_path, months=MONTHS[:-1], instance=instance).success
    fewer = sample_indicators(1).filter(pl.col("geography_code") != "DMI")
    fewer = fewer.filter(~pl.col("geography_code").is_in(["HLI", "E08000021"]))
    result = run_publication(tmp_path, indicators=fewer, instance=instance)
    assert "fct_indicators:gx_indicator_coverage" in failed_checks(result)


def _raw_warehouse(path: Path, last_month_share: float) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw")
    rows = []
    for month in ["2024-01", "2024-02", "2024-03", "2024-04"]:
        # an initial historical load, two ordinary months, then the month under test
        n = {"2024-01": 5000, "2024-04": int(400 * last_month_share)}.get(month, 400)
        rows += [(f"k{month}{i}", month) for i in range(n)]
    frame = pl.DataFrame(rows, schema=["record_key", "_delivery_month"], orient="row")
    con.register("f", frame.to_arrow())
    con.execute("CREATE TABLE raw.pnc_person AS FROM f")
    return con


def test_half_a_delivery_fails_the_volume_suite(tmp_path):
    with _raw_warehouse(tmp_path / "ok.duckdb", 0.95) as con:
        assert validate(frames.raw_volumes(con, "pnc_person", ["2024-04"]), "raw_volumes").success
    with _raw_warehouse(tmp_path / "half.duckdb", 0.5) as con:
        outcome = validate(frames.raw_volumes(con, "pnc_person", ["2024-04"]), "raw_volumes")
    assert not outcome.success
    assert any("volume_ratio" in f for f in outcome.failed)


def _cluster_sizes(spine: pl.DataFrame) -> pl.DataFrame:
    """``frames.clusters`` of a spine given as a frame (loaded as ``linkage.spine``)."""
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA linkage")
        con.register("spine_rows", spine.to_arrow())
        con.execute("CREATE TABLE linkage.spine AS SELECT * FROM spine_rows")
        return frames.clusters(con)


def test_spine_suites_catch_duplicates_bad_probabilities_and_giant_clusters():
    good = pl.DataFrame(
        {
            "source": ["pnc", "ndtms", "oasys"],
            "record_key": ["a", "b", "c"],
            "person_key": ["p1", "p1", "p2"],
            "cluster_id": [1, 1, 2],
            "match_probability": [1.0, 0.93, 1.0],
            "match_rule": ["exact_pnc", "splink_ndtms", "singleton"],
        }
    )
    assert validate(good, "linkage_spine").success
    assert validate(_cluster_sizes(good), "linkage_clusters").success
    bad = pl.concat([good, good.head(1).with_columns(pl.lit(1.2).alias("match_probability"))])
    outcome = validate(bad, "linkage_spine")
    assert not outcome.success
    assert any("record_key" in f for f in outcome.failed)
    assert any("match_probability" in f for f in outcome.failed)
    giant = pl.DataFrame(
        {
            "source": ["pnc"] * 80,
            "record_key": [str(i) for i in range(80)],
            "person_key": ["p"] * 80,
        }
    )
    assert not validate(_cluster_sizes(giant), "linkage_clusters").success
