"""Calibration of the ``demo`` preset against the brief's national ranges (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ASSERTED = {
    "proven_reoffending_adults": (30, 45),
    "proven_reoffending_under_12m": (50, 70),
    "continuity_of_care_21d": (30, 55),
    "rmdt_random_positive_traditional": (5, 18),
}


def test_demo_calibration_within_brief_ranges(demo_synth: Path):
    cal = json.loads((demo_synth / "calibration.json").read_text())
    metrics = cal["metrics"]
    for name, (lo, hi) in ASSERTED.items():
        assert lo <= metrics[name]["value"] <= hi, (name, metrics[name])
        assert metrics[name]["denominator"] >= 1000, name
    # regions differ on purpose: London well below the North East and North West
    london = metrics["continuity_of_care_21d_E12000007"]["value"]
    assert london + 15 < metrics["continuity_of_care_21d_E12000001"]["value"]
    assert london + 15 < metrics["continuity_of_care_21d_E12000002"]["value"]
    releases = json.loads((demo_synth / "calibration.json").read_text())["metrics"]
    assert releases["releases_per_year"]["numerator"] >= 8000
    md = (demo_synth / "calibration.md").read_text()
    assert all(name in md for name in ASSERTED)


def test_demo_treatment_engagement_lowers_reoffending(demo_synth: Path):
    import polars as pl

    from pipelines.synthetic.excluded_cases import BREACH_CLASS, QUALIFYING_DISPOSALS

    truth = demo_synth / "truth"
    rel = pl.read_parquet(truth / "releases.parquet").filter(
        pl.col("release_type").is_in(["CONDITIONAL", "END_OF_SENTENCE"])
        & pl.col("in_treatment_at_release")
        & (pl.col("release_date") <= pl.date(2023, 6, 30))
    )
    # proven re-offences only (MoJ: qualifying disposals, breaches not counted)
    off = (
        pl.read_parquet(truth / "offences.parquet")
        .filter(
            pl.col("disposal_type").is_in(QUALIFYING_DISPOSALS)
            & (pl.col("ho_class") != BREACH_CLASS)
        )
        .select("person_id", "offence_date", "disposal_date")
    )
    hit = (
        rel.join(off, on="person_id")
        .filter(
            (pl.col("offence_date") > pl.col("release_date"))
            & (pl.col("offence_date") <= pl.col("release_date") + pl.duration(days=365))
            & (pl.col("disposal_date") <= pl.col("release_date") + pl.duration(days=548))
        )
        .select("release_id")
        .unique()
    )
    rel = rel.with_columns(
        reoffended=pl.col("release_id").is_in(hit["release_id"].implode()),
        engaged=pl.col("days_to_engagement").is_not_null() & (pl.col("days_to_engagement") <= 21),
    )
    rates = dict(rel.group_by("engaged").agg(pl.col("reoffended").mean()).iter_rows())
    assert rates[True] < rates[False]
