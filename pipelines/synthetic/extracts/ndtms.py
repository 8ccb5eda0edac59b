"""NDTMS: clients (one per person and agency, duplicated now and then), episodes and
interventions (delivered when opened and again when closed) and TOP forms."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import numpy as np
import polars as pl

from pipelines.synthetic.dates import month_of
from pipelines.synthetic.extracts.context import Context, frame, problem_substances
from pipelines.synthetic.identifiers import sequential_ids
from pipelines.synthetic.noise import DOB_KINDS, exact_sample
from pipelines.synthetic.reference import PNC_TO_NDTMS_ETHNIC


def ndtms(ctx: Context) -> pl.DataFrame:
    """Deliver the four NDTMS tables; returns each episode's ``client_id`` and ``agency``."""
    ep = _with_clients(ctx, ctx.t.episodes)
    episode_clients = ep.select("episode_id", "client_id", "agency")
    _episodes(ctx, ep)
    _modalities(ctx)
    _tops(ctx)
    return episode_clients


def _with_clients(ctx: Context, ep: pl.DataFrame) -> pl.DataFrame:
    """Episodes with their agency and client id; delivers ``ndtms_client``.

    A client id is (person, agency, generation): a duplicate starts a new generation.
    """
    rng, tally, places = ctx.rng, ctx.tally, ctx.places
    secure = (ep["setting"] == "SECURE").to_numpy()
    agency = np.where(
        secure,
        np.char.add("AS", places.prison_code[np.maximum(ep["prison"].to_numpy(), 0)].astype(str)),
        np.char.add("AC", np.char.zfill(ep["la"].to_numpy().astype(str), 3)),
    )
    ep = ep.with_columns(agency=pl.Series(agency))
    ep = ep.with_columns(n_at=pl.int_range(pl.len()).over(["person", "agency"]))
    repeat = np.flatnonzero(ep["n_at"].to_numpy() > 0)
    dup = exact_sample(rng, repeat, tally.config.ndtms.duplicate, len(repeat))
    tally.add("ndtms", "duplicate", len(repeat), len(dup))
    new_client = ep["n_at"].to_numpy() == 0
    new_client[dup] = True
    ep = ep.with_columns(_new=pl.Series(new_client.astype(np.int64))).with_columns(
        gen=pl.col("_new").cum_sum().over(["person", "agency"])
    )
    clients = ep.filter(pl.col("_new") == 1).select(
        "person", "agency", "gen", "start", "la", "setting"
    )
    clients = clients.with_columns(
        client_id=pl.format("{}-{}", "agency", sequential_ids("", clients.height, 8, ctx.t.chunk))
    )
    _clients(ctx, clients)
    return ep.join(
        clients.select("person", "agency", "gen", "client_id"),
        on=["person", "agency", "gen"],
        how="left",
    )


def _clients(ctx: Context, clients: pl.DataFrame) -> None:
    rng, places = ctx.rng, ctx.places
    cp = clients["person"].to_numpy()
    f, s, d, lab = ctx.noisy_identity("ndtms", cp, kinds=("nickname", "swap", *DOB_KINDS))
    kids = ctx.person("children_living_with", cp)
    parent = ctx.person("parent", cp)
    declined = rng.random(len(cp)) < 0.03
    prnt = np.where(declined, "14", np.where(kids > 0, "11", np.where(parent, "12", "13")))
    secure = clients["setting"].to_numpy() == "SECURE"
    ctx.tables["ndtms_client"] = frame(
        {
            "_month": clients.select(ctx.month("start")).to_series(),
            "CLIENTID": clients["client_id"],
            "AGNCY": clients["agency"],
            "FINITIAL": [_initial(x) for x in f],
            "SINITIAL": [_initial(x) for x in s],
            "DOB": d,
            "SEX": ctx.person("sex", cp),
            "ETHNIC": [PNC_TO_NDTMS_ETHNIC[e] for e in ctx.person("ethnicity", cp)],
            "LA": places.la_code[np.where(secure, ctx.home_la(cp), clients["la"].to_numpy())],
            "PC": ctx.person("postcode_district", cp),
            "PRNTSTAT": prnt,
            "CHILDWTH": np.where(declined, None, kids),
        }
    ).sort(["_month", "CLIENTID"])
    ctx.map_records("ndtms", "ndtms_client", clients["client_id"], cp, lab)


