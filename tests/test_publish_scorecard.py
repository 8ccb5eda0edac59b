"""The weighted scorecard (docs/scorecard.md): weights traced to Table 1, commissioner weights
files, Poisson control limits, and the scorecard of a release built from a real warehouse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from pipelines.publish.scorecard import (
    WEIGHT_COLUMNS,
    overdispersed_limit,
    overdispersion,
    poisson_limit,
)
from pipelines.publish.scorecard_definition import (
    SCORECARD_PATH,
    WeightsFileError,
    load_definition,
    read_weights,
)
from pipelines.publish.scorecard_release import SCORECARD_CSV, SCORECARD_INDICATORS_CSV
from tests.support.outcomes_cli import outcomes, outcomes_env
from tests.support.warehouse_release import release_from_warehouse
from tests.test_publish_support import tree_bytes

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def test_default_weights_are_the_mean_table_1_value_of_the_evidence_cited() -> None:
    """Each sub-outcome's default weight is the mean Table 1 total value of the interventions its
    indicators cite (1 where it cites none), and docs/scorecard.md states it."""
    values = dict(
        pl.read_csv(SEEDS / "evidence_matrix.csv", infer_schema=False)
        .filter(pl.col("intervention_code").is_not_null())
        .select("intervention_code", pl.col("total_value").cast(pl.Int64))
        .iter_rows()
    )
    catalogue = pl.read_csv(SEEDS / "indicator_catalogue.csv", infer_schema=False)
    codes = dict(catalogue.select("indicator_id", "evidence_codes").iter_rows())
    definition = load_definition()
    docs = (ROOT / "docs" / "scorecard.md").read_text()
    for row in definition.iter_rows(named=True):
        cited = [c for c in (codes[row["indicator_id"]] or "").split(";") if c]
        expected = np.mean([values[c] for c in cited]) if cited else 1.0
        assert row["weight"] == pytest.approx(expected, abs=0.005), row
        assert f"| {row['sub_outcome_id']} |" in docs
        assert f"{row['weight']:g}" in docs


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("sub_outcome_id,wieght\n1,2\n", 1, "weight", "missing column"),
        ("sub_outcome_id,weight\n1,2\n2,heavy\n", 3, "weight", "not a number"),
        ("sub_outcome_id,weight\n1,-1\n", 2, "weight", ">= 0"),
        ("sub_outcome_id,weight\n99,1\n", 2, "sub_outcome_id", "not a scored sub-outcome"),
        ("sub_outcome_id,weight\none,1\n", 2, "sub_outcome_id", "not a whole number"),
        ("sub_outcome_id,weight\n1,1\n1,2\n", 3, "weight", "already has weight 1 on line 2"),
        ("sub_outcome_id,weight\n1,1\n", 3, "sub_outcome_id", "no row for sub-outcome(s) 2"),
    ],
)
def test_a_bad_weights_file_is_refused_naming_file_line_and_field(
    tmp_path, text, line, field, words
) -> None:
    path = tmp_path / "weights.csv"
    path.write_text(text)
    with pytest.raises(WeightsFileError) as error:
        read_weights(path, load_definition())
    message = str(error.value)
    assert str(path) in message
    assert f"line {line}, field {field!r}" in message
    assert words in message


def test_the_seed_is_a_valid_weights_file_and_all_zero_is_refused(tmp_path) -> None:
    definition = load_definition()
    weights = read_weights(SCORECARD_PATH, definition)
    assert weights.by_sub_outcome == dict(definition.select("sub_outcome_id", "weight").iter_rows())
    zero = tmp_path / "zero.csv"
    zero.write_text("sub_outcome_id,weight\n" + "".join(f"{s},0\n" for s in weights.by_sub_outcome))
    with pytest.raises(WeightsFileError, match="every weight is 0"):
        read_weights(zero, definition)


def test_poisson_limits_hold_their_nominal_coverage() -> None:
    """Counts drawn from Poisson(expected) fall outside the 95% limits about 5% of the time and
    outside the 99.8% limits about 0.2%, at small and large expected counts."""
    rng = np.random.default_rng(0)
    for expected in (8.0, 40.0, 400.0):
        ratios = rng.poisson(expected, 200_000) / expected
        outside_95 = np.mean(
            (ratios < poisson_limit(expected, 0.025)) | (ratios > poisson_limit(expected, 0.975))
        )
        outside_998 = np.mean(
            (ratios < poisson_limit(expected, 0.001)) | (ratios > poisson_limit(expected, 0.999))
        )
        assert 0.03 < outside_95 <= 0.06, (expected, outside_95)
        assert outside_998 <= 0.004, (expected, outside_998)
    narrow = poisson_limit(np.array([10.0, 100.0, 1000.0]), 0.975)
    assert list(narrow) == sorted(narrow, reverse=True) and narrow[-1] < 1.07


def test_overdispersed_limits_hold_their_nominal_coverage_where_areas_really_differ() -> None:
    """Areas whose true ratios vary (log-normal, tau^2 = 0.02) around England: the Poisson
    limits flag far more than 5% of them, the limits widened by the estimated tau^2 about 5%
    (95%) and 0.2% (99.8%); with no real differences tau^2 is estimated near 0 and the widened
    limits are the Poisson ones."""
    rng = np.random.default_rng(1)
    expected = rng.uniform(50, 800, 4000)
    observed = rng.poisson(expected * np.exp(rng.normal(-0.01, np.sqrt(0.02), expected.size)))
    ratio = observed / expected
    tau2 = overdispersion(observed, expected)
    assert 0.015 < tau2 < 0.025, tau2

    def outside(limit, p, *extra):
        return np.mean(
            (ratio < limit(expected, p, *extra)) | (ratio > limit(expected, 1 - p, *extra))
        )

    assert outside(poisson_limit, 0.025) > 0.3
    assert 0.035 < outside(overdispersed_limit, 0.025, tau2) < 0.065
    assert outside(overdispersed_limit, 0.001, tau2) < 0.006
    chance = rng.poisson(expected)
    assert overdispersion(chance, expected) < 0.001
    assert np.array_equal(overdispersed_limit(expected, 0.025, 0.0), poisson_limit(expected, 0.025))
    small = np.array([1.0, 3.0, 8.0, 20.0])  # never narrower than Poisson, even at small counts
    for p in (0.001, 0.025):
        assert (overdispersed_limit(small, p, 0.005) <= poisson_limit(small, p)).all()
        assert (overdispersed_limit(small, 1 - p, 0.005) >= poisson_limit(small, 1 - p)).all()


@pytest.fixture(scope="module")
def releases(ci_warehouse: Path, tmp_path_factory) -> tuple[Path, Path]:
    """The ci warehouse released with the default weights and with a commissioner's file."""
    default = release_from_warehouse(ci_warehouse, tmp_path_factory.mktemp("default"))
    weights = tmp_path_factory.mktemp("weights") / "commissioner.csv"
    definition = load_definition()
    rows = [f"{s},{1.0 if s != 5 else 20.0}" for s in sorted(set(definition["sub_outcome_id"]))]
    weights.write_text("sub_outcome_id,weight,note\n" + "\n".join(f"{r},x" for r in rows) + "\n")
    custom = release_from_warehouse(ci_warehouse, tmp_path_factory.mktemp("custom"), str(weights))
    return default, custom


