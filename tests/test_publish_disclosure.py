"""Disclosure control, proved on the published files.

Property-style: for several seeded sample tables (persons aggregated to prisons, local
authorities, regions and England, by sex, age band and ethnic group), the files written by
:func:`publish_release` contain no count of 1-4, no withheld cell can be recovered exactly
from the published cells and the totals (checked by an independent rank test), and the
opposite: England's headline is published unless its own counts forbid it, and a region's
headline is withheld only for its own counts or as the one complement of another region's.
Each property runs on every slice published (the hardest case) and on the declared scope.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from pipelines.catalogue import normalise_catalogue
from pipelines.publish.disclosure import (
    CONFIDENTIAL,
    COUNT_COLUMNS,
    ENGLAND_TOTAL,
    LOW_DENOMINATOR,
    NOT_AVAILABLE,
    Relations,
    apply_disclosure_control,
    determined_cells,
    primary_suppression,
    published_share,
    secondary_suppression,
)
from pipelines.publish.release import ReleaseInputs, publish_release
from pipelines.publish.scope import in_scope, load_scope
from tests.support.sample_indicators import (
    sample_catalogue,
    sample_geography,
    sample_indicators,
    sample_scope,
)

#: Count columns per published unit (proportions are published as percentages).
COUNT_UNITS = {
    {"proportion": "percentage"}.get(unit, unit): columns for unit, columns in COUNT_COLUMNS.items()
}
SEEDS = [(1, 1500), (2, 600), (3, 4000), (4, 250)]
#: (seed, people, scope): every slice published, or the declared scope on rolling 12 months.
CASES = [(seed, people, "all") for seed, people in SEEDS] + [(5, 3000, "declared")]


def _case_inputs(seed: int, people: int, scope: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    if scope == "all":
        return sample_indicators(seed, people=people), sample_scope()
    return sample_indicators(seed, people=people, period_type="rolling_12m"), load_scope()


@pytest.fixture(scope="module", params=CASES, ids=[f"seed{s}-n{n}-{c}" for s, n, c in CASES])
def release(request, tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    """A published release and the in-scope rows it was built from."""
    raw, scope = _case_inputs(*request.param)
    out = tmp_path_factory.mktemp(f"disclosure{request.param[0]}")
    folder = publish_release(
        out,
        ReleaseInputs(
            "2024-06",
            raw,
            normalise_catalogue(sample_catalogue()),
            sample_geography(),
            scope=scope,
        ),
    )
    return folder, in_scope(raw, scope)


def _small(text: str) -> bool:
    try:
        return 1 <= float(text) <= 4
    except ValueError:
        return False


def _tidy(folder: Path) -> pl.DataFrame:
    return pl.read_csv(folder / "indicators.csv", infer_schema=False).with_columns(
        pl.col("symbol").fill_null("")
    )


def test_no_count_of_one_to_four_in_the_tidy_csv(release):
    folder, raw = release
    tidy = _tidy(folder)
    assert tidy.height == raw.height
    for unit, columns in COUNT_UNITS.items():
        rows = tidy.filter(pl.col("unit") == unit)
        for column in columns:
            assert not any(_small(v) for v in rows[column].drop_nulls().to_list()), (unit, column)
    # withheld numbers are empty and the row says why
    withheld = tidy.filter(pl.col("symbol").is_in([CONFIDENTIAL, NOT_AVAILABLE]))
    assert withheld["numerator"].null_count() == withheld.height
    assert withheld["value"].null_count() == withheld.height
    # and the table does contain withheld cells, so the test has something to prove
    assert (tidy["symbol"] == CONFIDENTIAL).sum() > 10


def test_no_count_of_one_to_four_in_the_parquet_or_workbook(release):
    folder, _ = release
    frame = pl.read_parquet(folder / "indicators.parquet")
    assert frame.equals(pl.read_csv(folder / "indicators.csv", schema=frame.schema))
    units = dict(frame.select("indicator_id", "unit").unique().iter_rows())
    for unit, columns in COUNT_UNITS.items():
        rows = frame.filter(pl.col("unit") == unit)
        for column in columns:
            assert not rows[column].is_between(1, 4).any(), (unit, column)
    book = openpyxl.load_workbook(folder / "indicators.xlsx", read_only=True)
    withheld = 0
    for sheet in ["T01", "T02", "T03", "T04"]:
        unit = units[sheet]
        rows = list(book[sheet].iter_rows(values_only=True))
        header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Period")
        header = rows[header_at]
        for column in COUNT_UNITS[unit]:
            j = header.index(column.capitalize())
            values = [r[j] for r in rows[header_at + 1 :]]
            assert not any(isinstance(v, (int, float)) and 1 <= v <= 4 for v in values)
            withheld += values.count(CONFIDENTIAL)
    assert withheld > 0


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
    tidy = _tidy(folder)
    withheld = (tidy["status"] == "suppressed") & (tidy["symbol"] == CONFIDENTIAL)
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
    tidy = _tidy(folder)
    withheld = (tidy["symbol"] == CONFIDENTIAL).to_list()
    for rels in _relations(tidy, sample_geography()).values():
        for rel in rels:
            assert sum(withheld[i] for i in rel) != 1


def _own_reasons(raw: pl.DataFrame) -> pl.DataFrame:
    """Per mature headline row, whether its own counts are 1-4 and its denominator too low."""
    catalogue = normalise_catalogue(sample_catalogue())
    mins = dict(catalogue.select("indicator_id", "min_denominator").iter_rows())
    return raw.with_columns(
        primary_suppression(raw, catalogue).alias("own_small"),
        (
            pl.col("denominator").is_null()
            | (pl.col("denominator") < pl.col("indicator_id").replace_strict(mins))
        ).alias("own_low"),
    ).filter((pl.col("breakdown") == "none") & (pl.col("status") != "not_yet_mature"))


def _published(folder: Path, raw: pl.DataFrame) -> pl.DataFrame:
    key = ["indicator_id", "period", "geography_code", "breakdown", "breakdown_value"]
    return _own_reasons(raw).join(_tidy(folder).select(*key, "symbol"), on=key, how="left")


def test_england_headline_is_published_unless_its_own_counts_forbid(release):
    """For every indicator and mature period in scope, England's ``none`` row is published,
    unless its own counts are 1-4 ([c]) or its denominator is below the minimum ([u])."""
    folder, raw = release
    rows = _published(folder, raw).filter(pl.col("geography_type") == "england")
    assert rows.height > 0 and rows["symbol"].null_count() == 0
    expected = (
        pl.when(pl.col("own_small"))
        .then(pl.lit(CONFIDENTIAL))
        .when(pl.col("own_low"))
        .then(pl.lit(LOW_DENOMINATOR))
        .otherwise(pl.lit(""))
    )
    wrong = rows.filter(pl.col("symbol") != expected)
    assert wrong.is_empty(), wrong.select("indicator_id", "period", "symbol", "numerator")


def test_region_headline_is_withheld_only_for_its_own_counts_or_one_other_region(release):
    """A region's ``none`` row is withheld for its own counts; otherwise only as the single
    complement of exactly one other region withheld for its own counts (England minus the
    other regions would give that one away)."""
    folder, raw = release
    rows = _published(folder, raw).filter(pl.col("geography_type") == "region")
    assert rows.height > 0
    rows = rows.with_columns(
        ((pl.col("symbol") == CONFIDENTIAL) & ~pl.col("own_small")).alias("complement")
    )
    per_period = rows.group_by("indicator_id", "period").agg(
        pl.col("complement").sum().alias("complements"),
        pl.col("own_small").sum().alias("own"),
    )
    bad = per_period.filter(
        (pl.col("complements") > 1) | ((pl.col("complements") == 1) & (pl.col("own") != 1))
    )
    assert bad.is_empty(), bad
    low = rows.filter(pl.col("own_low") & ~pl.col("own_small") & ~pl.col("complement"))
    assert (low["symbol"] == LOW_DENOMINATOR).all()


def test_published_share_is_reported_per_geography_level(release):
    folder, _ = release
    meta = json.loads((folder / "metadata.json").read_text())
    shares = {r["geography_type"]: r for r in meta["disclosure_control"]["published_share"]}
    assert set(shares) == {"england", "region", "local_authority", "prison"}
    for row in shares.values():
        assert row["published"] + row["confidential"] + row["low_denominator"] == row["rows"]
        assert 0 < row["share"] <= 1


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


def _controlled(rows: list[tuple]) -> pl.DataFrame:
    """Disclosure control of a one-indicator, one-period table of the sample areas."""
    return apply_disclosure_control(
        _table(rows), normalise_catalogue(sample_catalogue()), sample_geography()
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
    rows = [
        ("region", "E12000001", "none", "All", 50, 100),
        ("prison", "DMI", "none", "All", 3, 10),
        ("prison", "HLI", "none", "All", 20, 40),
        ("prison", "NMI", "none", "All", 27, 50),
    ]
    out = _controlled(rows)
    symbols = dict(zip(out["geography_code"], out["symbol"], strict=True))
    assert symbols["DMI"] == CONFIDENTIAL and symbols["HLI"] == CONFIDENTIAL
    assert symbols["NMI"] == "" and symbols["E12000001"] == ""


def test_complements_are_found_below_the_totals():
    """A small category is protected by a sibling category (the smaller), never by England's
    or a region's total."""
    rows = [
        ("england", "E92000001", "none", "All", 60, 200),
        ("england", "E92000001", "sex", "Male", 40, 150),
        ("england", "E92000001", "sex", "Female", 18, 47),
        ("england", "E92000001", "sex", "Unknown", 2, 3),
        ("region", "E12000001", "none", "All", 20, 80),
        ("region", "E12000001", "sex", "Male", 12, 60),
        ("region", "E12000001", "sex", "Female", 7, 18),
        ("region", "E12000001", "sex", "Unknown", 1, 2),
        ("region", "E12000002", "none", "All", 40, 120),
        ("region", "E12000002", "sex", "Male", 28, 90),
        ("region", "E12000002", "sex", "Female", 11, 29),
        ("region", "E12000002", "sex", "Unknown", 1, 1),
    ]
    out = _controlled(rows)
    symbols = {
        (c, v): s for c, v, s in out.select("geography_code", "breakdown_value", "symbol").rows()
    }
    assert symbols[("E92000001", "All")] == ""
    assert symbols[("E12000001", "All")] == symbols[("E12000002", "All")] == ""
    assert symbols[("E92000001", "Unknown")] == CONFIDENTIAL
    assert symbols[("E92000001", "Female")] == CONFIDENTIAL  # the smaller sibling


