"""Disclosure control, proved on the published files.

Property-style: for several seeded sample tables (persons aggregated to prisons, local
authorities, regions and England, by sex, age band and ethnic group), the files written by
:func:`publish_release` contain no count of 1-4, and no withheld cell can be recovered exactly
from the published cells and the totals (checked by an independent rank test).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from pipelines.catalogue import normalise_catalogue
from pipelines.publish.disclosure import (
    CONFIDENTIAL,
    LOW_DENOMINATOR,
    NOT_AVAILABLE,
    apply_disclosure_control,
)
from pipelines.publish.release import ReleaseInputs, publish_release
from tests.support.sample_indicators import sample_catalogue, sample_geography, sample_indicators

COUNT_UNITS = {
    "percentage": ("numerator", "denominator"),
    "rate_per_1000": ("numerator", "denominator"),
    "rate_per_100": ("numerator", "denominator"),
    "mean": ("denominator",),
    "median_days": ("denominator",),
    "ratio": ("numerator",),
}
SEEDS = [(1, 1500), (2, 600), (3, 4000), (4, 250)]


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}-n{n}" for s, n in SEEDS])
def release(request, tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    seed, people = request.param
    raw = sample_indicators(seed, people=people)
    out = tmp_path_factory.mktemp(f"disclosure{seed}")
    folder = publish_release(
        out,
        ReleaseInputs("2024-06", raw, normalise_catalogue(sample_catalogue()), sample_geography()),
    )
    return folder, raw


def _small(text: str) -> bool:
    try:
        return 1 <= float(text) <= 4
    except ValueError:
        return False


def test_no_count_of_one_to_four_in_the_tidy_csv(release):
    folder, raw = release
    tidy = pl.read_csv(folder / "indicators.csv", infer_schema=False)
    assert tidy.height == raw.height
    for unit, columns in COUNT_UNITS.items():
        rows = tidy.filter(pl.col("unit") == unit)
        for column in columns:
            assert not any(_small(v) for v in rows[column].to_list()), (unit, column)
    # and the table does contain withheld cells, so the test has something to prove
    assert (tidy["numerator"] == CONFIDENTIAL).sum() > 10


def test_no_count_of_one_to_four_in_the_fingertips_csv_or_workbook(release):
    folder, _ = release
    fingertips = pl.read_csv(folder / "indicators_fingertips.csv", infer_schema=False)
    units = dict(
        pl.read_csv(folder / "indicators.csv", infer_schema=False)
        .select("indicator_id", "unit")
        .unique()
        .iter_rows()
    )
    for indicator, rows in fingertips.group_by("Indicator ID"):
        columns = COUNT_UNITS[units[indicator[0]]]
        for column, name in [("numerator", "Count"), ("denominator", "Denominator")]:
            if column in columns:
                assert not any(_small(v) for v in rows[name].to_list()), (indicator, name)
    book = openpyxl.load_workbook(folder / "indicators.xlsx", read_only=True)
    for sheet in ["T01", "T02", "T03", "T04"]:
        unit = units[sheet]
        rows = list(book[sheet].iter_rows(values_only=True))
        header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Period")
        header = rows[header_at]
        for column in COUNT_UNITS[unit]:
            j = header.index(column.capitalize())
            values = [r[j] for r in rows[header_at + 1 :]]
            assert not any(isinstance(v, (int, float)) and 1 <= v <= 4 for v in values)
            assert CONFIDENTIAL in values


def _relations(tidy: pl.DataFrame, geography: pl.DataFrame) -> dict[tuple, list[list[int]]]:
    """Independent statement of the additive structure: per (indicator, period), each relation
    as [total, parts...] row numbers of the published table."""
    parent = dict(geography.select("geography_code", "parent_code").iter_rows())
    index = {
        (
            r["indicator_id"],
            r["period"],
            r["geography_code"],
            r["breakdown"],
            r["breakdown_value"],
        ): i
        for i, r in enumerate(tidy.iter_rows(named=True))
    }
    groups: dict[tuple, list[int]] = defaultdict(list)
    for (ind, period, area, breakdown, value), i in index.items():
        if breakdown != "none":
            groups[("bd", ind, period, area, breakdown)].append(i)
        if parent.get(area):
            kind = tidy["geography_type"][i]
            groups[("geo", ind, period, parent[area], kind, breakdown, value)].append(i)
    out: dict[tuple, list[list[int]]] = defaultdict(list)
    for key, parts in groups.items():
        if key[0] == "bd":
            _, ind, period, area, _ = key
            total = index[(ind, period, area, "none", "All")]
        else:
            _, ind, period, area, _, breakdown, value = key
            total = index[(ind, period, area, breakdown, value)]
        out[(key[1], key[2])].append([total, *parts])
    return out


def test_no_withheld_cell_is_recoverable_from_totals(release):
    folder, _ = release
    tidy = pl.read_csv(folder / "indicators.csv", infer_schema=False)
    withheld = (tidy["status"] == "suppressed") & (tidy["numerator"] == CONFIDENTIAL)
    withheld = withheld.to_list()
    checked = 0
    for rels in _relations(tidy, sample_geography()).values():
        cells = sorted({i for rel in rels for i in rel if withheld[i]})
        if not cells:
            continue
        pos = {c: j for j, c in enumerate(cells)}
        a = np.zeros((len(rels), len(cells)))
        for r, rel in enumerate(rels):
            for k, i in enumerate(rel):
                if withheld[i]:
                    a[r, pos[i]] = 1 if k == 0 else -1
        # e_j lies in the row space of a (cell j is recoverable) iff the projection onto the
        # row space, pinv(a) @ a, maps e_j to itself.
        projection = np.linalg.pinv(a) @ a
        for c, j in pos.items():
            recoverable = abs(projection[j, j] - 1.0) < 1e-8
            assert not recoverable, tidy.row(c, named=True)
            checked += 1
    assert checked > 20


def test_every_relation_has_zero_or_at_least_two_withheld_cells(release):
    folder, _ = release
    tidy = pl.read_csv(folder / "indicators.csv", infer_schema=False)
    withheld = (tidy["numerator"] == CONFIDENTIAL).to_list()
    for rels in _relations(tidy, sample_geography()).values():
        for rel in rels:
            assert sum(withheld[i] for i in rel) != 1


def _table(rows: list[tuple]) -> pl.DataFrame:
    columns = ["geography_type", "geography_code", "breakdown", "breakdown_value", "num", "den"]
    frame = pl.DataFrame(rows, schema=columns, orient="row")
    return frame.select(
        pl.lit("T01").alias("indicator_id"),
        pl.lit("2024-01").alias("period"),
        pl.lit("month").alias("period_type"),
        "geography_type",
        "geography_code",
        pl.col("geography_code").alias("geography_name"),
        "breakdown",
        "breakdown_value",
        pl.col("num").cast(pl.Float64).alias("numerator"),
        pl.col("den").cast(pl.Float64).alias("denominator"),
        (pl.col("num") / pl.col("den")).alias("value"),
        pl.lit(None, pl.Float64).alias("ci_low"),
        pl.lit(None, pl.Float64).alias("ci_high"),
        pl.lit("2024-01").alias("maturity_period"),
        pl.lit("published").alias("status"),
    )


def test_one_small_category_gets_the_next_smallest_withheld_too():
    rows = [
        ("england", "E92000001", "none", "All", 40, 100),
        ("england", "E92000001", "sex", "Male", 30, 70),
        ("england", "E92000001", "sex", "Female", 8, 27),
        ("england", "E92000001", "sex", "Unknown", 2, 3),
    ]
    out = apply_disclosure_control(_table(rows), normalise_catalogue(sample_catalogue()))
    symbols = dict(zip(out["breakdown_value"], out["symbol"], strict=True))
    assert symbols == {"All": "", "Male": "", "Female": CONFIDENTIAL, "Unknown": CONFIDENTIAL}
    assert out.filter(pl.col("symbol") == CONFIDENTIAL)["numerator"].null_count() == 2


def test_small_area_is_protected_across_areas_and_breakdowns():
    """A prison with a small count forces a second prison (same region) to be withheld."""
    geography = sample_geography()
    rows = [
        ("region", "E12000001", "none", "All", 50, 100),
        ("prison", "DMI", "none", "All", 3, 10),
        ("prison", "HLI", "none", "All", 20, 40),
        ("prison", "NMI", "none", "All", 27, 50),
    ]
    out = apply_disclosure_control(_table(rows), normalise_catalogue(sample_catalogue()), geography)
    symbols = dict(zip(out["geography_code"], out["symbol"], strict=True))
    assert symbols["DMI"] == CONFIDENTIAL and symbols["HLI"] == CONFIDENTIAL
    assert symbols["NMI"] == "" and symbols["E12000001"] == ""


def test_low_denominator_hides_the_value_but_not_safe_counts():
    rows = [("england", "E92000001", "none", "All", 5, 8)]
    out = apply_disclosure_control(_table(rows), normalise_catalogue(sample_catalogue()))
    row = out.row(0, named=True)
    assert row["symbol"] == LOW_DENOMINATOR and row["status"] == "suppressed"
    assert row["value"] is None and row["numerator"] == 5 and row["denominator"] == 8


def test_immature_periods_publish_no_numbers():
    frame = _table([("england", "E92000001", "none", "All", 40, 100)]).with_columns(
        pl.lit("not_yet_mature").alias("status")
    )
    out = apply_disclosure_control(frame, normalise_catalogue(sample_catalogue()))
    row = out.row(0, named=True)
    assert row["symbol"] == NOT_AVAILABLE and row["status"] == "not_yet_mature"
    assert row["numerator"] is None and row["value"] is None


def test_indicator_missing_from_catalogue_is_an_error():
    frame = _table([("england", "E92000001", "none", "All", 40, 100)]).with_columns(
        pl.lit("NOPE").alias("indicator_id")
    )
    with pytest.raises(ValueError, match="NOPE"):
        apply_disclosure_control(frame, normalise_catalogue(sample_catalogue()))
