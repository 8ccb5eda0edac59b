"""Shape validated rows into ``raw.<table>`` (pseudonymised) and ``identity.person_records``."""

from __future__ import annotations

import polars as pl

from pipelines.ingest.contracts import IDENTITY_COLUMNS, Contract, Field
from pipelines.ingest.readers import ROW
from pipelines.ingest.validate import Validated, clean_col, valid_col
from pipelines.pseudonymise import keyed_hash


def hash_domain(f: Field) -> str:
    """HMAC domain of an identifier: the identity column it feeds (``pnc_id``...) or its name."""
    return f.identity or f.col


def hash_series(values: pl.Series, key: str, domain: str) -> pl.Series:
    """``keyed_hash`` of every value, computed once per distinct value."""
    distinct = values.drop_nulls().unique().to_list()
    mapping = {v: keyed_hash(key, v, domain=domain) for v in distinct}
    return values.replace_strict(mapping, default=None, return_dtype=pl.String)


def _record_key(v: Validated, contract: Contract, key: str) -> pl.Series:
    ids = v.rows[clean_col(contract.get(contract.record_id))]
    return hash_series(ids, key, f"record:{contract.record_source}")


def _lineage(v: Validated, month: str, rel_path: str) -> list[pl.Expr]:
    return [
        pl.lit(month).alias("_delivery_month"),
        pl.lit(rel_path).alias("_source_file"),
        pl.col(ROW).alias("_row_number"),
    ]


def to_raw(v: Validated, contract: Contract, key: str, month: str, rel_path: str) -> pl.DataFrame:
    """Typed rows for ``raw.<table>``: identifiers hashed, names dropped, DOB as year and month."""
    rows = v.rows
    exprs: list[pl.Expr | pl.Series] = []
    if contract.record_source:
        exprs.append(_record_key(v, contract, key).alias("record_key"))
    for f in contract.fields:
        if f.privacy == "hash":
            hashed = hash_series(rows[clean_col(f)], key, hash_domain(f))
            exprs.append(hashed.alias(f"{f.col}_hash"))
        elif f.privacy == "dob":
            exprs += [
                pl.col(f.col).dt.year().cast(pl.Int32).alias("birth_year"),
                pl.col(f.col).dt.month().cast(pl.Int32).alias("birth_month"),
            ]
        elif f.privacy is None:
            exprs.append(pl.col(f.col))
    out = rows.select(*exprs, *_lineage(v, month, rel_path))
    return out.select(list(contract.raw_columns))


def _first_word(col: pl.Expr) -> pl.Expr:
    return col.str.extract(r"^(\S+)", 1)


def _rest_words(col: pl.Expr) -> pl.Expr:
    rest = col.str.extract(r"^\S+\s+(.+)$", 1)
    return pl.when(rest.str.len_chars() > 0).then(rest)


def to_identity(
    v: Validated, contract: Contract, key: str, month: str, rel_path: str
) -> pl.DataFrame:
    """One ``identity.person_records`` row per loaded row, clear identifiers as delivered."""
    rows = v.rows
    cols: dict[str, pl.Expr | pl.Series] = {
        "source": pl.lit(contract.record_source),
        "record_key": _record_key(v, contract, key),
        "record_id": pl.col(clean_col(contract.get(contract.record_id))),
    }
    by_target = {f.identity: f for f in contract.fields if f.identity}
    for target, f in by_target.items():
        text = pl.col(clean_col(f))
        if target in ("forenames", "forename"):
            cols["forename"] = _first_word(text)
            cols["middle_names"] = _rest_words(text)
        elif target in ("dob", "name_seq"):
            cols[target] = pl.col(f.col)
        elif target in ("finitial", "sinitial"):
            continue
        else:
            cols[target] = text
        if target == "pnc_id":
            cols["pnc_id_valid"] = pl.col(valid_col(f))
    if "finitial" in by_target:
        f_, s_ = (
            pl.col(clean_col(by_target[t])).str.to_uppercase() for t in ("finitial", "sinitial")
        )
        cols["initials"] = pl.concat_str([f_.fill_null(""), s_.fill_null("")])
    elif "surname" in by_target:
        first = pl.col("forename").str.slice(0, 1).fill_null("")
        last = pl.col(clean_col(by_target["surname"])).str.slice(0, 1).fill_null("")
        cols["initials"] = pl.concat_str([first, last]).str.to_uppercase()
    if contract.event_date:
        cols["event_date"] = pl.col(contract.get(contract.event_date).col)
    out = rows.with_columns(**{k: v for k, v in cols.items() if k != "initials"})
    if "initials" in cols:
        out = out.with_columns(initials=cols["initials"])
    out = out.with_columns(_lineage(v, month, rel_path))
    return out.select(
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(_POLARS[t]).alias(c)
        for c, t in IDENTITY_COLUMNS.items()
    )


_POLARS = {
    "VARCHAR": pl.String,
    "INTEGER": pl.Int32,
    "DATE": pl.Date,
    "BOOLEAN": pl.Boolean,
}