def test_cells_still_recoverable_get_complements_below_the_england_total():
    """When a withheld cell is still determined through chains of relations, the complement is
    an ordinary cell, even where England's total is the only published cell of a relation."""
    e, a, b, c, d, f, g = range(7)  # e: England's headline, the rest ordinary cells
    relations = [(e, [a, b]), (a, [c, d]), (b, [c, f]), (d, [c, g])]
    rel, cell, sign = [], [], []
    for r, (total, parts) in enumerate(relations):
        for member, s in [(total, 1.0), *[(p, -1.0) for p in parts]]:
            rel.append(r), cell.append(member), sign.append(s)
    rels = Relations(np.array(rel), np.array(cell), np.array(sign), len(relations))
    withheld = np.zeros(7, dtype=bool)
    withheld[[a, b, c, d]] = True  # every relation holds two or more, yet all four are determined
    assert set(determined_cells(rels, withheld)) == {a, b, c, d}
    size = np.array([100.0, 50, 50, 20, 30, 30, 10])
    priority = np.array([ENGLAND_TOTAL, 0, 0, 0, 0, 0, 0])
    protected = secondary_suppression(withheld, rels, size, priority)
    assert not protected[e]
    assert determined_cells(rels, protected).size == 0
    # without priorities the England total would have been taken as a complement
    assert secondary_suppression(withheld, rels, size)[e]


def test_a_region_with_small_counts_takes_the_smallest_other_region_with_it():
    rows = [
        ("england", "E92000001", "none", "All", 43, 200),
        ("region", "E12000001", "none", "All", 3, 40),
        ("region", "E12000002", "none", "All", 40, 160),
    ]
    out = _controlled(rows)
    symbols = dict(zip(out["geography_code"], out["symbol"], strict=True))
    assert symbols == {"E92000001": "", "E12000001": CONFIDENTIAL, "E12000002": CONFIDENTIAL}
    assert published_share(out).filter(pl.col("geography_type") == "england")["share"][0] == 1.0


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
