"""Shape validated rows into ``raw.<table>`` (pseudonymised) and ``identity.person_records``."""

from __future__ import annotations

import hashlib
import threading

import duckdb
import polars as pl

from pipelines.contracts.deliveries import IDENTITY_COLUMNS, Contract, Field
from pipelines.ingest.readers import ROW
from pipelines.ingest.validate import Validated, clean_col, valid_col
from pipelines.pseudonymise import normalise


def hash_domain(f: Field) -> str:
    """HMAC domain of an identifier: its declared domain (an id shared by two tables), the
    identity column it feeds (``pnc_id``...) or its name."""
    return f.domain or f.identity or f.col


#: SHA-256 block size: HMAC keys are padded (or first hashed) to this many bytes.
BLOCK_BYTES = 64
#: DuckDB memory limit of a hasher's own connection: hashing is a streaming projection (no
#: operator state), so this bounds only DuckDB's buffers, far below the run's per-connection limit.
HASH_MEMORY_LIMIT = "1GB"


class KeyedHasher:
    """``pipelines.pseudonymise.keyed_hash`` for whole columns, computed once per distinct value.

    The keyed HMAC-SHA256 is computed by DuckDB over each column of new distinct values, and
    printable-ASCII values are normalised with polars; the output is identical to
    ``keyed_hash(key, value, domain=domain)``.
    """

    def __init__(self, key: str) -> None:
        # HMAC (RFC 2104) spelt out as two SHA-256 passes over padded keys, computed by DuckDB over
        # whole columns (on all threads: about four times faster than hashlib value by value)
        block = key.encode()
        if len(block) > BLOCK_BYTES:
            block = hashlib.sha256(block).digest()
        block = block.ljust(BLOCK_BYTES, b"\0")
        self._pads = {
            "inner": bytes(b ^ 0x36 for b in block),
            "outer": bytes(b ^ 0x5C for b in block),
        }
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the hasher's in-memory database (opened on first use)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                if self._con is None:
                    self._con = duckdb.connect(config={"memory_limit": HASH_MEMORY_LIMIT})
                cursor = self._local.cursor = self._con.cursor()
        return cursor

    def _hex(self, domain: str, texts: pl.Series) -> pl.Series:
        con = self._cursor()
        con.register("texts", texts.rename("text").to_frame())
        try:
            hashed = con.sql(
                "SELECT sha256($outer::BLOB"
                " || unhex(sha256($inner::BLOB || encode($prefix || text)))) AS hash FROM texts",
                params={**self._pads, "prefix": f"{domain}|"},
            ).pl()
        finally:
            con.unregister("texts")
        return hashed["hash"].cast(pl.String)

    def hash(self, values: pl.Series, domain: str) -> pl.Series:
        """Keyed hashes of ``values`` (nulls and blanks stay null), in the same order.

        Each distinct value is hashed once per call. Nothing is remembered between calls: a
        month's ids are mostly new, and joining each month to a growing lookup of earlier
        months' hashes cost more than hashing its repeats again.
        """
        distinct = values.drop_nulls().unique().to_frame("value")
        ascii_ = distinct["value"].str.contains(r"^[\x20-\x7e]*$")
        fast = distinct.filter(ascii_).with_columns(
            norm=pl.col("value").str.replace_all(r" +", " ").str.strip_chars(" ").str.to_uppercase()
        )
        slow = distinct.filter(~ascii_)
        slow = slow.with_columns(
            norm=pl.Series([normalise(v) for v in slow["value"]], dtype=pl.String)
        )
        table = pl.concat([fast, slow]).filter(pl.col("norm").str.len_bytes() > 0)
        table = table.select("value", hash=self._hex(domain, table["norm"]))
        joined = values.to_frame("value").join(table, on="value", how="left", maintain_order="left")
        return joined["hash"]


RECORD_KEY = "__record_key"


def with_record_key(v: Validated, contract: Contract, hasher: KeyedHasher) -> Validated:
    """Add the rows' ``record_key`` (computed once, used by ``raw`` and ``identity``)."""
    if contract.record_source:
        ids = v.rows[clean_col(contract.get(contract.record_id))]
        keys = hasher.hash(ids, f"record:{contract.record_source}")
        v.rows = v.rows.with_columns(keys.alias(RECORD_KEY))
    return v


def _lineage(v: Validated, month: str, rel_path: str) -> list[pl.Expr]:
    return [
        pl.lit(month).alias("_delivery_month"),
        pl.lit(rel_path).alias("_source_file"),
        pl.col(ROW).alias("_row_number"),
    ]


def to_raw(
    v: Validated, contract: Contract, hasher: KeyedHasher, month: str, rel_path: str
) -> pl.DataFrame:
    """Typed rows for ``raw.<table>``: identifiers hashed, names dropped, DOB as year and month."""
    rows = v.rows
    exprs: list[pl.Expr | pl.Series] = []
    if contract.record_source:
        exprs.append(pl.col(RECORD_KEY).alias("record_key"))
    for f in contract.fields:
        if f.privacy == "hash":
            hashed = hasher.hash(rows[clean_col(f)], hash_domain(f))
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


def to_identity(v: Validated, contract: Contract, month: str, rel_path: str) -> pl.DataFrame:
    """One ``identity.person_records`` row per loaded row, clear identifiers as delivered."""
    rows = v.rows
    cols: dict[str, pl.Expr | pl.Series] = {
        "source": pl.lit(contract.record_source),
        "record_key": pl.col(RECORD_KEY),
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
