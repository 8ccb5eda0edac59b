"""A small, seeded ``fct_indicators`` built from simulated person records (for tests and demos).

It honours the contract in ``docs/indicator-table.md``: breakdown categories and child areas add
up to their totals, so disclosure control can be tested on realistic additive tables without
the dbt marts.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import polars as pl

from pipelines.contracts.indicators import INDICATOR_COLUMNS

REGIONS = {"E12000001": "North East", "E12000002": "North West"}
PRISONS = {
    "E12000001": {"DMI": "Durham", "HLI": "Holme House", "NMI": "Northumberland"},
    "E12000002": {"LPI": "Liverpool", "MRI": "Manchester", "PNI": "Preston"},
}
LAS = {
    "E12000001": {"E06000047": "County Durham", "E08000021": "Newcastle upon Tyne"},
    "E12000002": {"E08000012": "Liverpool", "E08000003": "Manchester", "E07000123": "Preston"},
}
CATALOGUE_ROWS = [
    ("T01", 5, "Continuity of community treatment", "C", "Continuity of care", "proportion"),
    (
        "T02",
        8,
        "Drug-related deaths after release",
        "C",
        "Deaths within 12 months",
        "rate_per_1000",
    ),
    ("T03", 4, "Effective reintegration", "B", "Days to first re-offence", "median_days"),
    ("T04", 3, "Equality of service", "A", "Access relative to overall", "ratio"),
]
#: Direction of good: continuity of care up, deaths down, no judgement on days and the ratio.
POLARITIES = {"T01": "higher", "T02": "lower", "T03": "none", "T04": "none"}
SEX = ["Male", "Female", "Unknown"]
AGE = ["18-24", "25-29", "30-39", "40-49", "50+"]
ETHNIC = ["White", "Black", "Asian", "Mixed", "Other", "Not stated"]


def sample_catalogue() -> pl.DataFrame:
    """A four-indicator catalogue with the seed's columns."""
    rows = []
    for ind, sub, sub_name, primary, name, unit in CATALOGUE_ROWS:
        rows.append(
            {
                "indicator_id": ind,
                "sub_outcome_id": sub,
                "sub_outcome_name": sub_name,
                "primary_outcome": primary,
                "indicator_name": name,
                "definition": f"{name} (sample definition).",
                "numerator_definition": "People meeting the definition.",
                "denominator_definition": "People in scope.",
                "unit": unit,
                "sources": "NDTMS;DIR",
                "is_proxy": ind == "T04",
                "proxy_reason": "sample proxy" if ind == "T04" else "",
                "evidence_codes": "1a;2b",
                "service_user_themes": "Recovery",
                "min_denominator": 10 if ind != "T03" else 5,
                "lower_bound": 0.0,
                "upper_bound": {"proportion": 1.0, "rate_per_1000": 1000.0}.get(unit, 400.0),
                "polarity": POLARITIES[ind],
            }
        )
    return pl.DataFrame(rows)


def sample_scope() -> pl.DataFrame:
    """Publication scope rules publishing every slice of the sample (all periods, areas and
    breakdowns: the hardest case for disclosure control)."""
    rows = [
        ("*", period_type, geography_type, "none;sex;age_band;ethnic_group", "all")
        for period_type in ("month", "rolling_12m", "release_cohort")
        for geography_type in ("england", "region", "local_authority", "prison")
    ]
    return pl.DataFrame(
        rows,
        schema=["indicator_id", "period_type", "geography_type", "breakdowns", "periods"],
        orient="row",
    )


def _rolling_label(month: str) -> str:
    """The rolling 12-month period label ending in ``month`` (``YYYY-MM/YYYY-MM``)."""
    year, mon = (int(x) for x in month.split("-"))
    start = year * 12 + mon - 1 - 11
    return f"{start // 12}-{start % 12 + 1:02d}/{month}"


def sample_geography() -> pl.DataFrame:
    """``dim_geography`` for the sample areas."""
    rows = [("england", "E92000001", "England", None, None, None)]
    for region, rname in REGIONS.items():
        rows.append(("region", region, rname, "england", "E92000001", "England"))
        for code, name in PRISONS[region].items():
            rows.append(("prison", code, f"HMP {name}", "region", region, rname))
        for code, name in LAS[region].items():
            rows.append(("local_authority", code, name, "region", region, rname))
    return pl.DataFrame(
        rows,
        schema=[
            "geography_type",
            "geography_code",
            "geography_name",
            "parent_type",
            "parent_code",
            "parent_name",
        ],
        orient="row",
    )


def _people(rng: np.random.Generator, n: int, months: list[str]) -> pl.DataFrame:
    regions = list(REGIONS)
    region = rng.choice(regions, n, p=[0.4, 0.6])
    prison = [rng.choice(list(PRISONS[r])) for r in region]
    la = [rng.choice(list(LAS[r])) for r in region]
    return pl.DataFrame(
        {
            "month": rng.choice(months, n),
            "region": region,
            "prison": prison,
            "la": la,
            "sex": rng.choice(SEX, n, p=[0.8, 0.18, 0.02]),
            "age_band": rng.choice(AGE, n),
            "ethnic_group": rng.choice(ETHNIC, n, p=[0.7, 0.1, 0.08, 0.05, 0.04, 0.03]),
            "flag": rng.random(n) < 0.45,
            "death": rng.random(n) < 0.02,
            "days": rng.integers(5, 365, n),
            "expected": rng.random(n) * 0.6,
        }
    )


