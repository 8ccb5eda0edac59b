"""The publication scope: rule resolution, period rules and the declared seed."""

from __future__ import annotations

import fnmatch

import polars as pl
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.publish.scope import in_scope, load_scope, resolve_scope, validate_scope
from tests.support.sample_indicators import sample_indicators

COLUMNS = ["indicator_id", "period_type", "geography_type", "breakdowns", "periods"]


def _rules(*rows: tuple[str, ...]) -> pl.DataFrame:
    return validate_scope(pl.DataFrame(list(rows), schema=COLUMNS, orient="row"))


def test_the_most_specific_rule_wins():
    rules = _rules(
        ("*", "month", "england", "none;sex", "all"),
        ("so02_*", "month", "england", "none", "all"),
        ("so02_rmdt_refusal_rate", "month", "england", "", "all"),
        ("*", "month", "region", "none", "quarterly"),
    )
    slices = resolve_scope(rules, ["so01_a", "so02_b", "so02_rmdt_refusal_rate"])
    got = {
        (r["indicator_id"], r["geography_type"]): (r["breakdown"], r["periods"])
        for r in slices.filter(pl.col("breakdown") != "sex").iter_rows(named=True)
    }
    assert got == {
        ("so01_a", "england"): ("none", "all"),
        ("so01_a", "region"): ("none", "quarterly"),
        ("so02_b", "england"): ("none", "all"),
        ("so02_b", "region"): ("none", "quarterly"),
        ("so02_rmdt_refusal_rate", "region"): ("none", "quarterly"),
    }
    assert slices.filter(pl.col("breakdown") == "sex")["indicator_id"].to_list() == ["so01_a"]


def test_quarterly_keeps_quarter_ends_and_the_latest_mature_period_and_england_lists_the_rest():
    rows = sample_indicators(1, months=6).filter(pl.col("breakdown") == "none")
    rules = _rules(
        ("*", "month", "england", "none", "all"),
        ("*", "month", "region", "none", "quarterly"),
    )
    out = in_scope(rows, rules)
    assert set(out["geography_type"]) == {"england", "region"}
    periods = {
        g: sorted(set(out.filter(pl.col("geography_type") == g)["period"]))
        for g in ("england", "region")
    }
    # 2024-06 is not yet mature: listed for England only; 2024-05 is the latest mature period
    assert periods["england"] == [f"2024-0{m}" for m in range(1, 7)]
    assert periods["region"] == ["2024-03", "2024-05"]


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="periods rule"):
        _rules(("*", "month", "england", "none", "weekly"))
    with pytest.raises(ValueError, match="repeat"):
        _rules(("*", "month", "england", "none", "all"), ("*", "month", "england", "sex", "all"))
    with pytest.raises(ValueError, match="lacks columns"):
        validate_scope(pl.DataFrame({"indicator_id": ["*"]}))


def test_the_declared_scope_publishes_every_headline_nationally():
    """Every catalogue indicator publishes England's headline (``none``) for every period type
    it is computed for, and every slice the seed names is one the warehouse computes."""
    catalogue = load_catalogue()
    slices = resolve_scope(load_scope(), catalogue["indicator_id"].to_list())
    for entry in catalogue.iter_rows(named=True):
        mine = slices.filter(pl.col("indicator_id") == entry["indicator_id"])
        for period_type in entry["period_types"].split(";"):
            headline = mine.filter(
                (pl.col("period_type") == period_type)
                & (pl.col("geography_type") == "england")
                & (pl.col("breakdown") == "none")
            )
            wanted = (entry["indicator_id"], period_type)
            assert headline.height == 1 or period_type == "month", wanted
        computed = mine.filter(
            pl.col("period_type").is_in(entry["period_types"].split(";"))
            & pl.col("geography_type").is_in(entry["geography_types"].split(";"))
            & pl.col("breakdown").is_in(entry["breakdowns"].split(";"))
        )
        assert computed.height > 0
    ids = catalogue["indicator_id"].to_list()
    unmatched = [p for p in load_scope()["indicator_id"] if not fnmatch.filter(ids, p)]
    assert unmatched == []