def _episodes(ctx: Context, ep: pl.DataFrame) -> None:
    """Deliver ``ndtms_episode``: each episode when opened and again when closed."""
    rng, places = ctx.rng, ctx.places
    ctx.map_records("ndtms", "ndtms_episode", ep["episode_id"], ep["person"].to_numpy())
    drugs = [codes for codes, _, _ in problem_substances(ctx.t, ep["person"].to_numpy(), rng)]
    cplan = ep["start"].to_numpy() + rng.integers(0, 15, ep.height)
    secure = (ep["setting"] == "SECURE").to_numpy()
    ep = ep.with_columns(
        cplan=pl.Series(cplan),
        drug1=pl.Series(drugs[0].tolist(), dtype=pl.String),
        drug2=pl.Series(drugs[1].tolist(), dtype=pl.String),
        drug3=pl.Series(drugs[2].tolist(), dtype=pl.String),
        injstat=pl.Series(ctx.person("injecting", ep["person"].to_numpy())),
        estab=pl.Series(
            np.where(secure, places.prison_code[np.maximum(ep["prison"].to_numpy(), 0)], None),
            dtype=pl.String,
        ),
    ).with_columns(
        cplan=pl.when(pl.col("end").is_not_null() & (pl.col("cplan") > pl.col("end")))
        .then(pl.col("end"))
        .otherwise(pl.col("cplan"))
    )
    ep = ep.with_columns(
        cplan=pl.when(pl.col("cplan") > ctx.end).then(None).otherwise(pl.col("cplan")),
        m_open=ctx.month("start"),
        m_close=ctx.month("end"),
    )
    ctx.tables["ndtms_episode"] = _opened_and_closed(ep, _episode_rows).sort(["_month", "EPISODID"])


def _episode_rows(frame: pl.DataFrame, month: str, final: bool) -> pl.DataFrame:
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


def _modalities(ctx: Context) -> None:
    """Deliver ``ndtms_modality``: each intervention when started and again when ended."""
    mod = ctx.t.modalities.with_columns(m_open=ctx.month("start"), m_close=ctx.month("end"))
    ctx.tables["ndtms_modality"] = _opened_and_closed(mod, _modality_rows).sort(["_month", "MODID"])


def _modality_rows(frame: pl.DataFrame, month: str, final: bool) -> pl.DataFrame:
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


def _opened_and_closed(
    records: pl.DataFrame, rows: Callable[[pl.DataFrame, str, bool], pl.DataFrame]
) -> pl.DataFrame:
    """Rows as delivered when opened (unless closed the same month) and when closed."""
    same = records["m_close"].is_not_null() & (records["m_close"] == records["m_open"])
    return pl.concat(
        [
            rows(records.filter(~same), "m_open", False),
            rows(records.filter(pl.col("m_close").is_not_null()), "m_close", True),
        ]
    )


def _tops(ctx: Context) -> None:
    ctx.tables["ndtms_top"] = ctx.t.tops.select(
        ctx.month("top_date").alias("_month"),
        pl.col("top_id").alias("TOPID"),
        pl.col("episode_id").alias("EPISODID"),
        pl.col("top_date").alias("TOPDATE"),
        pl.col("stage").alias("TRSTAGE"),
        *(
            pl.col(c).alias(c.upper())
            for c in ("opiuse", "crause", "cocause", "ampuse", "canuse", "alcuse", "ivdrguse")
        ),
        _yn("sharing"),
        *(
            pl.col(c).alias(c.upper())
            for c in ("shotheft", "drgsell", "psyhstat", "phstat", "quallife", "pwork", "educ")
        ),
        _yn("acuthpblm"),
        _yn("hrskevict"),
    ).sort(["_month", "TOPID"])


def _yn(flag: str) -> pl.Expr:
    return pl.when(pl.col(flag)).then(pl.lit("Y")).otherwise(pl.lit("N")).alias(flag.upper())


def _initial(name: str) -> str:
    """First letter of a name, folded to A-Z (``Ó`` -> ``O``)."""
    letter = unicodedata.normalize("NFKD", name.strip()[:1])[:1].upper()
    return letter if "A" <= letter <= "Z" else "X"
