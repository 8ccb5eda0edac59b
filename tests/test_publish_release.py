"""Release folders: contents, scope, readers, byte-for-byte reproducibility, atomic replacement,
revision log."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from pipelines.catalogue import normalise_catalogue
from pipelines.publish.release import HEADLINE_REASONS, ReleaseInputs, publish_release
from pipelines.publish.scope import load_scope
from pipelines.publish.tables import TIDY_COLUMNS
from tests.support.sample_indicators import (
    sample_catalogue,
    sample_geography,
    sample_indicators,
    sample_scope,
)
from tests.test_publish_support import tree_bytes

MONTH = "2024-06"


def _inputs(indicators: pl.DataFrame | None = None, **kwargs) -> ReleaseInputs:
    kwargs.setdefault("scope", sample_scope())
    return ReleaseInputs(
        MONTH,
        sample_indicators(1) if indicators is None else indicators,
        normalise_catalogue(sample_catalogue()),
        sample_geography(),
        manifest=[{"path": "pnc/2024-06/pnc_person_202406.psv", "sha256": "ab" * 32}],
        **kwargs,
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    return publish_release(
        tmp_path_factory.mktemp("pub"), _inputs(generated_at="2026-01-01T00:00:00")
    )


def test_release_folder_has_every_file(published):
    names = set(tree_bytes(published))
    assert {
        "indicators.csv",
        "indicators.parquet",
        "indicators.xlsx",
        "metadata.json",
        "index.html",
        "charts/T01.svg",
        "charts/T04.svg",
    } <= names
    assert (published.parent / "index.html").exists()
    assert not [p for p in published.parent.iterdir() if p.name.startswith(".")]


def test_duckdb_and_polars_read_the_tidy_csv_with_their_defaults(tmp_path):
    """Every text field is quoted from the first line, so sniffers agree on the dialect; numbers
    are plain numbers (withheld ones empty), so the count columns come back numeric. A name with
    a comma and quotes deep in the file must not trip either reader."""
    odd_name = 'HMP Preston, "Lancashire"'

    def rename(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.when(pl.col("geography_code") == "PNI")
            .then(pl.lit(odd_name))
            .otherwise(pl.col("geography_name"))
            .alias("geography_name")
        )

    folder = publish_release(
        tmp_path,
        ReleaseInputs(
            MONTH,
            rename(sample_indicators(1)),
            normalise_catalogue(sample_catalogue()),
            rename(sample_geography()),
            scope=sample_scope(),
        ),
    )
    path = folder / "indicators.csv"
    with duckdb.connect() as con:
        by_duckdb = con.sql(f"SELECT * FROM read_csv('{path}')").pl()
    by_polars = pl.read_csv(path)
    expected = pl.read_parquet(folder / "indicators.parquet")
    for frame in (by_duckdb, by_polars):
        assert frame.columns == TIDY_COLUMNS
        assert frame.height == expected.height > 1000
        for column in ("numerator", "denominator", "value", "ci_low", "ci_high"):
            assert frame[column].dtype.is_numeric(), column
            assert frame[column].null_count() == expected[column].null_count()
        assert odd_name in frame["geography_name"].to_list()
    assert by_polars.equals(expected)


def test_the_declared_scope_is_what_is_published(tmp_path):
    """With ``seeds/publication_scope.csv``: England by every breakdown, regions by sex and age
    band, local authorities and prisons for all people; regions and lower areas on quarter ends
    and the latest mature period; periods not yet mature listed for England only."""
    rows = sample_indicators(1, months=6, period_type="rolling_12m")
    folder = publish_release(tmp_path, _inputs(rows, scope=load_scope()))
    tidy = pl.read_parquet(folder / "indicators.parquet")
    shape = {
        g: set(tidy.filter(pl.col("geography_type") == g)["breakdown"])
        for g in ("england", "region", "local_authority", "prison")
    }
    assert shape == {
        "england": {"none", "sex", "age_band", "ethnic_group"},
        "region": {"none", "sex", "age_band"},
        "local_authority": {"none"},
        "prison": {"none"},
    }
    below = tidy.filter(pl.col("geography_type") != "england")
    # the quarter end (March) and the latest mature period (May); June is not yet mature
    assert set(below["period"]) == {"2023-04/2024-03", "2023-06/2024-05"}
    assert set(tidy.filter(pl.col("symbol") == "[x]")["geography_type"]) == {"england"}
    assert tidy.filter(pl.col("geography_type") == "england")["period"].n_unique() == 6
    meta = json.loads((folder / "metadata.json").read_text())
    t01 = {
        (s["period_type"], s["geography_type"]) for s in meta["scope"] if s["indicator_id"] == "T01"
    }
    assert ("rolling_12m", "england") in t01 and ("release_cohort", "england") in t01


def test_tidy_table_and_area_profiles_share_one_england_comparison(published):
    """``compared_to_england`` in the tidy files is judged by the catalogue polarity (T01:
    higher is better; T03 and T04: no judgement), and every area profile shows that flag."""
    tidy = pl.read_parquet(published / "indicators.parquet")
    flags = {
        i: set(
            tidy.filter((pl.col("indicator_id") == i) & (pl.col("geography_type") != "england"))[
                "compared_to_england"
            ]
        )
        for i in ("T01", "T03", "T04")
    }
    assert "Better" in flags["T01"] <= {"Better", "Similar", "Worse", "Not compared"}
    assert flags["T03"] | flags["T04"] <= {"Higher", "Similar", "Lower", "Not compared"}
    assert set(tidy.filter(pl.col("geography_type") == "england")["compared_to_england"]) == {""}
    keys = ["geography_code", "indicator_id", "period"]
    profiles = pl.concat(
        pl.read_csv(p, infer_schema=False) for p in sorted((published / "areas").glob("*.csv"))
    ).select(*keys, "compared_to_england")
    shown = profiles.join(
        tidy.filter(pl.col("breakdown") == "none"), on=keys, how="left", suffix="_tidy"
    )
    assert shown.height == profiles.height > 0
    assert shown["compared_to_england"].equals(shown["compared_to_england_tidy"])


def test_workbook_is_accessible_and_has_a_fixed_created_date(published):
    book = openpyxl.load_workbook(published / "indicators.xlsx")
    assert book.sheetnames[:4] == ["Cover", "Contents", "Notes", "Symbols"]
    assert {"T01", "T02", "T03", "T04"} <= set(book.sheetnames)
    assert book.properties.created.strftime("%Y-%m") == MONTH
    sheet = book["T01"]
    assert sheet["A1"].value.startswith("T01: ")
    assert len(sheet.tables) == 1  # data marked as an Excel table (screen-reader friendly)
    symbols = [r[0] for r in book["Symbols"].iter_rows(values_only=True)]
    assert {"[c]", "[u]", "[x]"} <= set(symbols)


def test_metadata_describes_indicators_inputs_and_files(published):
    meta = json.loads((published / "metadata.json").read_text())
    assert meta["release"] == MONTH and meta["generated_at"] == "2026-01-01T00:00:00"
    assert meta["code_version"]
    entry = next(i for i in meta["indicators"] if i["indicator_id"] == "T04")
    assert entry["is_proxy"] and entry["known_limitations"]
    assert entry["maturity_period"] == "2024-05"
    # England's latest mature headline, and why when it is not published
    (headline,) = entry["england_headline"]
    assert (headline["period"], headline["period_type"]) == ("2024-05", "month")
    assert headline["status"] in HEADLINE_REASONS.values()
    assert (headline["value"] is None) == (headline["status"] != "published")
    assert meta["inputs"]["manifest"][0]["sha256"] == "ab" * 32
    assert len(meta["inputs"]["indicator_rows_sha256"]) == 64
    assert set(meta["files"]) == set(tree_bytes(published)) - {"metadata.json"}


def test_two_runs_give_identical_bytes_apart_from_the_timestamp(tmp_path):
    first = publish_release(tmp_path / "a", _inputs(generated_at="2026-01-01T00:00:00"))
    second = publish_release(tmp_path / "b", _inputs(generated_at="2026-02-02T09:30:00"))
    a, b = tree_bytes(first), tree_bytes(second)
    assert a.keys() == b.keys()
    differing = [name for name in a if a[name] != b[name]]
    assert differing == ["metadata.json"]
    meta_a, meta_b = (json.loads(x["metadata.json"]) for x in (a, b))
    meta_a.pop("generated_at"), meta_b.pop("generated_at")
    assert meta_a == meta_b


def test_failed_build_leaves_the_previous_release_untouched(tmp_path):
    folder = publish_release(tmp_path, _inputs(generated_at="t0"))
    before = tree_bytes(folder)
    broken = sample_indicators(1).with_columns(pl.lit("UNKNOWN").alias("indicator_id"))
    with pytest.raises(ValueError, match="UNKNOWN"):
        publish_release(tmp_path, _inputs(broken, generated_at="t1"))
    assert tree_bytes(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [MONTH, "index.html"]


def test_republishing_a_correction_records_the_changed_cells(tmp_path):
    original = sample_indicators(1)
    publish_release(tmp_path, _inputs(original, generated_at="t0"))
    corrected = original.with_columns(
        pl.when(
            (pl.col("indicator_id") == "T01")
            & (pl.col("period") == "2024-03")
            & (pl.col("geography_type") == "england")
            & (pl.col("breakdown") == "none")
        )
        .then(pl.col("value") * 0.9)
        .otherwise(pl.col("value"))
        .alias("value")
    )
    publish_release(
        tmp_path,
        _inputs(corrected, generated_at="t1", run_config={"revision_reason": "NDTMS resubmission"}),
    )
    log = pl.read_csv(tmp_path / "revisions.csv", infer_schema=False)
    assert log.height == 1
    row = log.row(0, named=True)
    assert (row["release"], row["revision"], row["reason"]) == (MONTH, "1", "NDTMS resubmission")
    assert (row["indicator_id"], row["period"], row["geography_code"]) == (
        "T01",
        "2024-03",
        "E92000001",
    )
    assert row["column"] == "value" and float(row["new"]) < float(row["old"])
    # republishing identical inputs records nothing new
    publish_release(tmp_path, _inputs(corrected, generated_at="t2"))
    assert pl.read_csv(tmp_path / "revisions.csv", infer_schema=False).height == 1
    assert "NDTMS resubmission" in (tmp_path / "index.html").read_text()
