"""Treatment: community and secure episodes, NDTMS clients, modalities and TOP forms."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.synthetic.careers import CareerSim, episode_course
from pipelines.synthetic.excluded_cases import keep_open_through_short_custody
from pipelines.synthetic.population import DAYS_PER_YEAR

OPEN = 2**31 - 1


def spontaneous(sim: CareerSim) -> pl.DataFrame:
    """Self, GP and other referrals into community treatment (a renewal process per person)."""
    rng, p = sim.rng, sim.p
    users = np.flatnonzero(p.drug_user | p.alcohol)
    mean_gap = np.where(p.offender[users], 5.0, 1.6) * DAYS_PER_YEAR
    t = sim.sim_start - 500 + rng.exponential(mean_gap * 0.8).astype(np.int64)
    rows: list[dict[str, np.ndarray]] = []
    for _ in range(12):
        live = t <= sim.end
        if not live.any():
            break
        who, start = users[live], t[live]
        length, reason = episode_course(rng, p.opiate[who], sim.world.la_quality[p.la[who]])
        ost = p.opiate[who] & (rng.random(len(who)) < 0.75)
        rfls = rng.choice(
            np.array(["SELF", "GP", "OTHER"], dtype=object), len(who), p=[0.6, 0.25, 0.15]
        )
        rows.append(
            {
                "person": who,
                "la": p.la[who],
                "start": start,
                "natural_end": start + length,
                "reason": reason,
                "ost": ost,
                "rfls": rfls,
                "release_id": np.full(len(who), -1, dtype=np.int64),
                "origin": np.full(len(who), "community", dtype=object),
            }
        )
        gap = rng.exponential(np.where(p.offender[who], 3.0, 1.2) * DAYS_PER_YEAR).astype(np.int64)
        nxt = np.full(len(users), sim.end + 1, dtype=np.int64)
        nxt[live] = start + length + 30 + gap
        t = nxt
    cols = rows[0].keys()
    return pl.DataFrame({k: np.concatenate([r[k] for r in rows]) for k in cols})


def community_episodes(sim: CareerSim, custody: pl.DataFrame, deaths: pl.DataFrame) -> pl.DataFrame:
    """Candidates from every route, cut by custody and death, without overlaps."""
    cj = pl.DataFrame(sim.community.frame())
    cand = pl.concat(
        [
            cj.with_columns(
                pl.col(c).cast(pl.Int64)
                for c in ("start", "natural_end", "release_id", "person", "la")
            ),
            spontaneous(sim).with_columns(
                pl.col(c).cast(pl.Int64)
                for c in ("start", "natural_end", "release_id", "person", "la")
            ),
        ],
        how="vertical_relaxed",
    )
    cand = cand.with_columns(pl.col("reason").cast(pl.Int64)).sort(["person", "start"])
    cust = custody.select(
        pl.col("person").cast(pl.Int64),
        pl.col("start").cast(pl.Int64).alias("c_start"),
        pl.col("end").cast(pl.Int64).alias("c_end"),
    ).sort(["person", "c_start"])
    # drop candidates that start inside a custody segment
    back = cand.join_asof(
        cust,
        left_on="start",
        right_on="c_start",
        by="person",
        strategy="backward",
        check_sortedness=False,
    )
    inside = back["c_end"].fill_null(-1) > back["start"]
    cand = cand.filter(~inside)
    # cut at the next reception (88) and at death (87)
    fwd = cand.join_asof(
        cust.rename({"c_start": "next_custody"}).drop("c_end"),
        left_on="start",
        right_on="next_custody",
        by="person",
        strategy="forward",
        check_sortedness=False,
    )
    # some stay open through a short spell (people already in treatment at release)
    fwd = keep_open_through_short_custody(sim, fwd, cust)
    fwd = fwd.join(
        deaths.select(pl.col("person").cast(pl.Int64), pl.col("date").cast(pl.Int64).alias("died")),
        on="person",
        how="left",
    )
    nc = pl.col("next_custody").fill_null(OPEN)
    died = pl.col("died").fill_null(OPEN)
    ep = (
        fwd.with_columns(
            end=pl.min_horizontal("natural_end", nc, died),
        )
        .with_columns(
            reason=pl.when(pl.col("end") == died)
            .then(87)
            .when(pl.col("end") == nc)
            .then(88)
            .otherwise(pl.col("reason")),
        )
        .filter(pl.col("start") < died)
    )
    # no overlaps within a person: drop an episode starting before an earlier one ended
    ep = ep.sort(["person", "start", "end"]).with_columns(
        prev_end=pl.col("end").cum_max().shift(1).over("person")
    )
    ep = ep.filter(pl.col("prev_end").is_null() | (pl.col("start") > pl.col("prev_end")))
    return ep.drop("prev_end", "natural_end", "next_custody", "died").with_columns(
        setting=pl.lit("COMMUNITY"), prison=pl.lit(-1, dtype=pl.Int64)
    )
