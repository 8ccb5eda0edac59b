"""``fct_equality_flags`` on the demo build: every assessed group has a row, its flag follows the
rule, and England's ratios agree with the simulator's truth (which has no inequality of access:
treatment in custody depends on need and the prison only, so nothing may be flagged)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.transform.project import PROJECT_DIR
from tests.support.indicator_truth import access_ratio_truth

pytestmark = pytest.mark.slow
FLAGS = "main_marts.fct_equality_flags"
KEY = "period, geography_type, geography_code, breakdown, breakdown_value"


@pytest.fixture(scope="module")
def con(demo_warehouse: Path):
    with duckdb.connect(str(demo_warehouse / "warehouse.duckdb"), read_only=True) as con:
        yield con


def test_every_published_group_ratio_has_a_row(con) -> None:
    (rows,) = con.execute(f"select count(*) from {FLAGS}").fetchone()
    (missing,) = con.execute(
        f"""select count(*) from (
            select {KEY} from main_marts.fct_indicators
            where indicator_id = 'so03_treatment_access_ratio' and breakdown <> 'none'
                and status = 'published'
            except select {KEY} from {FLAGS})"""
    ).fetchone()
    assert rows > 10_000
    assert missing == 0
    breakdowns = {b for (b,) in con.execute(f"select distinct breakdown from {FLAGS}").fetchall()}
    assert breakdowns == {"sex", "ethnic_group", "age_band"}


def test_flags_follow_the_band_and_the_interval(con) -> None:
    """Recomputed in Python from each row's ratio and interval and the project's band."""
    band = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    low, high = band["equality_band_low"], band["equality_band_high"]
    rows = con.execute(f"select ratio, ci_low, ci_high, flagged, direction from {FLAGS}").fetchall()
    wrong = []
    for ratio, ci_low, ci_high, flagged, direction in rows:
        expected = (
            "below"
            if ratio < low and ci_high < 1
            else "above"
            if ratio > high and ci_low > 1
            else None
        )
        if direction != expected or flagged != (expected is not None):
            wrong.append((ratio, ci_low, ci_high, flagged, direction))
    assert wrong == []
    # groups outside the band exist (small prison groups) but none is significant: no flag
    (outside,) = con.execute(
        f"select count(*) from {FLAGS} where ratio < {low} or ratio > {high}"
    ).fetchone()
    assert outside > 100
    assert not any(r[3] for r in rows)


def test_england_ratios_agree_with_truth(con, demo_synth: Path) -> None:
    """The latest rolling year's England ratio per group against the truth's: triages come from
    DIR on its own keys, so sex and ethnic group counts are exact; age bands use birth year and
    month only (a few people at a birthday move band)."""
    (period,) = con.execute(
        f"select max(period) from {FLAGS} where period_type = 'rolling_12m'"
    ).fetchone()
    truth = access_ratio_truth(demo_synth / "truth", period)
    rows = con.execute(
        f"""select breakdown, breakdown_value, observed, expected, ratio from {FLAGS}
        where geography_type = 'england' and period = ?""",
        [period],
    ).fetchall()
    assert {(b, v) for b, v, *_ in rows} == set(truth)
    for breakdown, value, observed, expected, ratio in rows:
        true_observed, true_expected, true_ratio = truth[(breakdown, value)]
        if breakdown == "age_band":
            assert abs(ratio - true_ratio) < 0.02, (value, ratio, true_ratio)
        else:
            assert observed == true_observed, value
            assert expected == pytest.approx(true_expected, rel=1e-9), value
        assert 0.8 < true_ratio < 1.25, "the simulated population has no inequality of access"
