"""The weighted outcome scorecard per prison and local authority (docs/scorecard.md).

For each scored indicator (``seeds/scorecard.csv``) and area, the observed count is compared with
the count expected from England's rates for the area's case mix (indirect standardisation by sex
and age band; for re-offending, the OGRS3 predicted probabilities calibrated to England). The
ratio observed/expected is placed in a funnel with exact Poisson control limits (95% and 99.8%).
Where areas differ more than chance allows (overdispersion, tau^2 > 0) the limits are also given
widened for that spread, and the assessment (better/worse than expected) uses the widened ones.
The weighted score is the weighted mean of the indicators' log ratios, signed so that positive
is better, with an interval from simulation of each indicator's sampling distribution.

Only cells published whole in the release are scored: an area's indicator whose headline is
withheld ([c], [u]) is *suppressed* and one with no row is *missing*; both drop out of the score,
the remaining weights are rescaled, and an area is scored only where at least half its area
type's weight is covered. Draws are seeded per area and indicator, so the same inputs give the
same bytes and changing the weights changes only the weighted score columns.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from pipelines.publish.scorecard_definition import Weights

AREA_TYPES = ("prison", "local_authority")
#: Two-sided control limits: name -> lower-tail probability.
LIMITS = {"95": 0.025, "99_8": 0.001}
DRAWS = 2000
#: Least share of an area type's total weight that must be scored for an area to get a score.
MIN_WEIGHT_COVERED = 0.5
STRATA = ["sex", "age_band"]

INDICATOR_COLUMNS = [
    "geography_type",
    "geography_code",
    "geography_name",
    "sub_outcome_id",
    "indicator_id",
    "direction",
    "expected_method",
    "period",
    "status",
    "observed",
    "expected",
    "ratio",
    "limit_95_low",
    "limit_95_high",
    "limit_99_8_low",
    "limit_99_8_high",
    "funnel_position",
    "tau2",
    "od_limit_95_low",
    "od_limit_95_high",
    "od_limit_99_8_low",
    "od_limit_99_8_high",
    "funnel_position_overdispersed",
    "assessment",
    "weight",
]
AREA_COLUMNS = [
    "geography_type",
    "geography_code",
    "geography_name",
    "indicators_scored",
    "indicators_suppressed",
    "indicators_missing",
    "not_scored",
    "weight_covered",
    "score",
    "score_low",
    "score_high",
    "compared_to_expected",
    "rank_low",
    "rank_high",
    "areas_ranked",
    "significantly_better_than",
    "significantly_worse_than",
]
#: Columns that depend on the weights (everything else must not change with them).
WEIGHT_COLUMNS = {"weight", "weight_covered", "score", "score_low", "score_high"}
WEIGHT_COLUMNS |= {"compared_to_expected", "rank_low", "rank_high", "not_scored"}
WEIGHT_COLUMNS |= {"significantly_better_than", "significantly_worse_than", "areas_ranked"}


@dataclass
class Scorecard:
    """The scorecard of a release: one row per area and indicator, one row per area."""

    indicators: pl.DataFrame
    areas: pl.DataFrame
    weights: Weights

    @property
    def empty(self) -> bool:
        return self.indicators.is_empty()


def poisson_limit(expected: np.ndarray | float, p: float) -> np.ndarray:
    """The ratio observed/expected at tail probability ``p`` when observed ~ Poisson(expected),
    interpolated between integers (Spiegelhalter 2005, funnel plots)."""
    e = np.asarray(expected, dtype=float)
    r = stats.poisson.ppf(p, e)
    below = stats.poisson.cdf(r - 1, e)
    at = stats.poisson.cdf(r, e)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(at > below, (at - p) / (at - below), 0.0)
        return np.where(e > 0, np.maximum(r - alpha, 0.0) / e, np.nan)


def overdispersion(observed: np.ndarray, expected: np.ndarray, winsor: float = 0.1) -> float:
    """Between-area variance tau^2 of log(observed/expected) beyond Poisson noise (additive
    random effects, DerSimonian-Laird on 10%-Winsorised z-scores; Spiegelhalter 2005); 0 when
    the spread is what chance alone gives. The Winsorised sum of squares is divided by the
    Winsorised variance of a standard normal, so a few outlying areas do not inflate tau^2 and
    the estimate is not biased low when there are none."""
    o, e = np.asarray(observed, dtype=float), np.asarray(expected, dtype=float)
    if len(e) < 3:
        return 0.0
    z = np.log(np.maximum(o, 0.5) / e) * np.sqrt(e)  # var(log ratio) ~ 1/E
    low, high = np.quantile(z, [winsor, 1 - winsor])
    z = np.clip(z, low, high)
    q = stats.norm.ppf(1 - winsor)
    winsorised_variance = 1 - 2 * winsor - 2 * q * stats.norm.pdf(q) + 2 * winsor * q**2
    squares = float((z**2).sum()) / winsorised_variance
    tau2 = (squares - (len(z) - 1)) / (e.sum() - (e**2).sum() / e.sum())
    return max(tau2, 0.0)


def overdispersed_limit(
    expected: np.ndarray | float, p: float, tau2: np.ndarray | float
) -> np.ndarray:
    """The ratio limit at tail probability ``p`` allowing for between-area variance ``tau2`` of
    the log ratio (additive random effects, Spiegelhalter 2005): exp(z_p sqrt(1/E + tau^2)),
    never inside the exact Poisson limit (at small counts the log-normal approximation can be);
    the Poisson limit itself where ``tau2`` is 0."""
    e = np.asarray(expected, dtype=float)
    t = np.broadcast_to(np.asarray(tau2, dtype=float), e.shape)
    poisson = poisson_limit(e, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        widened = np.where(e > 0, np.exp(stats.norm.ppf(p) * np.sqrt(1 / e + t)), np.nan)
    bound = np.fmin(widened, poisson) if p < 0.5 else np.fmax(widened, poisson)
    return np.where(t > 0, bound, poisson)


def overdispersion_summary(indicators: pl.DataFrame) -> list[dict]:
    """Per scored indicator and area type: areas, share outside the 95% and 99.8% limits (5%
    and 0.2% by chance alone) and the overdispersion tau^2 (docs/scorecard.md)."""
    scored = indicators.filter(pl.col("status") == "scored")
    out = []
    for (indicator_id, gtype), rows in sorted(
        scored.partition_by("indicator_id", "geography_type", as_dict=True).items()
    ):
        position = rows["funnel_position"]
        out.append(
            {
                "indicator_id": indicator_id,
                "geography_type": gtype,
                "areas": rows.height,
                "share_outside_95": round(float((position != "within limits").mean()), 4),
                "share_outside_99_8": round(float(position.str.contains("99.8").mean()), 4),
                "tau2": round(float(rows["tau2"][0]), 5),
                "share_outside_95_overdispersed": round(
                    float((rows["funnel_position_overdispersed"] != "within limits").mean()), 4
                ),
            }
        )
    return out


def latest_periods(published: pl.DataFrame, definition: pl.DataFrame) -> pl.DataFrame:
    """Per scored indicator and area type, the latest mature rolling 12-month period with
    published headline rows."""
    return (
        published.filter(
            pl.col("indicator_id").is_in(definition["indicator_id"].to_list())
            & pl.col("geography_type").is_in(AREA_TYPES)
            & (pl.col("period_type") == "rolling_12m")
            & (pl.col("breakdown") == "none")
            & (pl.col("status") != "not_yet_mature")
        )
        .group_by("indicator_id", "geography_type")
        .agg(pl.col("period").max())
    )


def observed_expected(
    published: pl.DataFrame, strata: pl.DataFrame, definition: pl.DataFrame
) -> pl.DataFrame:
    """Observed and expected counts per area and scored indicator, with the area's publication
    status (``scored``, ``suppressed`` or ``missing``)."""
    periods = latest_periods(published, definition)
    rows = published.join(periods, on=["indicator_id", "geography_type", "period"]).filter(
        pl.col("breakdown") == "none"
    )
    strata = strata.join(
        periods.select("indicator_id", "period").unique(), on=["indicator_id", "period"]
    )
    england = strata.filter(pl.col("geography_type") == "england")
    rates = england.group_by("indicator_id", "period", *STRATA).agg(
        (pl.col("numerator").sum() / pl.col("denominator").sum()).alias("_rate")
    )
    calibration = england.group_by("indicator_id", "period").agg(
        (pl.col("numerator").sum() / pl.col("denominator").sum()).alias("_calibration")
    )
    methods = definition.select("indicator_id", "expected_method")
    areas = (
        strata.filter(pl.col("geography_type").is_in(AREA_TYPES))
        .join(methods, on="indicator_id")
        .join(rates, on=["indicator_id", "period", *STRATA], how="left")
        .join(calibration, on=["indicator_id", "period"], how="left")
        .with_columns(
            pl.when(pl.col("expected_method") == "ogrs3")
            .then(pl.col("denominator") * pl.col("_calibration"))
            .otherwise(pl.col("denominator") * pl.col("_rate").fill_null(0.0))
            .alias("_expected")
        )
        .group_by("indicator_id", "period", "geography_type", "geography_code")
        .agg(
            pl.col("numerator").sum().alias("observed"),
            pl.col("_expected").sum().alias("expected"),
        )
    )
    universe = (
        rows.select("indicator_id", "geography_type", "period")
        .unique()
        .join(
            published.filter(pl.col("geography_type").is_in(AREA_TYPES))
            .select("geography_type", "geography_code", "geography_name")
            .unique(),
            on="geography_type",
        )
    )
    out = (
        universe.join(
            rows.select("indicator_id", "geography_type", "geography_code", "symbol"),
            on=["indicator_id", "geography_type", "geography_code"],
            how="left",
        )
        .join(areas, on=["indicator_id", "period", "geography_type", "geography_code"], how="left")
        .join(definition.drop("weight", "weight_basis"), on="indicator_id")
    )
    status = (
        pl.when(pl.col("symbol").is_null() | pl.col("expected").is_null())
        .then(pl.lit("missing"))
        .when(pl.col("symbol") != "")
        .then(pl.lit("suppressed"))
        .when(pl.col("expected") <= 0)
        .then(pl.lit("missing"))
        .otherwise(pl.lit("scored"))
    )
    scored = pl.col("status") == "scored"
    return (
        out.with_columns(status.alias("status"))
        .with_columns(
            pl.when(scored).then(pl.col("observed")).alias("observed"),
            pl.when(scored).then(pl.col("expected")).alias("expected"),
        )
        .drop("symbol")
        .sort("geography_type", "geography_code", "sub_outcome_id", "indicator_id")
    )


def _position(prefix: str) -> pl.Expr:
    """Where the ratio falls against the limit columns ``<prefix>_95_*`` and ``<prefix>_99_8_*``."""
    return (
        pl.when(pl.col("ratio").is_null())
        .then(pl.lit("not assessed"))
        .when(pl.col("ratio") > pl.col(f"{prefix}_99_8_high"))
        .then(pl.lit("above 99.8% limit"))
        .when(pl.col("ratio") > pl.col(f"{prefix}_95_high"))
        .then(pl.lit("above 95% limit"))
        .when(pl.col("ratio") < pl.col(f"{prefix}_99_8_low"))
        .then(pl.lit("below 99.8% limit"))
        .when(pl.col("ratio") < pl.col(f"{prefix}_95_low"))
        .then(pl.lit("below 95% limit"))
        .otherwise(pl.lit("within limits"))
    )


def with_limits(frame: pl.DataFrame) -> pl.DataFrame:
    """Ratio, 95% and 99.8% control limits at each area's expected count (Poisson, and widened
    for the overdispersion tau^2 of the indicator and area type), where the area falls against
    each, and the assessment (better or worse, from the direction of good) against the widened
    limits."""
    groups = ["indicator_id", "geography_type"]
    scored = frame.filter(pl.col("status") == "scored")
    tau2 = pl.DataFrame(
        [
            (*key, overdispersion(rows["observed"].to_numpy(), rows["expected"].to_numpy()))
            for key, rows in scored.partition_by(groups, as_dict=True).items()
        ],
        schema=[*((g, pl.String) for g in groups), ("tau2", pl.Float64)],
        orient="row",
    )
    frame = frame.join(tau2, on=groups, how="left").with_columns(
        (pl.col("observed") / pl.col("expected")).alias("ratio"), pl.col("tau2").fill_null(0.0)
    )
    expected = frame["expected"].fill_null(0.0).to_numpy()
    spread = frame["tau2"].to_numpy()
    limits = {}
    for name, p in LIMITS.items():
        for side, q in (("low", p), ("high", 1 - p)):
            limits[f"limit_{name}_{side}"] = poisson_limit(expected, q)
            limits[f"od_limit_{name}_{side}"] = overdispersed_limit(expected, q, spread)
    frame = frame.with_columns(
        pl.Series(k, v, dtype=pl.Float64).fill_nan(None) for k, v in limits.items()
    )
    frame = frame.with_columns(
        _position("limit").alias("funnel_position"),
        _position("od_limit").alias("funnel_position_overdispersed"),
    ).sort("geography_type", "geography_code", "sub_outcome_id", "indicator_id")
    up = pl.col("funnel_position_overdispersed").str.starts_with("above")
    down = pl.col("funnel_position_overdispersed").str.starts_with("below")
    good_up = pl.col("direction") == "higher"
    assessment = (
        pl.when((up & good_up) | (down & ~good_up))
        .then(pl.lit("better than expected"))
        .when(up | down)
        .then(pl.lit("worse than expected"))
        .when(pl.col("funnel_position_overdispersed") == "within limits")
        .then(pl.lit("as expected"))
        .otherwise(pl.lit("not assessed"))
    )
    return frame.with_columns(assessment.alias("assessment"))


def _draws(code: str, indicator_id: str, observed: float, expected: float) -> np.ndarray:
    """Log ratio draws: the observed count's Jeffreys posterior Gamma(O + 1/2) over expected,
    seeded by area and indicator (independent of the weights and of other rows)."""
    rng = np.random.default_rng(zlib.crc32(f"{code}|{indicator_id}".encode()))
    return np.log(rng.gamma(observed + 0.5, 1.0, DRAWS) / expected)


def indicator_weights(frame: pl.DataFrame, weights: Weights) -> pl.DataFrame:
    """Each indicator's share of its sub-outcome's weight: the weight split equally among the
    sub-outcome's indicators for the area type."""
    n = pl.col("indicator_id").n_unique().over("geography_type", "sub_outcome_id")
    sub_weight = pl.col("sub_outcome_id").replace_strict(
        weights.by_sub_outcome, default=0.0, return_dtype=pl.Float64
    )
    return frame.with_columns((sub_weight / n).alias("weight"))


