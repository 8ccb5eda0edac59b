"""Read ``identity.person_records`` into normalised rows and identity profiles.

Kept between runs in the identity schema (they hold names, dates of birth and PNC IDs), brought
up to date from the months delivered since when that is exact:

- ``identity.linkage_rows``: one row per (source, record_key, name_seq), latest delivery up to
  the month, normalised, with the profile keys ``npk`` and ``ipk``;
- ``identity.linkage_records``: one row per record with ``first_seen``;
- ``identity.linkage_prepared``: the month they reflect, the latest identity load then, and
  the fingerprint of the SQL that made them.

Temp tables (connection-local, never persisted):

- ``lk_records``: one row per record, with ``first_seen`` and ``is_new`` (not yet in the spine);
- ``lk_named_prof`` / ``lk_named_mem``: distinct named identity tuples (``pid``) and membership;
- ``lk_nd_prof`` / ``lk_nd_mem``: distinct initials tuples (``iid``: NDTMS and named records).
"""

from __future__ import annotations

import hashlib

import duckdb
import pyarrow as pa

from pipelines.contracts.deliveries import IDENTITY_TABLES
from pipelines.resources import table_exists

NAMED_SOURCES = ("pnc", "oasys", "dir_triage", "dir_release")
PRISON_NUMBER_ONLY = ("rmdt",)
NDTMS_SOURCE = "ndtms"

_NAMED_TUPLE = "forename, surname, dob, sex, pnc, prison_number, pc"
_ND_TUPLE = "kind, initials, dob, sex, pc, la"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _tuple_hash(columns: str) -> str:
    """SQL for a keyed SHA-256 of an identity tuple (``$key`` parameter), nulls kept distinct."""
    parts = " || chr(31) || ".join(
        f"coalesce({c.strip()}::varchar, chr(30))" for c in columns.split(",")
    )
    return f"sha256($key || chr(31) || {parts})"


#: Normalised identity rows, one per (source, record_key, name_seq): the latest delivered version
#: (``{where}`` selects the delivered rows read), with the profile keys ``npk`` and ``ipk``.
_ROWS_SQL = f"""
    with src as (
        select *, coalesce(name_seq, 1) as seq
        from identity.person_records p
        where {{where}}
    ), latest as (
        select * from src
        qualify row_number() over (
            partition by source, record_key, seq
            order by _delivery_month desc, event_date desc nulls last,
                surname, forename, dob, pnc_id, prison_number, postcode_district) = 1
    ), norm as (
        select
            source, record_key, seq,
            nullif(regexp_replace(split_part(trim(upper(forename)), ' ', 1),
                '[^A-Z]', '', 'g'), '') as forename,
            nullif(regexp_replace(upper(surname), '[^A-Z]', '', 'g'), '') as surname,
            nullif(regexp_replace(upper(initials), '[^A-Z]', '', 'g'), '') as nd_initials,
            dob,
            nullif(upper(trim(sex)), '') as sex,
            case when pnc_id_valid then nullif(upper(trim(pnc_id)), '') end as pnc,
            nullif(regexp_replace(upper(prison_number), '\\s', '', 'g'), '') as prison_number,
            nullif(regexp_replace(upper(postcode_district), '\\s', '', 'g'), '') as pc,
            nullif(upper(trim(la_code)), '') as la
        from latest
    ), kinds as (
        select *,
            case when source = '{NDTMS_SOURCE}' then 'ndtms' else 'named' end as kind,
            case when source = '{NDTMS_SOURCE}' then nd_initials
                 when forename is not null and surname is not null
                 then left(forename, 1) || left(surname, 1) end as initials,
            case when source in {_in(NAMED_SOURCES + PRISON_NUMBER_ONLY)}
                 then hash({_NAMED_TUPLE}) end as npk
        from norm
    )
    select *,
        case when dob is not null and initials is not null and source <> 'rmdt'
             then hash({_ND_TUPLE}) end as ipk
    from kinds
"""

