"""Turn the simulated events into clean truth tables (int day numbers, person index)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.synthetic.careers import CAUTION, RESULT_CODES, CareerSim
from pipelines.synthetic.dates import years
from pipelines.synthetic.excluded_cases import (
    breach_convictions,
    non_qualifying_disposals,
    youth_warnings,
)
from pipelines.synthetic.identifiers import pnc_ids, sequential_ids
from pipelines.synthetic.noise import exact_sample
from pipelines.synthetic.prison import assessments, drug_tests
from pipelines.synthetic.reference import Places, ethnic_group
from pipelines.synthetic.treatment import community_episodes

I64 = pl.Int64


def _frame(events) -> pl.DataFrame:
    return pl.DataFrame(events.frame())


@dataclass
class Truth:
    """Clean event tables keyed by ``person`` (int index); day numbers as ints."""

    people: pl.DataFrame
    pnc_records: pl.DataFrame  # one row per PNC ID
    offences: pl.DataFrame
    occasions: pl.DataFrame
    segments: pl.DataFrame
    triages: pl.DataFrame
    releases: pl.DataFrame
    episodes: pl.DataFrame
    modalities: pl.DataFrame
    tops: pl.DataFrame
    assessments: pl.DataFrame
    tests: pl.DataFrame
    deaths: pl.DataFrame
    chunk: int = 0


def people_frame(sim: CareerSim, places: Places) -> pl.DataFrame:
    p = sim.p
    la = places.la_code[p.la]
    return pl.DataFrame(
        {
            "person": np.arange(p.n, dtype=np.int64),
            "person_id": p.person_id.astype(str),
            "forename": p.forename.astype(str),
            "middle_names": p.middle.astype(str),
            "surname": p.surname.astype(str),
            "alias_surname": p.alt_surname.astype(str),
            "dob": p.dob.astype(np.int64),
            "sex": p.sex,
            "ethnicity": p.ethnicity.astype(str),
            "ethnic_group": [ethnic_group(e) for e in p.ethnicity],
            "la_code": la,
            "region_code": places.la_region[p.la],
            "postcode_district": p.postcode.astype(str),
            "offender": p.offender,
            "opiate": p.opiate,
            "crack": p.crack,
            "cocaine": p.cocaine,
            "cannabis": p.cannabis,
            "benzodiazepines": p.benzo,
            "alcohol": p.alcohol,
            "injecting": np.array(["NEVER", "PREVIOUS", "CURRENT"])[p.injecting],
            "sharing": p.sharing,
            "parent": p.parent,
            "children_living_with": p.children_with.astype(np.int64),
            "parental_responsibility": p.parental_responsibility,
            "employed": p.employed,
            "foreign_national": p.foreign,
            "propensity": np.round(p.propensity, 4),
            "age_first_sanction": np.round(sim.age_first, 2),
            "prison_number": p.prison_number.astype(str),
            "crn": p.crn.astype(str),
            "offender_pk": [f"OFF{v:07d}" for v in p.offender_pk.tolist()],
        }
    ).with_columns(
        drug_group=pl.when(pl.col("opiate"))
        .then(pl.lit("opiate"))
        .when(pl.col("crack") | pl.col("cocaine") | pl.col("cannabis") | pl.col("benzodiazepines"))
        .then(
            pl.when(pl.col("alcohol"))
            .then(pl.lit("non_opiate_and_alcohol"))
            .otherwise(pl.lit("non_opiate"))
        )
        .when(pl.col("alcohol"))
        .then(pl.lit("alcohol"))
        .otherwise(pl.lit("none"))
    )


def build(sim: CareerSim, places: Places, window_start: int, dup_rate: float) -> Truth:
    """Every truth table, cut at the end of the window."""
    rng, end = sim.rng, sim.end
    offs = sim.offences
    people = people_frame(sim, places)

    occ = _frame(sim.occasions).with_columns(
        pl.col(c).cast(I64) for c in ("occasion", "person", "disposal_date", "sentence", "main")
    )
    occ = occ.with_columns(
        result_code=pl.Series(RESULT_CODES[occ["kind"].to_numpy()], dtype=pl.String),
        disposal_type=pl.when(pl.col("kind") == CAUTION)
        .then(pl.lit("CAUT"))
        .otherwise(pl.lit("CONV")),
    ).sort(["person", "disposal_date", "occasion"])

    # PNC records: one per person with a sanction, plus rare duplicates (a second PNC ID)
    first = occ.group_by("person", maintain_order=True).agg(
        pl.col("disposal_date").first().alias("created"),
        pl.len().alias("n_occ"),
        (~pl.col("backlog")).sum().alias("n_window"),
    )
    n_rec = first.height
    serial = sim.serials
    primary = first.with_columns(
        pnc_id=pl.Series(pnc_ids(years(first["created"].to_numpy()), serial[:n_rec]).astype(str)),
        duplicate=pl.lit(False),
    )
    eligible = np.flatnonzero(first["n_window"].to_numpy() >= 2)
    dup_pick = exact_sample(rng, eligible, dup_rate, len(eligible))
    dup_people = first["person"].to_numpy()[dup_pick]
    # the duplicate record starts at a random in-window occasion after the first one
    win = (
        occ.filter(~pl.col("backlog") & pl.col("person").is_in(dup_people.tolist()))
        .with_columns(k=pl.int_range(pl.len()).over("person"))
        .filter(pl.col("k") >= 1)
    )
    win = win.with_columns(pl.Series("u", rng.random(win.height)))
    start = (
        win.group_by("person")
        .agg(pl.col("disposal_date").sort_by("u").first().alias("created"))
        .sort("person")
    )
    dups = start.with_columns(
        pnc_id=pl.Series(
            pnc_ids(
                years(start["created"].to_numpy()), serial[n_rec : n_rec + start.height]
            ).astype(str)
        ),
        duplicate=pl.lit(True),
    )
    pnc_records = pl.concat(
        [
            primary.select("person", "created", "pnc_id", "duplicate"),
            dups.select("person", "created", "pnc_id", "duplicate"),
        ]
    ).sort(["person", "created"])
    # the PNC ID in use at each occasion
    occ = occ.join_asof(
        pnc_records.select("person", pl.col("created").alias("from"), "pnc_id"),
        left_on="disposal_date",
        right_on="from",
        by="person",
        strategy="backward",
        check_sortedness=False,
    ).drop("from")

    off = _frame(sim.offence_rows).with_columns(
        pl.col(c).cast(I64)
        for c in ("occasion", "person", "offence_date", "arrest_date", "offence")
    )
    off = off.join(
        occ.select(
            "occasion",
            "disposal_date",
            "disposal_type",
            "result_code",
            "sentence",
            "drr",
            "main",
            "pnc_id",
            "kind",
        ),
        on="occasion",
    )
    idx = off["offence"].to_numpy()
    off = off.with_columns(
        ho_class=pl.Series(offs.ho_class[idx]),
        cjs_code=pl.Series(offs.cjs_code[idx]),
        ogrs3_category=pl.Series(offs.category[idx]),
        serious=pl.Series(offs.serious[idx]),
        seriousness_score=pl.Series(offs.score[idx].astype(np.int64)),
        is_index=pl.col("offence") == pl.col("main"),
        la=pl.Series(sim.p.la[off["person"].to_numpy()].astype(np.int64)),
    )
    # cases the re-offending definition excludes or includes by disposal type (excluded_cases.py)
    off = youth_warnings(sim, off)
    off = pl.concat(
        [off, non_qualifying_disposals(sim, off, end), breach_convictions(sim, off, end)]
    )
    off = off.sort(["disposal_date", "person", "occasion", "offence_date", "offence"])
    off = off.with_columns(offence_id=sequential_ids("DSP", off.height, 9, sim.chunk))

    seg = _frame(sim.segments).with_columns(
        pl.col(c).cast(I64)
        for c in ("person", "spell", "prison", "start", "end", "occasion", "sentence", "reception")
    )
    seg = seg.filter(pl.col("start") <= end)
    tri = _frame(sim.triages).with_columns(
        pl.col(c).cast(I64)
        for c in ("dir_id", "person", "spell", "prison", "date", "planned_release", "end")
    )
    tri = tri.filter(pl.col("date") <= end).sort(["date", "person", "dir_id"])
    tri = tri.with_columns(triage_id=sequential_ids("DIR", tri.height, 8, sim.chunk))

    deaths = _frame(sim.deaths).with_columns(pl.col("person").cast(I64), pl.col("date").cast(I64))
    dest = _frame(sim.destinations).with_columns(
        pl.col("release_id").cast(I64), pl.col("la").cast(I64)
    )
    rel = _frame(sim.releases).with_columns(
        pl.col(c).cast(I64)
        for c in (
            "release_id",
            "dir_id",
            "person",
            "spell",
            "prison",
            "date",
            "sentence",
            "reception",
            "occasion",
        )
    )
    rel = rel.filter(pl.col("date") <= end).join(dest, on="release_id", how="left")
    rel = rel.join(tri.select("dir_id", "triage_id"), on="dir_id", how="left")
    rel = rel.sort(["date", "person", "release_id"]).with_columns(
        release_key=sequential_ids("REL", rel.height, 8, sim.chunk)
    )

    # treatment episodes: secure + community
    sec = _frame(sim.secure).with_columns(
        pl.col(c).cast(I64) for c in ("person", "prison", "start", "end", "reason")
    )
    sec = sec.filter(pl.col("start") <= end)
    sec = sec.with_columns(
        la=pl.Series(sim.p.la[sec["person"].to_numpy()].astype(np.int64)),
        setting=pl.lit("SECURE"),
        rfls=pl.lit("PRISON"),
        release_id=pl.lit(-1, dtype=I64),
        origin=pl.lit("secure"),
    )
    com = community_episodes(sim, seg, deaths).filter(pl.col("start") <= end)
    com = com.with_columns(
        psy=pl.lit(True), submod=pl.col("ost") & ~pl.col("reason").is_in([80, 81])
    )
    cols = [
        "person",
        "setting",
        "prison",
        "la",
        "start",
        "end",
        "reason",
        "ost",
        "psy",
        "submod",
        "rfls",
        "release_id",
        "origin",
    ]
    ep = pl.concat([sec.select(cols), com.select(cols)], how="vertical_relaxed")
    ep = (
        ep.with_columns(
            open=pl.col("end") > end,
        )
        .with_columns(
            end=pl.when(pl.col("open")).then(None).otherwise(pl.col("end")),
            reason=pl.when(pl.col("open")).then(None).otherwise(pl.col("reason")),
            submod=pl.when(pl.col("open")).then(None).otherwise(pl.col("submod")),
        )
        .sort(["start", "person", "setting"])
    )
    ep = ep.with_columns(episode_id=sequential_ids("EP", ep.height, 8, sim.chunk))

    # engagement after release: first community episode starting on/after the release
    comm_starts = (
        ep.filter(pl.col("setting") == "COMMUNITY")
        .select("person", pl.col("start").alias("engaged"))
        .sort(["person", "engaged"])
    )
    final = rel.filter(pl.col("release_type") != "TRANSFER").sort(["person", "date"])
    final = final.join_asof(
        comm_starts,
        left_on="date",
        right_on="engaged",
        by="person",
        strategy="forward",
        check_sortedness=False,
    )
    rel = rel.join(final.select("release_id", "engaged"), on="release_id", how="left")
    rel = rel.join(
        deaths.select("person", pl.col("date").alias("died")), on="person", how="left"
    ).with_columns(
        died=pl.when(pl.col("died") >= pl.col("date")).then(pl.col("died")).otherwise(None)
    )

    tests = drug_tests(sim, seg, window_start)
    occ_cat = offs.category
    asmt = assessments(sim, seg, occ, occ_cat, offs.ho_class)
    from pipelines.synthetic.ndtms import modalities, tops

    mods = modalities(sim, ep)
    top = tops(sim, ep)
    return Truth(
        people=people,
        pnc_records=pnc_records,
        offences=off,
        occasions=occ,
        segments=seg,
        triages=tri,
        releases=rel,
        episodes=ep,
        modalities=mods,
        tops=top,
        assessments=asmt,
        tests=tests,
        deaths=deaths,
        chunk=sim.chunk,
    )