def area_scores(frame: pl.DataFrame) -> pl.DataFrame:
    """Weighted score per area (percent better (+) or worse (-) than expected), 95% interval,
    rank interval and the areas it is significantly better or worse than."""
    out = []
    for (gtype,), group in frame.partition_by("geography_type", as_dict=True).items():
        total_weight = (
            group.select("sub_outcome_id", "indicator_id", "weight").unique()["weight"].sum()
        )
        areas = group.select("geography_code", "geography_name").unique().sort("geography_code")
        records, samples = [], []
        for code, name in areas.iter_rows():
            rows = group.filter(pl.col("geography_code") == code)
            scored = rows.filter((pl.col("status") == "scored") & (pl.col("weight") > 0))
            covered = scored["weight"].sum() / total_weight if total_weight else 0.0
            record = {
                "geography_type": gtype,
                "geography_code": code,
                "geography_name": name,
                "indicators_scored": (rows["status"] == "scored").sum(),
                "indicators_suppressed": ";".join(
                    rows.filter(pl.col("status") == "suppressed")["indicator_id"].to_list()
                ),
                "indicators_missing": ";".join(
                    rows.filter(pl.col("status") == "missing")["indicator_id"].to_list()
                ),
                "weight_covered": round(covered, 4),
                "not_scored": "",
            }
            sample = None
            if covered >= MIN_WEIGHT_COVERED and not scored.is_empty():
                total = scored["weight"].sum()
                point, sample = 0.0, np.zeros(DRAWS)
                for r in scored.iter_rows(named=True):
                    sign = 1.0 if r["direction"] == "higher" else -1.0
                    share = r["weight"] / total
                    point += share * sign * math.log(max(r["observed"], 0.5) / r["expected"])
                    draws = _draws(code, r["indicator_id"], r["observed"], r["expected"])
                    sample += share * sign * draws
                low, high = np.quantile(sample, [0.025, 0.975])
                record |= {"score": point, "score_low": float(low), "score_high": float(high)}
            else:
                record["not_scored"] = (
                    f"scored indicators cover {covered:.0%} of the weight "
                    f"(at least {MIN_WEIGHT_COVERED:.0%} needed)"
                )
            records.append(record)
            samples.append(sample)
        out.append(_ranked(pl.DataFrame(records, infer_schema_length=None), samples))
    if not out:
        return pl.DataFrame(schema={c: pl.String for c in AREA_COLUMNS})
    return pl.concat(out, how="diagonal_relaxed").select(AREA_COLUMNS)