#: Each record's first sighting (its earliest event date, else its first delivery month).
_RECORDS_SQL = """
    select source, record_key,
        min(coalesce(p.event_date, strptime(p._delivery_month || '-01', '%Y-%m-%d')::date))
            as first_seen
    from identity.person_records p
    where {where}
    group by all
"""

#: Changes whenever the prepared rows would: their SQL, or DuckDB's ``hash`` (its version).
PREPARED_FINGERPRINT = hashlib.sha256(
    f"{_ROWS_SQL}|{_RECORDS_SQL}|{duckdb.__version__}".encode()
).hexdigest()[:16]

#: The kept tables (in the identity schema) and the SQL that makes each.
_KEPT = (("linkage_rows", _ROWS_SQL), ("linkage_records", _RECORDS_SQL))

#: ``ops.manifest`` rows of identity deliveries that changed ``identity.person_records``.
_IDENTITY_LOADS = (
    f"ops.manifest where table_name in {_in(IDENTITY_TABLES)} and status in ('loaded', 'duplicate')"
)

_PREPARED_DDL = """
create table if not exists identity.linkage_prepared (
    month varchar, manifest_loaded_at timestamp, fingerprint varchar)
"""


def _manifest_loaded_at(con: duckdb.DuckDBPyConnection) -> object | None:
    """Latest load of an identity table's delivery (``None`` without ``ops.manifest``)."""
    if not table_exists(con, "ops.manifest"):
        return None
    return con.execute(f"select max(loaded_at) from {_IDENTITY_LOADS}").fetchall()[0][0]


def _prepared_since(con: duckdb.DuckDBPyConnection, month: str) -> str | None:
    """The month of the kept rows when bringing them up to ``month`` from the months delivered
    after it is exact: same fingerprint, not a later month, and no identity delivery of a month
    up to it loaded since (a re-delivered month may change or withdraw any record). None: prepare
    every month afresh (also without ``ops.manifest``: a warehouse not made by the ingest)."""
    if not (table_exists(con, "identity.linkage_prepared") and table_exists(con, "ops.manifest")):
        return None
    found = con.execute(
        "select month, manifest_loaded_at from identity.linkage_prepared where fingerprint = ?",
        [PREPARED_FINGERPRINT],
    ).fetchall()
    if not found or found[0][0] > month or found[0][1] is None:
        return None
    since, loaded_at = found[0]
    reloaded = con.execute(
        f"select count(*) from {_IDENTITY_LOADS} and delivery_month <= ? and loaded_at > ?",
        [since, loaded_at],
    ).fetchall()[0][0]
    return None if reloaded else since


