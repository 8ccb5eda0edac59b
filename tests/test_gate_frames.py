"""The gate's frames read only what their suites need, with the same verdicts as whole tables.

A national run spent over 6 GB validating the spine as strings and loaded all of
``fct_indicators`` for each of four checks; these tests hold the narrow frames to the results
of the wide ones on a real DuckDB file, for passing and for broken data.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.quality import frames
from pipelines.quality.suites import to_pandas, validate
from tests.support.sample_indicators import sample_catalogue, sample_indicators


@pytest.fixture(scope="module")
def indicators() -> pl.DataFrame:
    return sample_indicators(months=14)


def _warehouse(path, indicators: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA main_marts")
    con.register("ind", indicators)
    con.execute("CREATE TABLE main_marts.fct_indicators AS FROM ind")
    con.unregister("ind")
    return con


def _wide(con, catalogue) -> pl.DataFrame:
    return frames.indicator_rows(con, catalogue)


def test_narrow_indicator_frames_equal_the_wide_ones(tmp_path, indicators):
    catalogue = sample_catalogue()
    with _warehouse(tmp_path / "w.duckdb", indicators) as con:
        wide = _wide(con, catalogue)
        narrow_props = frames.indicator_proportions(frames.indicator_counts(con, catalogue))
        wide_props = frames.indicator_proportions(wide)
        assert narrow_props.height == wide_props.height > 0
        cols = ["indicator_id", "numerator", "denominator", "value"]
        assert narrow_props.select(cols).sort(cols).equals(wide_props.select(cols).sort(cols))
        assert frames.indicator_presence(frames.indicator_areas(con), catalogue).equals(
            frames.indicator_presence(wide, catalogue)
        )
        trend = frames.indicator_trend(frames.indicator_rows(con, catalogue, frames.TREND_ROWS))
        assert trend.height > 0
        assert trend.equals(frames.indicator_trend(wide))


def test_broken_proportion_fails_through_the_narrow_frame(tmp_path, indicators):
    catalogue = sample_catalogue()
    proportions = catalogue.filter(pl.col("unit") == "proportion")["indicator_id"]
    broken = indicators.with_columns(
        pl.when(pl.col("indicator_id").is_in(proportions.to_list()) & (pl.col("denominator") > 0))
        .then(pl.col("denominator") + 1)
        .otherwise(pl.col("numerator"))
        .alias("numerator")
    )
    with _warehouse(tmp_path / "w.duckdb", broken) as con:
        outcome = validate(
            frames.indicator_proportions(frames.indicator_counts(con, catalogue)),
            "indicator_proportions",
        )
    assert not outcome.success
    assert any("denominator vs numerator" in f for f in outcome.failed)


def _spine_table(con, rows: list[tuple]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS linkage")
    con.execute(
        "CREATE OR REPLACE TABLE linkage.spine (source VARCHAR, record_key VARCHAR, "
        "person_key VARCHAR, cluster_id BIGINT, match_probability DOUBLE, match_rule VARCHAR)"
    )
    con.executemany("INSERT INTO linkage.spine VALUES (?, ?, ?, ?, ?, ?)", rows)


def test_spine_codes_keep_duplicates_nulls_and_cluster_sizes(tmp_path):
    key = "ab" * 32
    rows = [("pnc", f"{i:064x}", f"p{i // 3:063x}", i // 3, 1.0, "exact_pnc") for i in range(90)]
    with duckdb.connect(str(tmp_path / "s.duckdb")) as con:
        _spine_table(con, rows)
        good = frames.spine(con)
        assert good["record_key"].dtype.is_integer() and good["record_key"].n_unique() == 90
        assert validate(good, "linkage_spine").success
        sizes = frames.clusters(con)
        assert sizes["records"].to_list() == [3] * 30
        assert validate(sizes, "linkage_clusters").success
        # no pseudonymous key reaches the frame GX renders into Data Docs
        assert key not in str(good.rows())

        _spine_table(con, [*rows, rows[0], ("pnc", None, None, None, 1.0, "exact_pnc")])
        bad = frames.spine(con)
        assert bad["record_key"].null_count() == 1 and bad["person_key"].null_count() == 1
        outcome = validate(bad, "linkage_spine")
        assert not outcome.success
        failed = " ".join(outcome.failed)
        assert "be_unique[record_key]" in failed and "not_be_null[person_key]" in failed

        giant = [("pnc", f"{i:064x}", "p" * 64, 1, 1.0, "exact_pnc") for i in range(80)]
        _spine_table(con, giant)
        assert not validate(frames.clusters(con), "linkage_clusters").success


def test_categorical_strings_give_the_same_verdicts(indicators):
    """Repeated strings go to pandas as categoricals; GX judges them exactly as strings."""
    catalogue = sample_catalogue()
    con = duckdb.connect()
    con.execute("CREATE SCHEMA main_marts")
    con.register("ind", indicators)
    con.execute("CREATE TABLE main_marts.fct_indicators AS FROM ind")
    wide = _wide(con, catalogue)
    broken = pl.concat(
        [wide, wide.head(3).with_columns(pl.lit("2024/13").alias("period"))], how="vertical"
    )
    assert str(to_pandas(wide)["period"].dtype) == "category"
    for frame in (wide, broken):
        as_categories = validate(frame, "indicators")
        as_strings = validate(frame.to_pandas(), "indicators")
        assert (as_categories.success, as_categories.failed) == (
            as_strings.success,
            as_strings.failed,
        )
    assert not validate(broken, "indicators").success


def test_data_docs_go_only_where_asked(tmp_path, monkeypatch, indicators):
    """A validation writes its Data Docs to the folder given and nothing to the temp folder.

    An ephemeral GX context carries a default site in a fresh temporary folder; building it
    left one folder behind per validation (thousands per test run, gigabytes on disk).
    """
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    docs = tmp_path / "docs"
    assert validate(indicators, "indicators", docs=docs).evaluated > 0
    assert (docs / "index.html").is_file()
    assert list(scratch.iterdir()) == []
