"""Prison-side records: random mandatory drug tests and OASys assessments."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.contracts.codes import OASYS_NEED_THRESHOLDS, OASYS_SECTIONS, RMDT_DRUGS
from pipelines.synthetic.careers import COMMUNITY, SUSPENDED, CareerSim
from pipelines.synthetic.ogrs3 import ogrs3

#: Panels simulated from drug use (psychoactive substances are drawn separately).
PANELS = tuple(d for d in RMDT_DRUGS if d != "PSYCHOACTIVE")


def drug_tests(sim: CareerSim, segments: pl.DataFrame, window_start: int) -> pl.DataFrame:
    """rMDT tests: random (about 7.5% of the population a month) and suspicion/risk tests."""
    rng, p, w = sim.rng, sim.p, sim.world
    seg = segments.with_columns(
        lo=pl.max_horizontal(pl.col("start"), pl.lit(window_start)),
        hi=pl.min_horizontal(pl.col("end"), pl.lit(sim.end + 1)),
    ).filter(pl.col("hi") > pl.col("lo"))
    person = seg["person"].to_numpy()
    prison = seg["prison"].to_numpy()
    lo, hi = seg["lo"].to_numpy(), seg["hi"].to_numpy()
    months = (hi - lo) / 30.44
    n_rand = rng.poisson(0.075 * months)
    n_susp = rng.poisson(0.015 * months)
    count = n_rand + n_susp
    rep = np.repeat(np.arange(len(seg)), count)
    k = np.concatenate([np.arange(c) for c in count]) if len(count) else np.zeros(0, int)
    reason = np.where(k < n_rand[rep], "RANDOM", "").astype(object)
    susp = reason == ""
    reason[susp] = rng.choice(
        np.array(["SUSPICION", "RISK", "FREQUENT"], dtype=object), susp.sum(), p=[0.6, 0.25, 0.15]
    )
    day = lo[rep] + (rng.random(len(rep)) * (hi[rep] - lo[rep])).astype(np.int64)
    who, where = person[rep], prison[rep]
    heavy = p.opiate[who] | p.crack[who]
    other = p.cocaine[who] | p.cannabis[who] | p.benzo[who]
    use = np.where(heavy, 0.16, np.where(other, 0.09, 0.015))
    month = ((day - window_start) / 30.44).astype(int)
    inund = (w.prison_inundation[where] == month[:, None]).any(axis=1)
    factor = w.prison_supply[where] * np.where(inund, 3.0, 1.0) * np.where(susp, 2.5, 1.0)
    u = rng.random(len(rep))
    status = np.where(
        u < 0.02, "SPOILED", np.where(u < 0.02 + np.where(heavy, 0.07, 0.03), "REFUSED", "TESTED")
    ).astype(object)
    pos = rng.random(len(rep)) < np.clip(use * factor, 0, 0.9)
    shares = {
        "OPIATES": np.where(p.opiate[who], 0.5, 0.08),
        "CANNABIS": np.full(len(rep), 0.5),
        "COCAINE": np.where(p.crack[who] | p.cocaine[who], 0.3, 0.08),
        "BENZODIAZEPINES": np.full(len(rep), 0.12),
        "BUPRENORPHINE": np.where(p.opiate[who], 0.25, 0.05),
    }
    result: dict[str, np.ndarray] = {}
    anyp = np.zeros(len(rep), dtype=bool)
    for d in PANELS:
        hit = pos & (rng.random(len(rep)) < shares[d])
        result[d] = hit
        anyp |= hit
    result["CANNABIS"] = result["CANNABIS"] | (pos & ~anyp)
    ps = rng.random(len(rep)) < np.clip(0.05 * factor, 0, 0.6)
    tested = status == "TESTED"
    frame = pl.DataFrame(
        {"person": who, "prison": where, "test_date": day, "reason": reason, "status": status}
    )
    for d in PANELS:
        frame = frame.with_columns(pl.Series(d.lower(), np.where(tested, result[d], False)))
    frame = frame.with_columns(pl.Series("psychoactive", ps & tested))
    return frame.sort(["test_date", "prison", "person"])


SECTIONS = OASYS_SECTIONS
THRESHOLDS = tuple(OASYS_NEED_THRESHOLDS.values())


def assessments(
    sim: CareerSim,
    segments: pl.DataFrame,
    occasions: pl.DataFrame,
    offence_category: np.ndarray,
    offence_ho_class: np.ndarray,
) -> pl.DataFrame:
    """OASys assessments with true section scores and OGRS3 from the true history."""
    rng, p = sim.rng, sim.p
    first = segments.filter(pl.col("start") == pl.col("reception"))
    final = segments.filter(pl.col("end_type") != "TRANSFER")
    spell = first.join(
        final.select(
            "spell", pl.col("end").alias("release"), pl.col("prison").alias("last_prison")
        ),
        on="spell",
    )
    n = spell.height
    sentence = spell["sentence"].to_numpy()
    rec, rel = spell["reception"].to_numpy(), spell["release"].to_numpy()
    start_d = rec + rng.integers(5, 40, n)
    do_start = (rng.random(n) < np.where(sentence >= 365, 1.0, 0.7)) & (start_d < rel)
    pre_d = rel - rng.integers(14, 60, n)
    do_pre = ((rel - rec) >= 120) & (pre_d > start_d + 30)
    rev_d = rec + 365
    do_rev = (rel - rec >= 500) & (rev_d < rel - 90)
    parts = []
    for mask, date, kind, prison_col in (
        (do_start, start_d, "START_CUSTODY", "prison"),
        (do_pre, pre_d, "PRE_RELEASE", "last_prison"),
        (do_rev, rev_d, "REVIEW", "last_prison"),
    ):
        parts.append(
            pl.DataFrame(
                {
                    "person": spell["person"].to_numpy()[mask],
                    "date": date[mask],
                    "type": kind,
                    "prison": spell[prison_col].to_numpy()[mask],
                }
            )
        )
    comm = occasions.filter(pl.col("kind").is_in([COMMUNITY, SUSPENDED]) & ~pl.col("backlog"))
    parts.append(
        pl.DataFrame(
            {
                "person": comm["person"].to_numpy(),
                "date": comm["disposal_date"].to_numpy() + rng.integers(5, 30, comm.height),
                "type": "COMMUNITY_START",
                "prison": np.full(comm.height, -1),
            }
        )
    )
    a = pl.concat(
        [
            x.with_columns(
                pl.col("person").cast(pl.Int64),
                pl.col("date").cast(pl.Int64),
                pl.col("prison").cast(pl.Int64),
            )
            for x in parts
        ]
    )
    a = a.filter((pl.col("date") >= sim.sim_start) & (pl.col("date") <= sim.end)).sort(
        ["person", "date"]
    )
    # OGRS3 inputs from the true history: sanctions to date and the latest (index) occasion
    occ = occasions.select(
        pl.col("person").cast(pl.Int64), pl.col("disposal_date").cast(pl.Int64), "main"
    ).sort(["person", "disposal_date"])
    occ = occ.with_columns(n_sanctions=pl.int_range(1, pl.len() + 1).over("person"))
    a = a.join_asof(
        occ,
        left_on="date",
        right_on="disposal_date",
        by="person",
        strategy="backward",
        check_sortedness=False,
    )
    a = a.filter(pl.col("main").is_not_null())
    person = a["person"].to_numpy()
    age = (a["date"].to_numpy() - p.dob[person]) / 365.25
    cat = offence_category[a["main"].to_numpy()]
    age_first = np.where(np.isnan(sim.age_first[person]), age, sim.age_first[person])
    p1, p2 = ogrs3(age, p.sex[person], a["n_sanctions"].to_numpy(), np.minimum(age_first, age), cat)
    later = a["type"].is_in(["PRE_RELEASE", "REVIEW"]).to_numpy()
    k = a.height
    scores = np.clip(
        np.round(
            p.needs[person]
            + rng.normal(0, 0.7, (k, 10))
            - later[:, None] * rng.uniform(0, 1.4, (k, 1))
        ),
        0,
        8,
    ).astype(np.int8)
    cols = {f"{s}_score": scores[:, i] for i, s in enumerate(SECTIONS)}
    need = {f"{s}_need": scores[:, i] >= THRESHOLDS[i] for i, s in enumerate(SECTIONS)}
    linked = {f"{s}_linked": need[f"{s}_need"] & (rng.random(k) < 0.7) for s in SECTIONS}
    return a.with_columns(
        pl.Series("ogrs3_category", cat),
        pl.Series("index_ho_class", offence_ho_class[a["main"].to_numpy()]),
        pl.Series("ogrs3_p1", np.round(p1, 4)),
        pl.Series("ogrs3_p2", np.round(p2, 4)),
        pl.Series("age_first_sanction", np.round(np.minimum(age_first, age), 2)),
        *(pl.Series(k_, v) for k_, v in {**cols, **need, **linked}.items()),
    ).rename({"main": "index_offence", "disposal_date": "index_disposal_date"})