def test_changing_the_weights_changes_the_scores_and_nothing_else(releases) -> None:
    default, custom = (tree_bytes(r) for r in releases)
    assert default.keys() == custom.keys()
    changed = {k for k in default if default[k] != custom[k]}
    allowed = {SCORECARD_CSV, SCORECARD_INDICATORS_CSV, "indicators.xlsx", "metadata.json"}
    pages = {k for k in changed if k.startswith("areas/") and k.endswith(".html")}
    assert changed - pages <= allowed
    assert pages, "the profile pages show the weighted score"
    for name in (SCORECARD_CSV, SCORECARD_INDICATORS_CSV):
        a, b = (pl.read_csv(r / name, infer_schema=False) for r in releases)
        same = [c for c in a.columns if c not in WEIGHT_COLUMNS]
        assert a.select(same).equals(b.select(same)), name
    a, b = (pl.read_csv(r / SCORECARD_CSV) for r in releases)
    assert not a["score"].equals(b["score"]), "the scores move with the weights"
    for page in pages:  # on the pages, only the scorecard's weight and score text changes
        strip = re.compile(
            r"weight [0-9.,-]+|Weighted score.*?</p>|<p id='scorecard-score'>.*?</p>"
        )
        x, y = (strip.sub("", (r / page).read_text()) for r in releases)
        assert x == y, page
    meta = json.loads((releases[1] / "metadata.json").read_text())["scorecard"]
    assert meta["weights"]["source"] == "commissioner.csv"
    assert meta["weights"]["by_sub_outcome"]["5"] == 20.0