def _aggregate(people: pl.DataFrame, geo_col: str, gtype: str) -> pl.DataFrame:
    names = dict(REGIONS)
    names |= {c: f"HMP {n}" for p in PRISONS.values() for c, n in p.items()}
    names |= {c: n for p in LAS.values() for c, n in p.items()}
    names["E92000001"] = "England"
    frames = []
    breakdowns = [("none", None), ("sex", "sex"), ("age_band", "age_band")]
    for breakdown, col in [*breakdowns, ("ethnic_group", "ethnic_group")]:
        keys = ["month", geo_col] + ([col] if col else [])
        agg = people.group_by(keys).agg(
            pl.len().alias("n"),
            pl.col("flag").sum().alias("k"),
            pl.col("death").sum().alias("d"),
            pl.col("days").filter(pl.col("flag")).median().alias("med"),
            pl.col("flag").sum().alias("obs"),
            pl.col("expected").sum().alias("exp"),
        )
        agg = agg.with_columns(
            pl.lit(breakdown).alias("breakdown"),
            (pl.col(col) if col else pl.lit("All")).alias("breakdown_value"),
            pl.lit(gtype).alias("geography_type"),
            pl.col(geo_col).alias("geography_code"),
            pl.col(geo_col).replace_strict(names).alias("geography_name"),
        )
        frames.append(
            agg.select(
                "month",
                "geography_type",
                "geography_code",
                "geography_name",
                "breakdown",
                "breakdown_value",
                "n",
                "k",
                "d",
                "med",
                "obs",
                "exp",
            )
        )
    return pl.concat(frames, how="diagonal")


def _wilson(k: float, n: float) -> tuple[float | None, float | None]:
    if not n:
        return None, None
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # Clamp: rounding must never put the estimate outside its own interval.
    return min(centre - half, p), max(centre + half, p)


def sample_indicators(
    seed: int = 1, people: int = 1500, months: int = 6, period_type: str = "month"
) -> pl.DataFrame:
    """A seeded ``fct_indicators`` for months ``2024-01`` onwards (last month not yet mature).

    ``period_type="rolling_12m"`` labels each month's figures as the rolling 12 months ending
    in it (the same numbers; only the labels and period type change).
    """
    rng = np.random.default_rng(seed)
    month_list = [f"2024-{m:02d}" for m in range(1, months + 1)]
    frame = _people(rng, people, month_list).with_columns(pl.lit("E92000001").alias("england"))
    agg = pl.concat(
        [
            _aggregate(frame, "england", "england"),
            _aggregate(frame, "region", "region"),
            _aggregate(frame, "prison", "prison"),
            _aggregate(frame, "la", "local_authority"),
        ],
        how="diagonal",
    )
    rows = []
    maturity = month_list[-2]
    for r in agg.iter_rows(named=True):
        base = {
            "period": r["month"],
            "period_type": "month",
            "geography_type": r["geography_type"],
            "geography_code": r["geography_code"],
            "geography_name": r["geography_name"],
            "breakdown": r["breakdown"],
            "breakdown_value": r["breakdown_value"],
            "maturity_period": maturity,
            "status": "published" if r["month"] <= maturity else "not_yet_mature",
        }
        n, k = float(r["n"]), float(r["k"])
        lo, hi = _wilson(k, n)
        rows.append(
            base
            | dict(
                indicator_id="T01", numerator=k, denominator=n, value=k / n, ci_low=lo, ci_high=hi
            )
        )
        d = float(r["d"])
        rows.append(
            base
            | dict(
                indicator_id="T02",
                numerator=d,
                denominator=n,
                value=1000 * d / n,
                ci_low=None,
                ci_high=None,
            )
        )
        rows.append(
            base
            | dict(
                indicator_id="T03",
                numerator=None,
                denominator=k,
                value=None if r["med"] is None else float(r["med"]),
                ci_low=None,
                ci_high=None,
            )
        )
        exp = round(float(r["exp"]), 6)
        rows.append(
            base
            | dict(
                indicator_id="T04",
                numerator=k,
                denominator=exp,
                value=k / exp if exp else None,
                ci_low=None,
                ci_high=None,
            )
        )
    columns = INDICATOR_COLUMNS
    schema = {c: pl.Utf8 for c in columns} | {
        c: pl.Float64 for c in ("numerator", "denominator", "value", "ci_low", "ci_high")
    }
    frame = pl.DataFrame(rows, schema=schema).select(columns)
    if period_type == "rolling_12m":
        labels = {m: _rolling_label(m) for m in month_list}
        frame = frame.with_columns(
            pl.col("period").replace_strict(labels),
            pl.col("maturity_period").replace_strict(labels),
            pl.lit(period_type).alias("period_type"),
        )
    return frame.sort(columns[:8])


def write_sample_warehouse(path: str, seed: int = 1, **kwargs: int) -> None:
    """Write the sample as ``main_marts.fct_indicators`` and ``dim_geography`` in a DuckDB file."""
    indicators = sample_indicators(seed, **kwargs)
    geography = sample_geography()
    with duckdb.connect(path) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS main_marts")
        con.register("ind", indicators.to_arrow())
        con.register("geo", geography.to_arrow())
        con.execute("CREATE OR REPLACE TABLE main_marts.fct_indicators AS SELECT * FROM ind")
        con.execute("CREATE OR REPLACE TABLE main_marts.dim_geography AS SELECT * FROM geo")
