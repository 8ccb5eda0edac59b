"""Read ``identity.person_records`` into normalised rows and identity profiles (temp tables).

Temp tables (connection-local, never persisted):

- ``lk_rows``: one row per (source, record_key, name_seq), latest delivery up to the month;
- ``lk_records``: one row per record, with ``first_seen`` and ``is_new`` (not yet in the spine);
- ``lk_named_prof`` / ``lk_named_mem``: distinct named identity tuples (``pid``) and membership;
- ``lk_nd_prof`` / ``lk_nd_mem``: distinct initials tuples (``iid``: NDTMS and named records).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

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


def prepare(con: duckdb.DuckDBPyConnection, month: str, pseudo_key: str = "") -> None:
    """Build the ``lk_*`` temp tables from identity records delivered up to ``month``.

    Profiles carry ``phash``, a keyed hash of their identity tuple (``pseudo_key``), so a run
    can tell profiles already scored from new ones without keeping identifiers.
    """
    con.execute(
        f"""
        create or replace temp table lk_rows as
        with src as (
            select *, coalesce(name_seq, 1) as seq
            from identity.person_records
            where _delivery_month <= $month
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
        )
        select *,
            case when source = '{NDTMS_SOURCE}' then 'ndtms' else 'named' end as kind,
            case when source = '{NDTMS_SOURCE}' then nd_initials
                 when forename is not null and surname is not null
                 then left(forename, 1) || left(surname, 1) end as initials,
            case when source in {_in(NAMED_SOURCES + PRISON_NUMBER_ONLY)}
                 then hash({_NAMED_TUPLE}) end as npk
        from norm
        """,
        {"month": month},
    )
    con.execute(
        f"""
        alter table lk_rows add column ipk ubigint;
        update lk_rows set ipk = hash({_ND_TUPLE})
        where dob is not null and initials is not null and source <> 'rmdt';
        """
    )
    spine_exists = bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'linkage'"
            " and table_name = 'spine' and not temporary"
        ).fetchall()[0][0]
    )
    known = (
        "exists (select 1 from linkage.spine s"
        " where s.source = r.source and s.record_key = r.record_key)"
        if spine_exists
        else "false"
    )
    con.execute(
        """
        create or replace temp table lk_records as
        select source, record_key,
            min(coalesce(p.event_date, strptime(p._delivery_month || '-01', '%Y-%m-%d')::date))
                as first_seen
        from identity.person_records p
        where _delivery_month <= $month
        group by all
        """,
        {"month": month},
    )
    con.execute(
        f"""
        alter table lk_records add column is_new boolean;
        update lk_records r set is_new = not {known};
        """
    )
    for kind, key_col, id_col, tup in (
        ("named", "npk", "pid", _NAMED_TUPLE),
        ("nd", "ipk", "iid", _ND_TUPLE),
    ):
        con.execute(
            f"""
            create or replace temp table lk_{kind}_mem as
            select distinct r.record_key, r.{key_col}
            from lk_rows r where r.{key_col} is not null
            """
        )
        con.execute(
            f"""
            create or replace temp table lk_{kind}_prof as
            with g as (
                select {key_col}, {tup}, min(record_key) as rep
                from lk_rows where {key_col} is not null
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