def test_every_area_profile_has_a_scorecard_with_funnels(releases) -> None:
    folder = releases[0]
    areas = pl.read_csv(folder / SCORECARD_CSV, infer_schema=False)
    rows = pl.read_csv(folder / SCORECARD_INDICATORS_CSV, infer_schema=False)
    pages = sorted((folder / "areas").glob("*.html"))
    profiles = [p for p in pages if p.name != "index.html"]
    assert len(profiles) == areas.height > 0
    scored_codes = set(rows.filter(pl.col("status") == "scored")["geography_code"])
    for page in profiles:
        text = page.read_text()
        assert 'id="scorecard"' in text or "id='scorecard'" in text, page.name
        code = re.search(r"(?:Local authority|Prison) (\S+?)[,.]", text).group(1)
        if code in scored_codes:
            assert 'class="selected"' in text and 'class="funnel"' in text, page.name
    funnels = sorted((folder / "charts" / "funnels").glob("*.svg"))
    pairs = rows.filter(pl.col("status") == "scored").select("indicator_id", "geography_type")
    assert {f"{i}_{g}.svg" for i, g in pairs.unique().iter_rows()} == {f.name for f in funnels}
    book = openpyxl.load_workbook(folder / "indicators.xlsx", read_only=True)
    assert {"Scorecard", "Scorecard_indicators"} <= set(book.sheetnames)


def test_the_scorecard_publishes_nothing_withheld(releases) -> None:
    """Observed counts are the release's own published numerators; an indicator withheld for an
    area ([c], [u]) has no observed, expected or ratio and does not enter its score."""
    folder = releases[0]
    rows = pl.read_csv(folder / SCORECARD_INDICATORS_CSV)
    tidy = pl.read_csv(folder / "indicators.csv", infer_schema=False).filter(
        (pl.col("breakdown") == "none")
        & pl.col("geography_type").is_in(["prison", "local_authority"])
    )
    joined = rows.join(
        tidy.select("indicator_id", "period", "geography_code", "symbol", "numerator"),
        on=["indicator_id", "period", "geography_code"],
        how="left",
    )
    scored = joined.filter(pl.col("status") == "scored")
    assert scored.height > 0
    assert (scored["symbol"].fill_null("") == "").all()
    assert (scored["observed"].cast(pl.Float64) == scored["numerator"].cast(pl.Float64)).all()
    withheld = joined.filter(pl.col("symbol").is_in(["[c]", "[u]"]))
    assert (withheld["status"] == "suppressed").all()
    assert (
        withheld.select(pl.col("observed", "expected", "ratio").null_count()).row(0)
        == (withheld.height,) * 3
    )
    areas = pl.read_csv(folder / SCORECARD_CSV, infer_schema=False)
    for r in areas.iter_rows(named=True):
        listed = set(filter(None, (r["indicators_suppressed"] or "").split(";")))
        mine = set(
            rows.filter(
                (pl.col("geography_code") == r["geography_code"])
                & (pl.col("status") == "suppressed")
            )["indicator_id"]
        )
        assert listed == mine


def test_outcomes_run_refuses_a_bad_weights_file_before_it_starts(ci_synth, tmp_path) -> None:
    """``outcomes run --scorecard-weights`` checks the file first: exit 2 naming file, line and
    field, and nothing is written."""
    bad = tmp_path / "weights.csv"
    bad.write_text("sub_outcome_id,weight\n1,3\n2,lots\n")
    data = tmp_path / "data"
    result = outcomes(
        outcomes_env(data, ci_synth / "landing"), "run", "--scorecard-weights", str(bad)
    )
    assert result.returncode == 2, result.stdout
    flat = " ".join(result.stdout.split())
    assert f"{bad}: line 3, field 'weight': 'lots' is not a number" in flat
    assert not data.exists()
