"""Truth check of the scorecard's funnel plots (docs/scorecard.md, "Truth check").

Simulates a population in which a share of prisons is given a strong true effect on re-offending
after release (pipelines/synthetic/effects.py), computes each prison's proven re-offending
observed against expected by indirect standardisation from the simulator's ground truth (the
same limits as the release: pipelines/publish/scorecard.py), and reports how many effect
prisons fall beyond the control limits on the better side and how many no-effect prisons fall
outside them (observed against nominal false-alarm rates).

    python -m scripts.scorecard_truth --preset national          # about 1M people
    python -m scripts.scorecard_truth --preset demo --out /tmp/x   # quick

The result is written as JSON beside the simulated data (``<out>/scorecard_truth.json``).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from pipelines.publish.scorecard import LIMITS, overdispersed_limit, overdispersion, poisson_limit
from pipelines.synthetic.effects import PrisonEffects
from pipelines.synthetic.generate import generate
from pipelines.synthetic.ogrs3 import ogrs3
from pipelines.synthetic.presets import resolve

log = logging.getLogger("scorecard_truth")

AGE_BANDS = [(18, 20), (21, 24), (25, 29), (30, 39), (40, 49), (50, 200)]
FOLLOW_UP, WAITING = 365, 183
#: Prior-sanction bands: the criminal-history part of OGRS3, as a stand-in stratum.
HISTORY_BANDS = [0, 3, 10]
#: PNC result codes of custodial sentences (the index offence prefers them, as in the warehouse).
CUSTODIAL = ["1002", "1115"]
MIN_EXPECTED = 5.0


def cohort(truth: Path, end: date) -> pl.DataFrame:
    """Index releases of the 12-month cohort ending 18 months before ``end`` of people with a
    PNC history, with sex, age band, prior-sanction band, OGRS3 p1 and whether the person
    re-offended (proven within follow-up + waiting)."""
    last = end - timedelta(days=FOLLOW_UP + WAITING)
    first = last - timedelta(days=FOLLOW_UP - 1)
    releases = (
        pl.scan_parquet(truth / "releases.parquet")
        .filter(
            pl.col("release_date").is_between(first, last)
            & ~pl.col("release_type").is_in(["TRANSFER", "DEPORTED"])
            & (pl.col("age_at_release") >= 18)
        )
        .sort("release_date", "release_id")
        .unique("person_id", keep="first", maintain_order=True)
        .select("release_id", "person_id", "release_date", "prison_code", "age_at_release")
    )
    people = pl.scan_parquet(truth / "people.parquet").select("person_id", "sex", "dob")
    offences = pl.scan_parquet(truth / "offences.parquet").select(
        "person_id",
        "occasion_id",
        "offence_date",
        "disposal_date",
        "ogrs3_category",
        "seriousness_score",
        pl.col("result_code").is_in(CUSTODIAL).alias("custodial"),
    )
    joined = releases.join(offences, on="person_id", how="left").with_columns(
        (pl.col("disposal_date") <= pl.col("release_date")).fill_null(False).alias("_before")
    )
    reoffended = joined.group_by("release_id").agg(
        (
            (pl.col("offence_date") > pl.col("release_date"))
            & (pl.col("offence_date") <= pl.col("release_date") + timedelta(days=FOLLOW_UP))
            & (
                pl.col("disposal_date")
                <= pl.col("release_date") + timedelta(days=FOLLOW_UP + WAITING)
            )
        )
        .any()
        .fill_null(False)
        .alias("reoffended"),
        pl.col("occasion_id")
        .filter(pl.col("disposal_date") < pl.col("release_date"))
        .n_unique()
        .alias("prior_sanctions"),
        # OGRS3 inputs as int_ogrs3_inputs takes them: history up to the release date
        pl.col("disposal_date")
        .filter(pl.col("disposal_date") <= pl.col("release_date"))
        .n_unique()
        .alias("sanction_count"),
        pl.col("disposal_date")
        .filter(pl.col("disposal_date") <= pl.col("release_date"))
        .min()
        .alias("first_sanction_date"),
        pl.col("ogrs3_category")
        .sort_by(["_before", "custodial", "disposal_date", "seriousness_score"], descending=True)
        .first()
        .alias("index_category"),
    )
    age_band = pl.lit("unknown")
    for low, high in reversed(AGE_BANDS):
        age_band = (
            pl.when(pl.col("age_at_release").is_between(low, high))
            .then(pl.lit(f"{low}-{high}"))
            .otherwise(age_band)
        )
    history = pl.col("prior_sanctions").cut(HISTORY_BANDS[1:], left_closed=True)
    frame = (
        releases.join(people, on="person_id", how="left")
        .join(reoffended, on="release_id", how="left")
        .with_columns(age_band.alias("age_band"), history.cast(pl.String).alias("history"))
        .collect()
    )
    known = frame.filter(pl.col("sanction_count") > 0)
    age_first = (known["first_sanction_date"] - known["dob"]).dt.total_days() / 365.25
    p1, _ = ogrs3(
        known["age_at_release"].to_numpy(),
        known["sex"].to_numpy(),
        known["sanction_count"].to_numpy(),
        age_first.to_numpy(),
        known["index_category"].to_numpy(),
    )
    return known.with_columns(pl.Series("ogrs3_p1", p1))


def observed_expected(frame: pl.DataFrame, strata: list[str]) -> pl.DataFrame:
    """Per prison: observed re-offenders, expected from England's stratum rates (``["ogrs3"]``:
    OGRS3 p1 calibrated to England, as sub-outcome 4 in the release), ratio, limits."""
    if strata == ["ogrs3"]:
        scale = frame["reoffended"].sum() / frame["ogrs3_p1"].sum()
        rated = frame.with_columns((pl.col("ogrs3_p1") * scale).alias("_rate"))
    else:
        rates = frame.group_by(strata).agg(pl.col("reoffended").mean().alias("_rate"))
        rated = frame.join(rates, on=strata)
    per = (
        rated.group_by("prison_code")
        .agg(
            pl.col("reoffended").sum().alias("observed"),
            pl.col("_rate").sum().alias("expected"),
            pl.len().alias("releases"),
        )
        .filter(pl.col("expected") >= MIN_EXPECTED)
        .sort("prison_code")
    )
    e = per["expected"].to_numpy()
    return per.with_columns(
        (pl.col("observed") / pl.col("expected")).alias("ratio"),
        *[
            pl.Series(f"limit_{name}_{side}", poisson_limit(e, q))
            for name, p in LIMITS.items()
            for side, q in (("low", p), ("high", 1 - p))
        ],
    )


def with_overdispersed_limits(per: pl.DataFrame, tau2: float) -> pl.DataFrame:
    """Limits widened for the between-prison variance, as in the release (``od_limit_*``)."""
    e = per["expected"].to_numpy()
    return per.with_columns(
        pl.Series(f"limit_{name}_{side}", overdispersed_limit(e, q, tau2))
        for name, p in LIMITS.items()
        for side, q in (("low", p), ("high", 1 - p))
    )


def assess(per: pl.DataFrame, effects: pl.DataFrame, overdispersed: bool = False) -> dict:
    """Detection of effect prisons and false alarms among the others, per limit (Poisson
    limits, or limits widened for overdispersion estimated from every prison)."""
    tau2 = overdispersion(per["observed"].to_numpy(), per["expected"].to_numpy())
    if overdispersed:
        per = with_overdispersed_limits(per, tau2)
    joined = per.join(effects, on="prison_code", how="left").with_columns(
        pl.col("has_effect").fill_null(False)
    )
    out: dict = {
        "prisons_assessed": joined.height,
        "effect_prisons": int(joined["has_effect"].sum()),
        "releases": int(joined["releases"].sum()),
        "median_expected": float(joined["expected"].median()),
        "overdispersion_tau2": tau2,
        "limits": "overdispersed (additive random effects)" if overdispersed else "Poisson",
    }
    strong = joined.filter(pl.col("has_effect"))
    null = joined.filter(~pl.col("has_effect"))
    for name, p in LIMITS.items():
        low, high = f"limit_{name}_low", f"limit_{name}_high"
        below = pl.col("ratio") < pl.col(low)
        outside = below | (pl.col("ratio") > pl.col(high))
        detected = int(strong.select(below.sum()).item()) if strong.height else 0
        alarms = int(null.select(outside.sum()).item()) if null.height else 0
        out[f"limit_{name}"] = {
            "effect_prisons_beyond_better_limit": detected,
            "detection_rate": detected / strong.height if strong.height else None,
            "no_effect_prisons_outside": alarms,
            "false_alarm_rate": alarms / null.height if null.height else None,
            "nominal_false_alarm_rate": 2 * p,
        }
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--share", type=float, default=0.1, help="share of prisons with effect")
    parser.add_argument(
        "--multiplier", type=float, default=0.6, help="re-offending rate multiplier of effect"
    )
    parser.add_argument("--out", type=Path, default=Path("data/scorecard_truth"))
    parser.add_argument("--reuse", action="store_true", help="reuse simulated data in --out")
    parser.add_argument("--workers", type=int, default=1, help="simulator processes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    spec = resolve(args.preset, args.people)
    started = time.perf_counter()
    if not (args.reuse and (args.out / "truth" / "prison_effects.parquet").exists()):
        generate(
            args.out,
            preset=args.preset,
            seed=args.seed,
            people=args.people,
            progress=True,
            workers=args.workers,
            prison_effects=PrisonEffects(args.share, args.multiplier, args.seed),
        )
    synth_seconds = time.perf_counter() - started
    truth = args.out / "truth"
    end = date.fromisoformat(spec.end_month + "-01")
    end = (end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    frame = cohort(truth, end)
    effects = pl.read_parquet(truth / "prison_effects.parquet")
    result: dict = {
        "preset": spec.name,
        "people": spec.people,
        "seed": args.seed,
        "effect_share": args.share,
        "rate_multiplier": args.multiplier,
        "synth_seconds": round(synth_seconds, 1),
        "cohort_reoffending_rate": float(frame["reoffended"].mean()),
    }
    for label, strata in (
        ("age_sex", ["sex", "age_band"]),
        ("age_sex_history", ["sex", "age_band", "history"]),
        ("ogrs3", ["ogrs3"]),
    ):
        per = observed_expected(frame, strata)
        result[label] = assess(per, effects)
        result[f"{label}_overdispersed"] = assess(per, effects, overdispersed=True)
    text = json.dumps(result, indent=2)
    (args.out / "scorecard_truth.json").write_text(text + "\n")
    log.info("scorecard truth check:\n%s", text)
    return result


if __name__ == "__main__":
    main()
