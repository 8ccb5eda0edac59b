"""Source-shaped frames (one per delivered table) with identity noise, plus the record map.

Each frame carries ``_month`` (the delivery month) and exactly the columns of
``docs/extracts.md`` in order; dates stay day numbers until the writers format them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.synthetic.assemble import Truth
from pipelines.synthetic.dates import delivery_month, month_of, to_date
from pipelines.synthetic.identifiers import cro_numbers, sequential_ids
from pipelines.synthetic.noise import (
    DOB_KINDS,
    Tally,
    apply_identity_noise,
    exact_sample,
    missing,
)
from pipelines.synthetic.reference import NICKNAMES, PNC_TO_NDTMS_ETHNIC, Places

PNC_PERSON = [
    "PNC_ID",
    "CRO_NO",
    "NAME_SEQ",
    "SURNAME",
    "FORENAMES",
    "DOB",
    "SEX",
    "ETHNICITY",
    "POSTCODE_DISTRICT",
]
PNC_DISPOSAL = [
    "DISPOSAL_ID",
    "PNC_ID",
    "ARREST_DATE",
    "OFFENCE_DATE",
    "CJS_CODE",
    "HO_CLASS",
    "DISPOSAL_TYPE",
    "DISPOSAL_DATE",
    "COURT_CODE",
    "RESULT_CODE",
    "SENTENCE_DAYS",
    "DRR",
]
DIR_SUBSTANCES = [f"{k}_{i}" for i in (1, 2, 3) for k in ("SUBSTANCE", "ROUTE", "FREQUENCY")]
DIR_TRIAGE = [
    "DIR_ID",
    "TRIAGE_DATE",
    "ESTABLISHMENT",
    "SURNAME",
    "FORENAME",
    "DOB",
    "SEX",
    "ETHNICITY",
    "PRISON_NUMBER",
    "PNC_ID",
    *DIR_SUBSTANCES,
    "INJECTING_STATUS",
    "TREATMENT_NEED",
    "CARE_PLANNED",
    "PRISON_MODALITY",
    "PLANNED_RELEASE_DATE",
]
DIR_RELEASE = [
    "RELEASE_ID",
    "DIR_ID",
    "RELEASE_DATE",
    "ESTABLISHMENT",
    "SURNAME",
    "FORENAME",
    "DOB",
    "SEX",
    "PRISON_NUMBER",
    "PNC_ID",
    "RELEASE_TYPE",
    "IN_TREATMENT",
    "REFERRED",
    "REFERRAL_LA",
    "POSTCODE_DISTRICT",
]
CLIENT = [
    "CLIENTID",
    "AGNCY",
    "FINITIAL",
    "SINITIAL",
    "DOB",
    "SEX",
    "ETHNIC",
    "LA",
    "PC",
    "PRNTSTAT",
    "CHILDWTH",
]
EPISODE = [
    "EPISODID",
    "CLIENTID",
    "AGNCY",
    "SETTING",
    "ESTAB",
    "RFLS",
    "TRIAGED",
    "CPLANDT",
    "DRUG1",
    "DRUG2",
    "DRUG3",
    "INJSTAT",
    "DISD",
    "DISRSN",
    "SUBMOD",
]
MODALITY = ["MODID", "EPISODID", "MODAL", "INTCODE", "REFMODDT", "MODST", "MODEND", "MODEXIT"]
TOP = [
    "TOPID",
    "EPISODID",
    "TOPDATE",
    "TRSTAGE",
    "OPIUSE",
    "CRAUSE",
    "COCAUSE",
    "AMPUSE",
    "CANUSE",
    "ALCUSE",
    "IVDRGUSE",
    "SHARING",
    "SHOTHEFT",
    "DRGSELL",
    "PSYHSTAT",
    "PHSTAT",
    "QUALLIFE",
    "PWORK",
    "EDUC",
    "ACUTHPBLM",
    "HRSKEVICT",
]
RMDT = [
    "TEST_ID",
    "ESTABLISHMENT",
    "TEST_DATE",
    "REASON",
    "PRISON_NUMBER",
    "SAMPLE_STATUS",
    "OPIATES",
    "CANNABIS",
    "COCAINE",
    "BENZODIAZEPINES",
    "BUPRENORPHINE",
    "PSYCHOACTIVE",
]


@dataclass
class Extracts:
    """Delivered tables (with ``_month``), the record map and helper truth (episode clients)."""

    tables: dict[str, pl.DataFrame]
    record_map: pl.DataFrame
    episode_clients: pl.DataFrame


def _df(columns: dict) -> pl.DataFrame:
    """A frame from arrays, turning numpy object arrays into String (or Int64) columns."""
    out = {}
    for k, v in columns.items():
        if isinstance(v, np.ndarray) and v.dtype == object:
            values = v.tolist()
            sample = next((x for x in values if x is not None), "")
            if isinstance(sample, int | np.integer) and not isinstance(sample, bool):
                out[k] = pl.Series(k, [None if x is None else int(x) for x in values], pl.Int64)
            else:
                out[k] = pl.Series(k, values, dtype=pl.String)
        else:
            out[k] = v
    return pl.DataFrame(out)


def _initial(name: str) -> str:
    """First letter of a name, folded to A-Z (``Ó`` -> ``O``)."""
    letter = unicodedata.normalize("NFKD", name.strip()[:1])[:1].upper()
    return letter if "A" <= letter <= "Z" else "X"


def _yn(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr).then(pl.lit("Y")).otherwise(pl.lit("N"))


def _title(values: np.ndarray) -> np.ndarray:
    return np.array([v.title() if v else v for v in values], dtype=object)


def _substances(t: Truth, person: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Up to three problem substances with route and frequency, most serious first."""
    ppl = t.people
    n = len(person)
    inj = ppl["injecting"].to_numpy()[person] == "CURRENT"
    opi_code = np.where(rng.random(n) < 0.88, "HER", np.where(rng.random(n) < 0.5, "MET", "BUP"))
    cand = [
        (ppl["opiate"].to_numpy()[person], opi_code, np.where(inj, "INJ", "SMK"), "DAILY"),
        (ppl["crack"].to_numpy()[person], "CRA", "SMK", "DAILY"),
        (ppl["cocaine"].to_numpy()[person], "COC", "SNF", "WEEKLY"),
        (ppl["benzodiazepines"].to_numpy()[person], "BEN", "ORAL", "DAILY"),
        (ppl["cannabis"].to_numpy()[person], "CAN", "SMK", "DAILY"),
        (ppl["alcohol"].to_numpy()[person], "ALC", "ORAL", "DAILY"),
    ]
    slots = [np.full(n, None, dtype=object) for _ in range(9)]
    filled = np.zeros(n, dtype=int)
    for has, code, route, freq in cand:
        code = np.broadcast_to(np.asarray(code, dtype=object), (n,))
        route = np.broadcast_to(np.asarray(route, dtype=object), (n,))
        fr = np.where(rng.random(n) < 0.7, freq, np.where(rng.random(n) < 0.6, "WEEKLY", "LESS"))
        for k in range(3):
            put = has & (filled == k)
            slots[3 * k][put] = code[put]
            slots[3 * k + 1][put] = route[put]
            slots[3 * k + 2][put] = fr[put]
        filled = filled + has
    return dict(zip(DIR_SUBSTANCES, slots, strict=True))