def _update_prepared(con: duckdb.DuckDBPyConnection, month: str) -> str | None:
    """Bring ``identity.linkage_rows`` / ``linkage_records`` up to ``month``: only the records
    delivered after the kept month when exact (:func:`_prepared_since`), else every record.
    Kept in the identity schema, as they hold names, dates of birth and PNC IDs. Returns the
    month they were updated from (None: prepared afresh)."""
    con.execute(_PREPARED_DDL)
    since = _prepared_since(con, month)
    upto = "_delivery_month <= $month"
    con.execute("begin transaction")
    try:
        if since is None:
            for table, sql in _KEPT:
                con.execute(
                    f"create or replace table identity.{table} as {sql.format(where=upto)}",
                    {"month": month},
                )
        elif since < month:
            con.execute(
                """
                create or replace temp table lk_touched as
                select distinct source, record_key from identity.person_records
                where _delivery_month > $since and _delivery_month <= $month
                """,
                {"since": since, "month": month},
            )
            touched = (
                f"{upto} and exists (select 1 from lk_touched t"
                " where t.source = p.source and t.record_key = p.record_key)"
            )
            for table, sql in _KEPT:
                con.execute(
                    f"""
                    delete from identity.{table} t using lk_touched d
                    where t.source = d.source and t.record_key = d.record_key;
                    insert into identity.{table} {sql.format(where=touched)};
                    """,
                    {"month": month},
                )
        con.execute("delete from identity.linkage_prepared")
        con.execute(
            "insert into identity.linkage_prepared values (?, ?, ?)",
            [month, _manifest_loaded_at(con), PREPARED_FINGERPRINT],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return since


def prepare(con: duckdb.DuckDBPyConnection, month: str, pseudo_key: str = "") -> str | None:
    """Build the ``lk_*`` temp tables from identity records delivered up to ``month``.

    Profiles carry ``phash``, a keyed hash of their identity tuple (``pseudo_key``), so a run
    can tell profiles already scored from new ones without keeping identifiers. The normalised
    rows and records are kept between runs (:func:`_update_prepared`); returns the month they
    were updated from (None: prepared from every month).
    """
    since = _update_prepared(con, month)
    # a record is new until the spine has it
    known = (
        "exists (select 1 from linkage.spine s"
        " where s.source = r.source and s.record_key = r.record_key)"
        if table_exists(con, "linkage.spine")
        else "false"
    )
    con.execute(
        "create or replace temp table lk_records as"
        f" select r.*, not {known} as is_new from identity.linkage_records r"
    )
    for kind, key_col, id_col, tup in (
        ("named", "npk", "pid", _NAMED_TUPLE),
        ("nd", "ipk", "iid", _ND_TUPLE),
    ):
        con.execute(
            f"""
            create or replace temp table lk_{kind}_mem as
            select distinct r.record_key, r.{key_col}
            from identity.linkage_rows r where r.{key_col} is not null
            """
        )
        con.execute(
            f"""
            create or replace temp table lk_{kind}_prof as
            with g as (
                select {key_col}, {tup}, min(record_key) as rep
                from identity.linkage_rows where {key_col} is not null
                group by {key_col}, {tup}
            )
            select (row_number() over (order by rep, {tup}) - 1)::integer as {id_col}, *,
                {_tuple_hash(tup)} as phash, true as is_new
            from g
            """,
            {"key": pseudo_key},
        )
        con.execute(
            f"""
            create or replace temp table lk_{kind}_mem as
            select m.record_key, p.{id_col}
            from lk_{kind}_mem m join lk_{kind}_prof p using ({key_col})
            """
        )
    return since


#: Condition true for named profiles that carry a name or DOB (not rMDT prison numbers).
HAS_IDENTITY = "not (p.forename is null and p.surname is null and p.dob is null)"


def _limit(rows: int | None) -> str:
    return "" if rows is None else f"limit {int(rows)}"


def named_profiles(
    con: duckdb.DuckDBPyConnection, extra: str = "", limit: int | None = None
) -> pa.Table:
    """Named profiles as the named model's input (``extra``: more select expressions; ``limit``:
    only the first rows)."""
    return con.sql(
        f"""
        select p.pid as unique_id, forename, surname, forename || ' ' || surname as full_name,
            dob, sex, pnc, prison_number, pc {extra}
        from lk_named_prof p {"join lk_named_grp g using (pid)" if "g." in extra else ""}
        where {HAS_IDENTITY}
        order by unique_id {_limit(limit)}
        """
    ).to_arrow_table()


def ndtms_profiles(
    con: duckdb.DuckDBPyConnection, extra: str = "", limit: int | None = None
) -> pa.Table:
    """Initials profiles (NDTMS and named records) as the NDTMS model's input (``limit``: only
    the first rows)."""
    return con.sql(
        f"""
        select iid as unique_id, initials, left(initials, 1) as f1, right(initials, 1) as s1,
            dob, sex, pc, la, kind {extra}
        from lk_nd_prof p order by unique_id {_limit(limit)}
        """
    ).to_arrow_table()
