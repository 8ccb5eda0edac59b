"""Calibration: achieved national magnitudes (from the truth) against the brief's targets."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.synthetic.assemble import Truth
from pipelines.synthetic.excluded_cases import BREACH_CLASS, QUALIFYING_DISPOSALS
from pipelines.synthetic.presets import NATIONAL_PEOPLE, Preset
from pipelines.synthetic.prison import PANELS

COMMUNITY_RELEASES = ["CONDITIONAL", "END_OF_SENTENCE", "COURT"]


def _value(num: float, den: float, unit: str) -> float:
    return (100 * num / den if unit == "%" else num / den) if den else float("nan")


def _metric(
    name: str,
    num: float,
    den: float,
    lo: float,
    hi: float,
    text: str,
    unit: str = "%",
    den_additive: bool = True,
) -> dict:
    value = _value(num, den, unit)
    return {
        "metric": name,
        "value": round(float(value), 2),
        "numerator": round(float(num), 2),
        "denominator": round(float(den), 2),
        "target_low": lo,
        "target_high": hi,
        "unit": unit,
        "within_target": bool(lo <= value <= hi) if den else False,
        "description": text,
        "den_additive": den_additive,
    }


def merge(parts: list[dict]) -> dict:
    """Combine the calibration of population chunks (numerators and denominators add up)."""
    out = dict(parts[0])
    metrics = {}
    for name, first in parts[0]["metrics"].items():
        num = sum(p["metrics"][name]["numerator"] for p in parts)
        den = first["denominator"]
        if first["den_additive"]:
            den = sum(p["metrics"][name]["denominator"] for p in parts)
        value = _value(num, den, first["unit"])
        metrics[name] = first | {
            "numerator": round(float(num), 2),
            "denominator": round(float(den), 2),
            "value": round(float(value), 2),
            "within_target": bool(first["target_low"] <= value <= first["target_high"]),
        }
    out["metrics"] = metrics
    return out


def reoffending(t: Truth, start: int, end: int) -> pl.DataFrame:
    """Adult releases to the community with mature 12+6 month follow-up, flagged if proven."""
    ppl = t.people.select("person", "dob")
    rel = (
        t.releases.filter(
            pl.col("release_type").is_in(COMMUNITY_RELEASES)
            & (pl.col("date") >= start)
            & (pl.col("date") <= end - 548)
        )
        .join(ppl, on="person")
        .filter((pl.col("date") - pl.col("dob")) >= 18 * 365.25)
    )
    # offences proven by a qualifying disposal, breaches not counted (MoJ proven re-offending)
    off = t.offences.filter(
        pl.col("disposal_type").is_in(QUALIFYING_DISPOSALS) & (pl.col("ho_class") != BREACH_CLASS)
    ).select("person", "offence_date", "disposal_date")
    hits = (
        rel.select("release_id", "person", "date")
        .join(off, on="person")
        .filter(
            (pl.col("offence_date") > pl.col("date"))
            & (pl.col("offence_date") <= pl.col("date") + 365)
            & (pl.col("disposal_date") <= pl.col("date") + 365 + 183)
        )
        .select("release_id")
        .unique()
    )
    return rel.with_columns(reoffended=pl.col("release_id").is_in(hits["release_id"].implode()))


def continuity(t: Truth, start: int, end: int) -> pl.DataFrame:
    """Releases with need (in treatment at release) and whether engaged within 21 days."""
    return t.releases.filter(
        pl.col("release_type").is_in(COMMUNITY_RELEASES)
        & pl.col("in_treatment")
        & (pl.col("date") >= start)
        & (pl.col("date") <= end - 21)
        & (pl.col("died").is_null() | (pl.col("died") > pl.col("date") + 21))
    ).with_columns(
        engaged21=pl.col("engaged").is_not_null() & (pl.col("engaged") <= pl.col("date") + 21)
    )


def successful_completion(t: Truth, end: int) -> dict[str, tuple[int, int]]:
    """PHOF C19-style completion over the 12 months ending six months before the window end."""
    p_end = end - 183
    p_start = p_end - 365
    ep = t.episodes.filter(pl.col("setting") == "COMMUNITY").join(
        t.people.select("person", "opiate"), on="person"
    )
    in_period = ep.filter(
        (pl.col("start") <= p_end) & (pl.col("end").is_null() | (pl.col("end") >= p_start))
    )
    latest = in_period.sort(["person", "start"]).group_by("person").last()
    nxt = ep.select("person", pl.col("start").alias("next_start"))
    done = latest.filter(
        pl.col("reason").is_in([80, 81])
        & (pl.col("end") <= p_end)
        & ~pl.col("submod").fill_null(False)
    )
    represented = (
        done.join(nxt, on="person")
        .filter(
            (pl.col("next_start") > pl.col("end")) & (pl.col("next_start") <= pl.col("end") + 183)
        )
        .select("person")
        .unique()
    )
    done = done.filter(~pl.col("person").is_in(represented["person"].implode()))
    out = {}
    for label, flag in (("opiate", True), ("non_opiate", False)):
        out[label] = (
            done.filter(pl.col("opiate") == flag).height,
            latest.filter(pl.col("opiate") == flag).height,
        )
    return out


def calibrate(t: Truth, preset: Preset, seed: int) -> dict:
    """Every calibration figure with its target range."""
    start, end = preset.window
    scale = preset.people / NATIONAL_PEOPLE
    years = preset.months / 12
    m: list[dict] = []
    final = t.releases.filter(
        (pl.col("release_type") != "TRANSFER") & (pl.col("date") >= start) & (pl.col("date") <= end)
    )
    m.append(
        _metric(
            "releases_per_year",
            final.height,
            years,
            45_000 * scale,
            75_000 * scale,
            "Releases from custody per year (excluding transfers); target: 45-75k a year in "
            "England and Wales scaled by people / national population",
            unit="count",
            den_additive=False,
        )
    )
    r = reoffending(t, start, end)
    m.append(
        _metric(
            "proven_reoffending_adults",
            r["reoffended"].sum(),
            r.height,
            30,
            45,
            "Adults released from custody with a proven re-offence (offence within 12 months, "
            "conviction or caution within 12+6 months)",
        )
    )
    short = r.filter(pl.col("sentence") < 365)
    m.append(
        _metric(
            "proven_reoffending_under_12m",
            short["reoffended"].sum(),
            short.height,
            50,
            70,
            "As above, sentences under 12 months",
        )
    )
    c = continuity(t, start, end)
    m.append(
        _metric(
            "continuity_of_care_21d",
            c["engaged21"].sum(),
            c.height,
            30,
            55,
            "Released in treatment (excl. transfers, deportations, deaths within 21 days) and "
            "engaged in community treatment within 21 days",
        )
    )
    for region, lo, hi in (("E12000007", 20, 45), ("E12000001", 50, 75), ("E12000002", 50, 75)):
        cr = c.join(t.people.select("person", "region_code"), on="person").filter(
            pl.col("region_code") == region
        )
        m.append(
            _metric(
                f"continuity_of_care_21d_{region}",
                cr["engaged21"].sum(),
                cr.height,
                lo,
                hi,
                f"Continuity of care for people living in region {region}",
            )
        )
    tests = t.tests.filter((pl.col("reason") == "RANDOM") & (pl.col("status") == "TESTED"))
    trad = tests.select(pl.any_horizontal(*(drug.lower() for drug in PANELS))).to_series()
    m.append(
        _metric(
            "rmdt_random_positive_traditional",
            trad.sum(),
            tests.height,
            5,
            18,
            "Random mandatory drug tests (status TESTED) positive for traditional drugs",
        )
    )
    m.append(
        _metric(
            "rmdt_random_positive_psychoactive",
            tests["psychoactive"].sum(),
            tests.height,
            1,
            15,
            "Random tests positive for psychoactive substances",
        )
    )
    sc = successful_completion(t, end)
    m.append(
        _metric(
            "ndtms_successful_completion_opiate",
            *sc["opiate"],
            5,
            9,
            "Community opiate clients completing free of dependence without re-presenting "
            "within 6 months, % of those in treatment (12 months ending 6 months before end)",
        )
    )
    m.append(
        _metric(
            "ndtms_successful_completion_non_opiate",
            *sc["non_opiate"],
            34,
            39,
            "As above, non-opiate clients (incl. alcohol)",
        )
    )
    sec = t.episodes.filter((pl.col("setting") == "SECURE") & pl.col("end").is_not_null())
    m.append(
        _metric(
            "secure_exits_completed",
            sec["reason"].is_in([80, 81]).sum(),
            sec.height,
            23,
            38,
            "Secure-setting exits completed free of dependence, % of exits",
        )
    )
    ep_year = t.episodes.filter(
        (pl.col("setting") == "COMMUNITY")
        & (pl.col("start") <= end)
        & (pl.col("end").is_null() | (pl.col("end") >= end - 365))
    )
    m.append(
        _metric(
            "community_treatment_adults_last_year",
            ep_year["person"].n_unique(),
            1,
            290_000 * scale,
            310_000 * scale,
            "People in community treatment in the last 12 months (target scaled; the simulated "
            "population is offender-heavy, so this is reported, not tuned)",
            unit="count",
            den_additive=False,
        )
    )
    tops = t.tops.join(t.episodes.select("episode_id", "setting"), on="episode_id")
    s = tops.filter(pl.col("stage") == "S").select("episode_id", pl.col("opiuse").alias("s"))
    rv = (
        tops.filter(pl.col("stage") == "R")
        .sort("top_date")
        .group_by("episode_id")
        .first()
        .select("episode_id", pl.col("opiuse").alias("r"))
    )
    pair = s.join(rv, on="episode_id").filter(pl.col("s") > 0)
    m.append(
        _metric(
            "top_opiate_abstinent_at_review",
            (pair["r"] == 0).sum(),
            pair.height,
            40,
            60,
            "Opiate users at TOP start abstinent from illicit opiates at first review",
        )
    )
    rel_need = final.filter(pl.col("need") & pl.col("release_type").is_in(COMMUNITY_RELEASES))
    died28 = rel_need.filter(
        pl.col("died").is_not_null() & (pl.col("died") <= pl.col("date") + 28)
    ).height
    m.append(
        _metric(
            "deaths_28d_per_1000_releases_with_need",
            1000 * died28,
            max(rel_need.height, 1),
            0,
            10,
            "Deaths within 28 days of release per 1,000 releases with need",
            unit="count",
        )
    )
    return {
        "preset": preset.name,
        "seed": seed,
        "people": preset.people,
        "months": preset.months,
        "window": [preset.start_month, preset.end_month],
        "scale_to_national": round(scale, 6),
        "metrics": {x["metric"]: x for x in m},
    }


def markdown(cal: dict) -> str:
    """The calibration report as a Markdown table."""
    lines = [
        f"# Calibration: preset `{cal['preset']}`, seed {cal['seed']}",
        "",
        f"{cal['people']:,} people, {cal['months']} months "
        f"({cal['window'][0]}..{cal['window'][1]}); national scale factor "
        f"{cal['scale_to_national']}. Figures are computed from `truth/`.",
        "",
        "| metric | value | numerator | denominator | target | within |",
        "|---|---:|---:|---:|---|---|",
    ]
    for x in cal["metrics"].values():
        unit = "%" if x["unit"] == "%" else ""
        lo, hi = x["target_low"], x["target_high"]
        target = f"{lo:,.4g}-{hi:,.4g}{unit}"
        value = "n/a" if np.isnan(x["value"]) else f"{x['value']:,.4g}{unit}"
        lines.append(
            f"| {x['metric']} | {value} | {x['numerator']:,.0f} | {x['denominator']:,.0f} | "
            f"{target} | {'yes' if x['within_target'] else 'no'} |"
        )
    lines += ["", "Definitions:", ""]
    lines += [f"- `{x['metric']}`: {x['description']}" for x in cal["metrics"].values()]
    return "\n".join(lines) + "\n"
