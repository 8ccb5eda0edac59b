"""PNC: person records (one row per name, aliases and nicknames repeating the PNC ID) and
disposals."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.synthetic.extracts.context import Context, frame
from pipelines.synthetic.identifiers import cro_numbers
from pipelines.synthetic.noise import DOB_KINDS, exact_sample
from pipelines.synthetic.reference import NICKNAMES


def pnc(ctx: Context) -> None:
    """Deliver ``pnc_person`` and ``pnc_disposal``."""
    _persons(ctx)
    _disposals(ctx)


def _persons(ctx: Context) -> None:
    """Deliver ``pnc_person``: each name on a record, in every month a disposal is."""
    rng, tally = ctx.rng, ctx.tally
    rec = ctx.t.pnc_records
    rp = rec["person"].to_numpy()
    n = len(rp)
    f, s, d, lab = ctx.noisy_identity("pnc", rp, kinds=("typo", "swap", *DOB_KINDS))
    middle = ctx.person("middle_names", rp).astype(object)
    forenames = np.array([(a + " " + m).strip() for a, m in zip(f, middle, strict=True)], object)
    has_cro = rng.random(n) < 0.4
    cro = cro_numbers(rng.integers(1, 999_999, n), rng.integers(0, 100, n))
    base = frame(
        {
            "person": rp,
            "PNC_ID": rec["pnc_id"],
            "CRO_NO": np.where(has_cro, cro, None),
            "NAME_SEQ": np.ones(n, dtype=np.int64),
            "SURNAME": s,
            "FORENAMES": forenames,
            "DOB": d,
            "SEX": ctx.person("sex", rp),
            "ETHNICITY": np.where(rng.random(n) < 0.03, "NS", ctx.person("ethnicity", rp)),
            "POSTCODE_DISTRICT": np.where(
                rng.random(n) < 0.05, None, ctx.person("postcode_district", rp)
            ),
        }
    )
    pick = exact_sample(rng, np.arange(n), tally.config.pnc.alias, n)
    tally.add("pnc", "alias", n, len(pick))
    alias_surnames = ctx.person("alias_surname", rp[pick]).astype(object)
    other = _other_names(base[pick], alias_surnames, s[pick], forenames[pick])
    names = pl.concat([base, *other]).sort(["PNC_ID", "NAME_SEQ"])
    # a person's rows are delivered again in every month one of their disposals is
    occ_months = ctx.t.offences.select(
        pl.col("pnc_id").alias("PNC_ID"), ctx.month("disposal_date").alias("_month")
    ).unique()
    ctx.tables["pnc_person"] = (
        names.join(occ_months, on="PNC_ID").sort(["_month", "PNC_ID", "NAME_SEQ"]).drop("person")
    )
    labels = dict(zip(rec["pnc_id"].to_list(), lab.tolist(), strict=True))
    for i in pick.tolist():
        labels[rec["pnc_id"][i]] = (labels[rec["pnc_id"][i]] + "+alias").strip("+")
    label = np.array([labels[x] for x in rec["pnc_id"].to_list()], dtype=object)
    ctx.map_records("pnc", "pnc_person", rec["pnc_id"], rp, label)


def _other_names(
    rows: pl.DataFrame, alias_surnames: np.ndarray, surnames: np.ndarray, forenames: np.ndarray
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Alias rows (``NAME_SEQ`` 2, another surname) for ``rows``, and nickname rows
    (``NAME_SEQ`` 3) for those whose first forename has one."""
    alias = rows.with_columns(
        NAME_SEQ=pl.lit(2, dtype=pl.Int64),
        SURNAME=pl.Series(
            [a if a != b else a + "S" for a, b in zip(alias_surnames, surnames, strict=True)],
            dtype=pl.String,
        ),
    )
    nicknamed = pl.Series([x.split(" ")[0] in NICKNAMES for x in forenames], dtype=pl.Boolean)
    nick = rows.filter(nicknamed).with_columns(
        NAME_SEQ=pl.lit(3, dtype=pl.Int64),
        FORENAMES=pl.col("FORENAMES").map_elements(
            lambda x: NICKNAMES[x.split(" ")[0]], return_dtype=pl.String
        ),
    )
    return alias, nick


def _disposals(ctx: Context) -> None:
    off = ctx.t.offences
    court = pl.format("MC{}", pl.col("la").cast(pl.String).str.zfill(3))
    ctx.tables["pnc_disposal"] = off.select(
        ctx.month("disposal_date").alias("_month"),
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
    ctx.map_records("pnc", "pnc_disposal", off["offence_id"], off["person"].to_numpy())