def build_extracts(
    t: Truth, places: Places, rng: np.random.Generator, tally: Tally, first_month: str, end: int
) -> Extracts:
    """Every delivered table with its identity noise."""
    ppl = t.people
    fore_all = ppl["forename"].to_numpy().astype(object)
    sur_all = ppl["surname"].to_numpy().astype(object)
    mid_all = ppl["middle_names"].to_numpy().astype(object)
    alt_all = ppl["alias_surname"].to_numpy().astype(object)
    dob_all = ppl["dob"].to_numpy()
    sex_all = ppl["sex"].to_numpy()
    eth_all = ppl["ethnicity"].to_numpy()
    pc_all = ppl["postcode_district"].to_numpy()
    pn_all = ppl["prison_number"].to_numpy()
    maps: list[pl.DataFrame] = []
    tables: dict[str, pl.DataFrame] = {}
    pid = ppl["person_id"]

    def record_map(source: str, table: str, ids: pl.Series, person: np.ndarray, label=None) -> None:
        maps.append(
            _df(
                {
                    "source": source,
                    "table": table,
                    "record_id": ids,
                    "person_id": pid.gather(person),
                    "noise": label if label is not None else np.full(len(person), "", dtype=object),
                }
            )
        )

    # ------------------------------------------------------------------ PNC
    rec = t.pnc_records
    rp = rec["person"].to_numpy()
    f, s, d, lab = apply_identity_noise(
        rng,
        tally,
        "pnc",
        fore_all[rp],
        sur_all[rp],
        dob_all[rp],
        alt_all[rp],
        kinds=("typo", "swap", *DOB_KINDS),
    )
    forenames = np.array(
        [(a + " " + m).strip() for a, m in zip(f, mid_all[rp], strict=True)], dtype=object
    )
    has_cro = rng.random(len(rp)) < 0.4
    cro = cro_numbers(rng.integers(1, 999_999, len(rp)), rng.integers(0, 100, len(rp)))
    base = _df(
        {
            "person": rp,
            "PNC_ID": rec["pnc_id"],
            "CRO_NO": np.where(has_cro, cro, None),
            "NAME_SEQ": np.ones(len(rp), dtype=np.int64),
            "SURNAME": s,
            "FORENAMES": forenames,
            "DOB": d,
            "SEX": sex_all[rp],
            "ETHNICITY": np.where(rng.random(len(rp)) < 0.03, "NS", eth_all[rp]),
            "POSTCODE_DISTRICT": np.where(rng.random(len(rp)) < 0.05, None, pc_all[rp]),
        }
    )
    pick = exact_sample(rng, np.arange(len(rp)), tally.config.pnc.alias, len(rp))
    tally.add("pnc", "alias", len(rp), len(pick))
    alias = base[pick].with_columns(
        NAME_SEQ=pl.lit(2, dtype=pl.Int64),
        SURNAME=pl.Series(
            [a if a != b else a + "S" for a, b in zip(alt_all[rp[pick]], s[pick], strict=True)],
            dtype=pl.String,
        ),
    )
    nick_rows = base[pick].filter(
        pl.Series([x.split(" ")[0] in NICKNAMES for x in forenames[pick]], dtype=pl.Boolean)
    )
    nick_rows = nick_rows.with_columns(
        NAME_SEQ=pl.lit(3, dtype=pl.Int64),
        FORENAMES=pl.col("FORENAMES").map_elements(
            lambda x: NICKNAMES[x.split(" ")[0]], return_dtype=pl.String
        ),
    )
    names = pl.concat([base, alias, nick_rows]).sort(["PNC_ID", "NAME_SEQ"])
    lab_map = dict(zip(rec["pnc_id"].to_list(), lab.tolist(), strict=True))
    for i in pick.tolist():
        lab_map[rec["pnc_id"][i]] = (lab_map[rec["pnc_id"][i]] + "+alias").strip("+")
    occ_months = t.offences.select(
        pl.col("pnc_id").alias("PNC_ID"),
        delivery_month("disposal_date", first_month).alias("_month"),
    ).unique()
    person_rows = names.join(occ_months, on="PNC_ID").sort(["_month", "PNC_ID", "NAME_SEQ"])
    tables["pnc_person"] = person_rows.select("_month", *PNC_PERSON)
    record_map(
        "pnc",
        "pnc_person",
        rec["pnc_id"],
        rp,
        np.array([lab_map[x] for x in rec["pnc_id"].to_list()], dtype=object),
    )
    off = t.offences
    court = pl.format("MC{}", pl.col("la").cast(pl.String).str.zfill(3))
    tables["pnc_disposal"] = off.select(
        delivery_month("disposal_date", first_month).alias("_month"),
        pl.col("offence_id").alias("DISPOSAL_ID"),
        pl.col("pnc_id").alias("PNC_ID"),
        pl.when(pl.col("arrest_date") >= -100_000)
        .then(pl.col("arrest_date"))
        .otherwise(None)
        .alias("ARREST_DATE"),
        pl.col("offence_date").alias("OFFENCE_DATE"),
        pl.col("cjs_code").alias("CJS_CODE"),
        pl.col("ho_class").alias("HO_CLASS"),
        pl.col("disposal_type").alias("DISPOSAL_TYPE"),
        pl.col("disposal_date").alias("DISPOSAL_DATE"),
        pl.when(pl.col("disposal_type") == "CONV").then(court).otherwise(None).alias("COURT_CODE"),
        pl.col("result_code").alias("RESULT_CODE"),
        pl.when(pl.col("result_code").is_in(["1002", "1115"]))
        .then(pl.col("sentence"))
        .otherwise(None)
        .alias("SENTENCE_DAYS"),
        pl.when(pl.col("drr")).then(pl.lit("Y")).otherwise(None).alias("DRR"),
    ).sort(["_month", "DISPOSAL_ID"])
    record_map("pnc", "pnc_disposal", off["offence_id"], off["person"].to_numpy())

    def pnc_at(frame: pl.DataFrame, date_col: str) -> pl.Series:
        """The PNC ID each record's person had on the record's date (null when none yet)."""
        j = (
            frame.with_row_index("_r")
            .sort(["person", date_col])
            .join_asof(
                rec.select("person", pl.col("created").alias("_from"), "pnc_id").sort(
                    ["person", "_from"]
                ),
                left_on=date_col,
                right_on="_from",
                by="person",
                strategy="backward",
                check_sortedness=False,
            )
            .sort("_r")
        )
        return j["pnc_id"]

    # ------------------------------------------------------------------ DIR
    tri = t.triages
    tp = tri["person"].to_numpy()
    f, s, d, lab = apply_identity_noise(
        rng,
        tally,
        "dir",
        _title(fore_all[tp]),
        _title(sur_all[tp]),
        dob_all[tp],
        _title(alt_all[tp]),
    )
    pnc = pnc_at(tri, "date")
    gone = missing(rng, tally, "dir", pnc.is_not_null().to_numpy())
    subs = _substances(t, tp, rng)
    no_use = ~tri["need"].to_numpy() & (rng.random(len(tp)) < 0.5)
    for k in subs:
        subs[k] = np.where(no_use, None, subs[k])
    prison_codes = places.prison_code
    tables["dir_triage"] = _df(
        {
            "_month": tri.select(delivery_month("date", first_month)).to_series(),
            "DIR_ID": tri["triage_id"],
            "TRIAGE_DATE": tri["date"],
            "ESTABLISHMENT": prison_codes[tri["prison"].to_numpy()],
            "SURNAME": s,
            "FORENAME": f,
            "DOB": d,
            "SEX": sex_all[tp],
            "ETHNICITY": eth_all[tp],
            "PRISON_NUMBER": pn_all[tp],
            "PNC_ID": np.where(gone, None, pnc.to_numpy()),
            **subs,
            "INJECTING_STATUS": ppl["injecting"].to_numpy()[tp],
            "TREATMENT_NEED": np.where(tri["need"].to_numpy(), "Y", "N"),
            "CARE_PLANNED": np.where(tri["care_planned"].to_numpy(), "Y", "N"),
            "PRISON_MODALITY": np.select(
                [
                    tri["ost"].to_numpy() & tri["psy"].to_numpy(),
                    tri["ost"].to_numpy(),
                    tri["psy"].to_numpy(),
                ],
                ["OST+PSY", "OST", "PSY"],
                None,
            ),
            "PLANNED_RELEASE_DATE": tri["planned_release"].to_numpy()
            + rng.integers(-3, 4, len(tp)) * (rng.random(len(tp)) < 0.2),
        }
    ).sort(["_month", "DIR_ID"])
    record_map("dir_triage", "dir_triage", tri["triage_id"], tp, lab)

    rel = t.releases
    rp_ = rel["person"].to_numpy()
    f, s, d, lab = apply_identity_noise(
        rng,
        tally,
        "dir",
        _title(fore_all[rp_]),
        _title(sur_all[rp_]),
        dob_all[rp_],
        _title(alt_all[rp_]),
    )
    pnc = pnc_at(rel, "date")
    gone = missing(rng, tally, "dir", pnc.is_not_null().to_numpy())
    community = (rel["release_type"] != "TRANSFER").to_numpy() & (
        rel["release_type"] != "DEPORTED"
    ).to_numpy()
    intreat = rel["in_treatment"].to_numpy()
    referred = community & (intreat | (rel["need"].to_numpy() & (rng.random(len(rp_)) < 0.5)))
    dest = rel["la"].fill_null(-1).to_numpy()
    tables["dir_release"] = _df(
        {
            "_month": rel.select(delivery_month("date", first_month)).to_series(),
            "RELEASE_ID": rel["release_key"],
            "DIR_ID": rel["triage_id"],
            "RELEASE_DATE": rel["date"],
            "ESTABLISHMENT": prison_codes[rel["prison"].to_numpy()],
            "SURNAME": s,
            "FORENAME": f,
            "DOB": d,
            "SEX": sex_all[rp_],
            "PRISON_NUMBER": pn_all[rp_],
            "PNC_ID": np.where(gone, None, pnc.to_numpy()),
            "RELEASE_TYPE": rel["release_type"],
            "IN_TREATMENT": np.where(intreat, "Y", "N"),
            "REFERRED": np.where(referred, "Y", "N"),
            "REFERRAL_LA": np.where(
                referred & (dest >= 0), places.la_code[np.maximum(dest, 0)], None
            ),
            "POSTCODE_DISTRICT": np.where(community, pc_all[rp_], None),
        }
    ).sort(["_month", "RELEASE_ID"])
    record_map("dir_release", "dir_release", rel["release_key"], rp_, lab)

    # ------------------------------------------------------------------ OASys
    a = t.assessments.sort(["date", "person", "type"])
    a = a.with_columns(assessment_id=sequential_ids("OAS", a.height, 8, t.chunk))
    ap = a["person"].to_numpy()
    f, s, d, lab = apply_identity_noise(
        rng, tally, "oasys", fore_all[ap], sur_all[ap], dob_all[ap], alt_all[ap]
    )
    pnc = pnc_at(a, "date")
    gone = missing(rng, tally, "oasys", pnc.is_not_null().to_numpy())
    pk = ppl["offender_pk"].to_numpy()
    custody = a["prison"].to_numpy() >= 0
    sections = [
        "accommodation",
        "alcohol",
        "attitudes",
        "drugs",
        "emotional_wellbeing",
        "ete",
        "finance",
        "lifestyle",
        "relationships",
        "thinking_behaviour",
    ]
    flat = _df(
        {
            "_month": a.select(delivery_month("date", first_month)).to_series(),
            "assessment_date": a.select(to_date("date").dt.strftime("%Y-%m-%d"))["date"],
            "assessment_id": a["assessment_id"],
            "assessment_type": a["type"],
            "establishment_code": np.where(
                custody, prison_codes[np.maximum(a["prison"].to_numpy(), 0)], None
            ),
            "ho_class": a["index_ho_class"],
            "ogrs3_category": a["ogrs3_category"],
            "crn": ppl["crn"].to_numpy()[ap],
            "dob": pl.Series(d).cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d"),
            "ethnicity": eth_all[ap],
            "forename": f,
            "offender_pk": pk[ap],
            "pnc_id": np.where(gone, None, pnc.to_numpy()),
            "prison_number": np.where(custody, pn_all[ap], None),
            "sex": sex_all[ap],
            "surname": s,
            "p1": a["ogrs3_p1"],
            "p2": a["ogrs3_p2"],
            "probation_region": places.la_region[_home_la(t, places, ap)],
        }
    )
    for sec in sections:
        flat = flat.with_columns(
            pl.struct(
                a[f"{sec}_linked"].alias("linked_to_reoffending"),
                a[f"{sec}_need"].alias("need"),
                a[f"{sec}_score"].cast(pl.Int64).alias("score"),
            ).alias(sec)
        )
    tables["oasys_assessment"] = flat.select(
        "_month",
        "assessment_date",
        "assessment_id",
        "assessment_type",
        "establishment_code",
        pl.struct("ho_class", "ogrs3_category").alias("index_offence"),
        pl.struct(
            "crn",
            "dob",
            "ethnicity",
            "forename",
            "offender_pk",
            "pnc_id",
            "prison_number",
            "sex",
            "surname",
        ).alias("offender"),
        pl.struct("p1", "p2").alias("ogrs3"),
        "probation_region",
        pl.struct(*sections).alias("sections"),
    ).sort(["_month", "assessment_id"])
    record_map("oasys", "oasys_assessment", a["assessment_id"], ap, lab)

    # ------------------------------------------------------------------ NDTMS
    ep = t.episodes
    secure = (ep["setting"] == "SECURE").to_numpy()
    agency = np.where(
        secure,
        np.char.add("AS", prison_codes[np.maximum(ep["prison"].to_numpy(), 0)].astype(str)),
        np.char.add("AC", np.char.zfill(ep["la"].to_numpy().astype(str), 3)),
    )
    ep = ep.with_columns(agency=pl.Series(agency))
    ep = ep.with_columns(n_at=pl.int_range(pl.len()).over(["person", "agency"]))
    repeat = np.flatnonzero(ep["n_at"].to_numpy() > 0)
    dup = exact_sample(rng, repeat, tally.config.ndtms.duplicate, len(repeat))
    tally.add("ndtms", "duplicate", len(repeat), len(dup))
    new_client = ep["n_at"].to_numpy() == 0
    new_client[dup] = True
    # a client id is (person, agency, generation): a duplicate starts a new generation
    gen = pl.Series(new_client.astype(np.int64))
    ep = ep.with_columns(_new=gen).with_columns(
        gen=pl.col("_new").cum_sum().over(["person", "agency"])
    )
    clients = ep.filter(pl.col("_new") == 1).select(
        "person", "agency", "gen", "start", "la", "setting"
    )
    clients = clients.with_columns(
        client_id=pl.format("{}-{}", "agency", sequential_ids("", clients.height, 8, t.chunk))
    )
    ep = ep.join(
        clients.select("person", "agency", "gen", "client_id"),
        on=["person", "agency", "gen"],
        how="left",
    )
    cp = clients["person"].to_numpy()
    f, s, d, lab = apply_identity_noise(
        rng,
        tally,
        "ndtms",
        fore_all[cp],
        sur_all[cp],
        dob_all[cp],
        alt_all[cp],
        kinds=("nickname", "swap", *DOB_KINDS),
    )
    kids = ppl["children_living_with"].to_numpy()[cp]
    parent = ppl["parent"].to_numpy()[cp]
    declined = rng.random(len(cp)) < 0.03
    prnt = np.where(declined, "14", np.where(kids > 0, "11", np.where(parent, "12", "13")))
    home = _home_la(t, places, cp)
    tables["ndtms_client"] = _df(
        {
            "_month": clients.select(delivery_month("start", first_month)).to_series(),
            "CLIENTID": clients["client_id"],
            "AGNCY": clients["agency"],
            "FINITIAL": [_initial(x) for x in f],
            "SINITIAL": [_initial(x) for x in s],
            "DOB": d,
            "SEX": sex_all[cp],
            "ETHNIC": [PNC_TO_NDTMS_ETHNIC[e] for e in eth_all[cp]],
            "LA": places.la_code[
                np.where(clients["setting"].to_numpy() == "SECURE", home, clients["la"].to_numpy())
            ],
            "PC": pc_all[cp],
            "PRNTSTAT": prnt,
            "CHILDWTH": np.where(declined, None, kids),
        }
    ).sort(["_month", "CLIENTID"])
    record_map("ndtms", "ndtms_client", clients["client_id"], cp, lab)
    record_map("ndtms", "ndtms_episode", ep["episode_id"], ep["person"].to_numpy())

    # episodes: delivered when opened and again when closed (latest delivery wins)
    subs = _substances(t, ep["person"].to_numpy(), rng)
    cplan = ep["start"].to_numpy() + rng.integers(0, 15, ep.height)
    ep = ep.with_columns(
        cplan=pl.Series(cplan),
        drug1=pl.Series(subs["SUBSTANCE_1"].tolist(), dtype=pl.String),
        drug2=pl.Series(subs["SUBSTANCE_2"].tolist(), dtype=pl.String),
        drug3=pl.Series(subs["SUBSTANCE_3"].tolist(), dtype=pl.String),
        injstat=pl.Series(ppl["injecting"].to_numpy()[ep["person"].to_numpy()]),
        estab=pl.Series(
            np.where(secure, prison_codes[np.maximum(ep["prison"].to_numpy(), 0)], None),
            dtype=pl.String,
        ),
    ).with_columns(
        cplan=pl.when(pl.col("end").is_not_null() & (pl.col("cplan") > pl.col("end")))
        .then(pl.col("end"))
        .otherwise(pl.col("cplan"))
    )
    ep = ep.with_columns(cplan=pl.when(pl.col("cplan") > end).then(None).otherwise(pl.col("cplan")))
    m_open = delivery_month("start", first_month)
    m_close = delivery_month("end", first_month)
    ep = ep.with_columns(m_open=m_open, m_close=m_close)

    def episode_rows(frame: pl.DataFrame, month: str, final: bool) -> pl.DataFrame:
        closed = pl.lit(final)
        cplan_ok = pl.col("cplan").is_not_null() & (month_of("cplan") <= pl.col(month))
        return frame.select(
            pl.col(month).alias("_month"),
            pl.col("episode_id").alias("EPISODID"),
            pl.col("client_id").alias("CLIENTID"),
            pl.col("agency").alias("AGNCY"),
            pl.col("setting").alias("SETTING"),
            pl.col("estab").alias("ESTAB"),
            pl.col("rfls").alias("RFLS"),
            pl.col("start").alias("TRIAGED"),
            pl.when(cplan_ok).then(pl.col("cplan")).otherwise(None).alias("CPLANDT"),
            pl.col("drug1").alias("DRUG1"),
            pl.col("drug2").alias("DRUG2"),
            pl.col("drug3").alias("DRUG3"),
            pl.col("injstat").alias("INJSTAT"),
            pl.when(closed).then(pl.col("end")).otherwise(None).alias("DISD"),
            pl.when(closed).then(pl.col("reason").cast(pl.String)).otherwise(None).alias("DISRSN"),
            pl.when(closed & pl.col("submod")).then(pl.lit("Y")).otherwise(None).alias("SUBMOD"),
        )

    same = ep["m_close"].is_not_null() & (ep["m_close"] == ep["m_open"])
    first_rows = episode_rows(ep.filter(~same), "m_open", False)
    final_rows = episode_rows(ep.filter(pl.col("m_close").is_not_null()), "m_close", True)
    tables["ndtms_episode"] = pl.concat([first_rows, final_rows]).sort(["_month", "EPISODID"])

    mod = t.modalities
    mod = mod.with_columns(
        m_open=delivery_month("start", first_month), m_close=delivery_month("end", first_month)
    )

    def modality_rows(frame: pl.DataFrame, month: str, final: bool) -> pl.DataFrame:
        return frame.select(
            pl.col(month).alias("_month"),
            pl.col("modality_id").alias("MODID"),
            pl.col("episode_id").alias("EPISODID"),
            pl.col("modality").alias("MODAL"),
            pl.col("intcode").alias("INTCODE"),
            pl.col("referral_date").alias("REFMODDT"),
            pl.col("start").alias("MODST"),
            pl.when(pl.lit(final)).then(pl.col("end")).otherwise(None).alias("MODEND"),
            pl.when(pl.lit(final))
            .then(pl.col("exit").cast(pl.String))
            .otherwise(None)
            .alias("MODEXIT"),
        )

    same = mod["m_close"].is_not_null() & (mod["m_close"] == mod["m_open"])
    tables["ndtms_modality"] = pl.concat(
        [
            modality_rows(mod.filter(~same), "m_open", False),
            modality_rows(mod.filter(pl.col("m_close").is_not_null()), "m_close", True),
        ]
    ).sort(["_month", "MODID"])
    top = t.tops
    tables["ndtms_top"] = top.select(
        delivery_month("top_date", first_month).alias("_month"),
        pl.col("top_id").alias("TOPID"),
        pl.col("episode_id").alias("EPISODID"),
        pl.col("top_date").alias("TOPDATE"),
        pl.col("stage").alias("TRSTAGE"),
        *(
            pl.col(c).alias(c.upper())
            for c in ("opiuse", "crause", "cocause", "ampuse", "canuse", "alcuse", "ivdrguse")
        ),
        _yn(pl.col("sharing")).alias("SHARING"),
        *(
            pl.col(c).alias(c.upper())
            for c in ("shotheft", "drgsell", "psyhstat", "phstat", "quallife", "pwork", "educ")
        ),
        _yn(pl.col("acuthpblm")).alias("ACUTHPBLM"),
        _yn(pl.col("hrskevict")).alias("HRSKEVICT"),
    ).sort(["_month", "TOPID"])

    # ------------------------------------------------------------------ rMDT
    tests = t.tests.with_columns(test_id=sequential_ids("MDT", t.tests.height, 9, t.chunk))
    tp = tests["person"].to_numpy()
    tested = pl.col("status") == "TESTED"
    tables["rmdt_test"] = tests.select(
        month_of("test_date").alias("_month"),
        pl.col("test_id").alias("TEST_ID"),
        pl.Series("ESTABLISHMENT", prison_codes[tests["prison"].to_numpy()]),
        pl.col("test_date").alias("TEST_DATE"),
        pl.col("reason").alias("REASON"),
        pl.Series("PRISON_NUMBER", pn_all[tp]),
        pl.col("status").alias("SAMPLE_STATUS"),
        *(
            pl.when(tested)
            .then(pl.when(pl.col(c)).then(pl.lit("POS")).otherwise(pl.lit("NEG")))
            .otherwise(None)
            .alias(c.upper())
            for c in (
                "opiates",
                "cannabis",
                "cocaine",
                "benzodiazepines",
                "buprenorphine",
                "psychoactive",
            )
        ),
    )
    record_map("rmdt", "rmdt_test", tests["test_id"], tp)
    t.tests = tests
    t.assessments = a
    return Extracts(
        tables=tables,
        record_map=pl.concat(maps),
        episode_clients=ep.select("episode_id", "client_id", "agency"),
    )


def _home_la(t: Truth, places: Places, person: np.ndarray) -> np.ndarray:
    index = {c: i for i, c in enumerate(places.la_code)}
    codes = t.people["la_code"].to_numpy()[person]
    return np.array([index[c] for c in codes], dtype=np.int64)