def _pct(column: str) -> pl.Expr:
    return ((pl.col(column).exp() - 1) * 100).round(1)


def _ranked(frame: pl.DataFrame, samples: list[np.ndarray | None]) -> pl.DataFrame:
    """Rank intervals from the joint draws (1 = best) and pairwise separation counts."""
    for column in ("score", "score_low", "score_high"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Float64).alias(column))
    index = [i for i, s in enumerate(samples) if s is not None]
    n = len(index)
    rank_low, rank_high = [None] * len(samples), [None] * len(samples)
    better = [None] * len(samples)
    worse = [None] * len(samples)
    if n:
        matrix = np.vstack([samples[i] for i in index])
        ranks = (-matrix).argsort(axis=0).argsort(axis=0) + 1
        lows = frame["score_low"].to_numpy()[index]
        highs = frame["score_high"].to_numpy()[index]
        for k, i in enumerate(index):
            lo, hi = np.quantile(ranks[k], [0.025, 0.975])
            rank_low[i], rank_high[i] = math.floor(lo), math.ceil(hi)
            better[i] = int((lows[k] > highs).sum())
            worse[i] = int((highs[k] < lows).sum())
    compared = (
        pl.when(pl.col("score").is_null())
        .then(pl.lit("not scored"))
        .when(pl.col("score_low") > 0)
        .then(pl.lit("better than expected"))
        .when(pl.col("score_high") < 0)
        .then(pl.lit("worse than expected"))
        .otherwise(pl.lit("not distinguishable from expected"))
    )
    return frame.with_columns(
        compared.alias("compared_to_expected"),
        _pct("score").alias("score"),
        _pct("score_low").alias("score_low"),
        _pct("score_high").alias("score_high"),
        pl.Series("rank_low", rank_low, pl.Int64),
        pl.Series("rank_high", rank_high, pl.Int64),
        pl.lit(n, pl.Int64).alias("areas_ranked"),
        pl.Series("significantly_better_than", better, pl.Int64),
        pl.Series("significantly_worse_than", worse, pl.Int64),
    )


def build_scorecard(
    published: pl.DataFrame,
    strata: pl.DataFrame | None,
    definition: pl.DataFrame,
    weights: Weights,
) -> Scorecard:
    """The release's scorecard from its published rows (after disclosure control) and the case-mix
    strata (``main_marts.fct_scorecard_strata``); empty when either lacks the scored indicators."""
    if strata is None or strata.is_empty():
        empty = pl.DataFrame(schema={c: pl.String for c in INDICATOR_COLUMNS})
        return Scorecard(empty, pl.DataFrame(schema={c: pl.String for c in AREA_COLUMNS}), weights)
    frame = with_limits(observed_expected(published, strata, definition))
    frame = indicator_weights(frame, weights)
    areas = area_scores(frame)
    rounded = frame.with_columns(
        pl.col("expected").round(2),
        pl.col("ratio").round(4),
        pl.col("weight").round(4),
        pl.col("tau2").round(5),
        *[pl.col(c).round(4) for c in INDICATOR_COLUMNS if "limit_" in c],
    )
    return Scorecard(rounded.select(INDICATOR_COLUMNS), areas, weights)
