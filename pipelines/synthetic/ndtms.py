"""NDTMS detail: interventions (modalities) and Treatment Outcomes Profile forms."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.synthetic.careers import CareerSim
from pipelines.synthetic.identifiers import sequential_ids

PSY_CODES = np.array(["F", "L", "O", "S", "T", "D", "E", "H"], dtype=object)
FAM_CODES = np.array(["W", "V", "Y", "X"], dtype=object)


def modalities(sim: CareerSim, ep: pl.DataFrame) -> pl.DataFrame:
    """Interventions within each episode, with Patel Table 1 intervention codes."""
    rng, p, end = sim.rng, sim.p, sim.end
    n = ep.height
    person = ep["person"].to_numpy()
    start = ep["start"].to_numpy()
    stop = ep["end"].fill_null(end + 10_000).to_numpy()
    reason = ep["reason"].fill_null(-1).to_numpy()
    secure = (ep["setting"] == "SECURE").to_numpy()
    ost = ep["ost"].to_numpy()
    psy = ep["psy"].to_numpy()
    q = sim.world.la_quality[ep["la"].to_numpy()]
    kids = p.children_with[person] > 0
    resp = p.parental_responsibility[person]
    parts = []

    def add(mask, modal, codes, s, e):
        idx = np.flatnonzero(mask & (s < stop) & (s <= end))
        e_ = np.minimum(e[idx], stop[idx])
        parts.append(
            pl.DataFrame(
                {
                    "episode_id": ep["episode_id"].to_numpy()[idx],
                    "person": person[idx],
                    "modality": modal,
                    "intcode": codes[idx],
                    "referral_date": np.maximum(s[idx] - rng.integers(0, 8, len(idx)), start[idx]),
                    "start": s[idx],
                    "end": np.where(e_ > end, -1, e_),
                    "exit": np.where(e_ > end, -1, np.where(e_ >= stop[idx], reason[idx], 80)),
                }
            )
        )

    big = np.full(n, end + 10_000)
    pharm_code = np.where(rng.random(n) < 0.95, "J", "K").astype(object)
    add(ost, "PHARM", pharm_code, start + rng.integers(0, 10, n), big)
    psy_code = PSY_CODES[rng.integers(0, len(PSY_CODES), n)]
    psy_code = np.where(~p.male[person] & (rng.random(n) < 0.3), "P", psy_code).astype(object)
    p_psy = np.where(secure, psy, np.where(ost, 0.7, 0.95))
    add(
        rng.random(n) < p_psy,
        "PSY",
        psy_code,
        start + rng.integers(0, 21, n),
        start + rng.integers(60, 200, n),
    )
    recov = ~secure & (rng.random(n) < 0.32 + 0.1 * q)
    add(
        recov,
        "RECOV",
        np.where(rng.random(n) < 0.7, "B", "Ba").astype(object),
        start + rng.integers(20, 120, n),
        big,
    )
    mut = ~secure & (rng.random(n) < 0.22 + 0.08 * q)
    add(mut, "MUTAID", np.full(n, "A", dtype=object), start + rng.integers(20, 150, n), big)
    p_fam = np.where(kids, 0.35, np.where(resp, 0.25, 0.02)) + 0.1 * q
    fam = ~secure & (rng.random(n) < p_fam)
    add(
        fam,
        "FAMSUP",
        FAM_CODES[rng.integers(0, 4, n)],
        start + rng.integers(7, 90, n),
        start + rng.integers(90, 240, n),
    )
    rehab = ~secure & (rng.random(n) < 0.03)
    add(
        rehab,
        "RESREHAB",
        np.where(rng.random(n) < 0.6, "C", "Ca").astype(object),
        start + rng.integers(30, 120, n),
        start + rng.integers(150, 270, n),
    )
    out = (
        pl.concat(parts)
        .with_columns(
            pl.when(pl.col("end") < 0).then(None).otherwise(pl.col("end")).alias("end"),
            pl.when(pl.col("exit") < 0).then(None).otherwise(pl.col("exit")).alias("exit"),
        )
        .sort(["start", "episode_id", "modality"])
    )
    return out.with_columns(modality_id=sequential_ids("MOD", out.height, 9, sim.chunk))


def tops(sim: CareerSim, ep: pl.DataFrame) -> pl.DataFrame:
    """TOP forms (true values) at start, about every six months, and at a planned exit."""
    rng, p, end = sim.rng, sim.p, sim.end
    com = ep.filter(pl.col("setting") == "COMMUNITY")
    n = com.height
    person = com["person"].to_numpy()
    start = com["start"].to_numpy()
    stop = com["end"].fill_null(end + 10_000).to_numpy()
    reason = com["reason"].fill_null(-1).to_numpy()
    q = sim.world.la_quality[com["la"].to_numpy()]
    reviews = np.clip((np.minimum(stop, end) - start - 150) // 182, 0, 6)
    exit_top = (stop <= end) & (np.isin(reason, [80, 81, 82]) | (rng.random(n) < 0.25))
    count = 1 + reviews + exit_top
    rep = np.repeat(np.arange(n), count)
    k = np.concatenate([np.arange(c) for c in count]) if n else np.zeros(0, int)
    stage = np.where(k == 0, "S", np.where((k == count[rep] - 1) & exit_top[rep], "E", "R")).astype(
        object
    )
    date = np.where(
        stage == "S",
        start[rep] + rng.integers(0, 8, len(rep)),
        np.where(stage == "E", stop[rep], start[rep] + 182 * k + rng.integers(-14, 15, len(rep))),
    )
    date = np.minimum(date, np.minimum(stop[rep], end))
    who = person[rep]
    m = len(rep)

    def days(flag, mean, sd):
        return np.where(flag, np.clip(np.round(rng.normal(mean, sd, m)), 1, 28), 0)

    # start values come from the person's profile; later forms improve with treatment
    base = {
        "opiuse": days(p.opiate[who], 21, 6),
        "crause": days(p.crack[who], 12, 7),
        "cocause": days(p.cocaine[who], 7, 5),
        "ampuse": days(rng.random(m) < 0.03, 6, 4),
        "canuse": days(p.cannabis[who], 16, 8),
        "alcuse": days(p.alcohol[who], 17, 7),
        "ivdrguse": days(p.injecting[who] == 2, 16, 8),
        "shotheft": np.where(p.offender[who], rng.poisson(3, m), 0).clip(0, 28),
        "drgsell": np.where(p.offender[who] & p.opiate[who], rng.poisson(1.5, m), 0).clip(0, 28),
    }
    later = stage != "S"
    quality = q[rep]
    out: dict[str, np.ndarray] = {}
    for name, v in base.items():
        u = rng.random(m)
        p_abst = np.where(name == "opiuse", 0.50, 0.45) + 0.12 * quality
        reduced = np.round(v * rng.uniform(0.2, 0.9, m))
        out[name] = np.where(
            later & (u < p_abst), 0, np.where(later & (u < p_abst + 0.3), reduced, v)
        ).astype(np.int64)
    sharing = p.sharing[who] & (out["ivdrguse"] > 0)
    psyh = np.clip(np.round(rng.normal(9, 3, m) + later * rng.normal(2, 2, m)), 0, 20)
    phys = np.clip(np.round(rng.normal(11, 3, m) + later * rng.normal(1.5, 2, m)), 0, 20)
    qol = np.clip(np.round(rng.normal(8.5, 3, m) + later * rng.normal(2.5 + quality, 2, m)), 0, 20)
    work = np.where(p.employed[who], np.clip(rng.normal(16, 4, m), 0, 28), 0)
    work = np.where(
        later & ~p.employed[who] & (rng.random(m) < 0.12),
        np.clip(rng.normal(10, 5, m), 1, 28),
        work,
    )
    educ = np.where(rng.random(m) < np.where(later, 0.06, 0.03), rng.integers(1, 15, m), 0)
    housing = rng.random(m) < np.where(later, 0.08, 0.16)
    evict = rng.random(m) < np.where(later, 0.06, 0.10)
    frame = (
        pl.DataFrame(
            {
                "episode_id": com["episode_id"].to_numpy()[rep],
                "person": who,
                "top_date": date,
                "stage": stage,
                **out,
                "sharing": sharing,
                "psyhstat": psyh.astype(np.int64),
                "phstat": phys.astype(np.int64),
                "quallife": qol.astype(np.int64),
                "pwork": np.round(work).astype(np.int64),
                "educ": educ.astype(np.int64),
                "acuthpblm": housing,
                "hrskevict": evict,
            }
        )
        .filter(pl.col("top_date") <= end)
        .sort(["top_date", "episode_id", "stage"])
    )
    return frame.with_columns(top_id=sequential_ids("TOP", frame.height, 9, sim.chunk))
