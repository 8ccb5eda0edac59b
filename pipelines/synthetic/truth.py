"""Write the ground truth (``<out>/truth/``): clean tables keyed by person_id."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.contracts.codes import RMDT_DRUGS
from pipelines.synthetic.assemble import Truth
from pipelines.synthetic.dates import to_date
from pipelines.synthetic.reference import Places


def _pid(t: Truth) -> pl.DataFrame:
    return t.people.select("person", "person_id")


def _codes(series: pl.Series, values) -> pl.Series:
    return pl.Series(
        series.name,
        [values[i] if i is not None and i >= 0 else None for i in series.to_list()],
        dtype=pl.String,
    )


def truth_tables(
    t: Truth, places: Places, episode_clients: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """Clean truth tables with explicit columns (see docs/simulator.md)."""
    pid = _pid(t)
    prisons, las = places.prison_code, places.la_code
    people = t.people.drop("person").with_columns(to_date("dob"))
    offences = t.offences.join(pid, on="person").select(
        "offence_id",
        "person_id",
        "pnc_id",
        pl.col("occasion").alias("occasion_id"),
        to_date("offence_date"),
        pl.when(pl.col("arrest_date") >= -100_000)
        .then(to_date("arrest_date"))
        .alias("arrest_date"),
        to_date("disposal_date"),
        "disposal_type",
        "result_code",
        pl.when(pl.col("result_code").is_in(["1002", "1115"]))
        .then(pl.col("sentence"))
        .alias("sentence_days"),
        "drr",
        "ho_class",
        "cjs_code",
        "ogrs3_category",
        "serious",
        "seriousness_score",
        pl.col("is_index").alias("is_index_offence"),
        pl.col("backlog").alias("is_backlog"),
    )
    occ_main = (
        t.offences.filter(pl.col("is_index"))
        .unique("occasion", keep="first")
        .select(
            "occasion",
            pl.col("ho_class").alias("index_ho_class"),
            pl.col("serious").alias("index_serious"),
            pl.col("seriousness_score").alias("index_seriousness"),
        )
    )
    r = (
        t.releases.join(pid, on="person")
        .join(occ_main, on="occasion", how="left")
        .join(t.people.select("person", "dob"), on="person")
    )
    releases = r.with_columns(
        _codes(r["prison"], prisons).alias("prison_code"),
        pl.Series("prison_region_code", [places.prison_region[i] for i in r["prison"].to_list()]),
        _codes(r["la"], las).alias("destination_la_code"),
    ).select(
        pl.col("release_key").alias("release_id"),
        "person_id",
        to_date("date").alias("release_date"),
        to_date("reception").alias("reception_date"),
        "prison_code",
        "prison_region_code",
        "release_type",
        pl.col("sentence").alias("sentence_days"),
        "index_ho_class",
        "index_serious",
        "index_seriousness",
        "destination_la_code",
        pl.col("need").alias("treatment_need"),
        pl.col("in_treatment").alias("in_treatment_at_release"),
        pl.col("ost").alias("ost_at_release"),
        to_date("engaged").alias("engaged_community_date"),
        (pl.col("engaged") - pl.col("date")).alias("days_to_engagement"),
        to_date("died").alias("died_date"),
        ((pl.col("date") - pl.col("dob")) / 365.25).floor().cast(pl.Int64).alias("age_at_release"),
        pl.col("triage_id").alias("dir_triage_id"),
    )
    custody = (
        t.segments.join(pid, on="person")
        .with_columns(
            _codes(t.segments.join(pid, on="person")["prison"], prisons).alias("prison_code")
        )
        .select(
            "person_id",
            pl.col("spell").alias("spell_id"),
            "prison_code",
            to_date("start").alias("start_date"),
            to_date("end").alias("end_date"),
            "end_type",
            to_date("reception").alias("reception_date"),
            pl.col("sentence").alias("sentence_days"),
        )
    )
    tri = t.triages.join(pid, on="person")
    triages = tri.with_columns(_codes(tri["prison"], prisons).alias("prison_code")).select(
        pl.col("triage_id").alias("dir_id"),
        "person_id",
        to_date("date").alias("triage_date"),
        "prison_code",
        pl.col("need").alias("treatment_need"),
        "care_planned",
        "ost",
        "psy",
        to_date("planned_release").alias("release_date"),
    )
    ep = (
        t.episodes.join(pid, on="person")
        .join(episode_clients, on="episode_id", how="left")
        .join(t.people.select("person", "opiate", "crack", "drug_group"), on="person")
    )
    rel_keys = t.releases.select(pl.col("release_id"), pl.col("release_key"))
    ep = ep.join(rel_keys, on="release_id", how="left")
    episodes = ep.with_columns(
        _codes(ep["prison"], prisons).alias("prison_code"), _codes(ep["la"], las).alias("la_code")
    ).select(
        "episode_id",
        "client_id",
        "agency",
        "person_id",
        "setting",
        "prison_code",
        "la_code",
        pl.col("rfls").alias("referral_source"),
        to_date("start").alias("triage_date"),
        to_date("end").alias("discharge_date"),
        pl.col("reason").alias("discharge_reason"),
        pl.when(pl.col("opiate"))
        .then(pl.lit("opiate"))
        .when(pl.col("drug_group") == "alcohol")
        .then(pl.lit("alcohol"))
        .otherwise(pl.lit("non_opiate"))
        .alias("drug_group"),
        "opiate",
        "crack",
        pl.col("ost").alias("ost"),
        "submod",
        "origin",
        pl.col("release_key").alias("release_id"),
    )
    modalities = t.modalities.join(pid, on="person").select(
        "modality_id",
        "episode_id",
        "person_id",
        "modality",
        "intcode",
        to_date("referral_date"),
        to_date("start").alias("start_date"),
        to_date("end").alias("end_date"),
        pl.col("exit").alias("exit_reason"),
    )
    tops = t.tops.join(pid, on="person").drop("person").with_columns(to_date("top_date"))
    lead = ["top_id", "episode_id", "person_id"]
    tops = tops.select(*lead, pl.exclude(*lead))
    a = t.assessments.join(pid, on="person")
    assessments = (
        a.with_columns(_codes(a["prison"], prisons).alias("prison_code"))
        .drop("person", "prison", "index_offence", "index_disposal_date")
        .rename({"date": "assessment_date", "type": "assessment_type"})
        .with_columns(to_date("assessment_date"))
    )
    lead = ["assessment_id", "person_id", "assessment_date", "assessment_type", "prison_code"]
    assessments = assessments.select(*lead, pl.exclude(*lead))
    ts = t.tests.join(pid, on="person")
    tests = ts.with_columns(_codes(ts["prison"], prisons).alias("prison_code")).select(
        "test_id",
        "person_id",
        "prison_code",
        to_date("test_date"),
        "reason",
        "status",
        *(drug.lower() for drug in RMDT_DRUGS),
    )
    last_rel = (
        t.releases.filter(pl.col("release_type") != "TRANSFER")
        .select("person", pl.col("date").alias("rel_date"))
        .sort(["person", "rel_date"])
    )
    d = t.deaths.sort(["person", "date"]).join_asof(
        last_rel,
        left_on="date",
        right_on="rel_date",
        by="person",
        strategy="backward",
        check_sortedness=False,
    )
    open_ep = t.episodes.filter(pl.col("reason") == 87).select(
        "person", pl.lit(True).alias("in_treatment")
    )
    d = d.join(open_ep.unique("person"), on="person", how="left").join(pid, on="person")
    deaths = d.select(
        "person_id",
        to_date("date").alias("death_date"),
        "drug_related",
        to_date("rel_date").alias("last_release_date"),
        (pl.col("date") - pl.col("rel_date")).alias("days_since_release"),
        pl.col("in_treatment").fill_null(False),
    )
    return {
        "people": people,
        "offences": offences,
        "releases": releases,
        "custody": custody,
        "triages": triages,
        "treatment_episodes": episodes,
        "modalities": modalities,
        "tops": tops,
        "assessments": assessments,
        "tests": tests,
        "deaths": deaths,
    }


def write_truth(folder: Path, tables: dict[str, pl.DataFrame], record_map: pl.DataFrame) -> None:
    """Write the truth tables and the record map as Parquet files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in {**tables, "record_map": record_map}.items():
        frame.write_parquet(folder / f"{name}.parquet", compression="zstd", statistics=False)
