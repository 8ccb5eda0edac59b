"""Link every record delivered up to a month into the person spine (deterministic, then Splink).

One code path serves the first build and every later month: records not yet in the spine are
"new"; only pairs involving a new profile are scored, scored links are kept in
``linkage.edges``, and clusters are recomputed from all links (cheap), so a person's key is
carried over from the previous spine (see :mod:`pipelines.linkage.person_keys`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.linkage import models
from pipelines.linkage.config import THRESHOLDS, Thresholds
from pipelines.linkage.graph import components
from pipelines.linkage.person_keys import assign_keys
from pipelines.linkage.profiles import HAS_IDENTITY, named_profiles, ndtms_profiles, prepare
from pipelines.linkage.scoring import score_pairs, scratch_share, shared_memory
from pipelines.linkage.tables import ensure_tables

log = logging.getLogger(__name__)


@dataclass
class LinkSummary:
    """What one linkage run did."""

    month: str
    records: int = 0
    new_records: int = 0
    named_profiles: int = 0
    ndtms_profiles: int = 0
    named_pairs_scored: int = 0
    ndtms_pairs_scored: int = 0
    clusters: int = 0
    existing_keys: int = 0
    keys_changed: int = 0
    merges: int = 0
    splits: int = 0
    rescored: list[str] = field(default_factory=list)
    #: the month the kept normalised identity rows were brought up to date from (None: afresh)
    prepared_from: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def _arrays(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[np.ndarray, np.ndarray]:
    out = con.execute(sql).fetchnumpy()
    cols = list(out)
    return np.asarray(out[cols[0]], dtype=np.int64), np.asarray(out[cols[1]], dtype=np.int64)


def _register_labels(con: duckdb.DuckDBPyConnection, name: str, id_col: str, labels) -> None:
    table = pa.table({id_col: np.arange(len(labels), dtype=np.int32), "lab": labels})
    con.register(f"{name}_arrow", table)
    con.execute(f"create or replace temp table {name} as select * from {name}_arrow")
    con.unregister(f"{name}_arrow")


def _named_edges_sql(threshold: float) -> str:
    """Deterministic links between named profiles, plus stored Splink links above threshold."""
    return f"""
        select pid, min(pid) over (partition by record_key) from lk_named_mem
        union all
        select pid, min(pid) over (partition by pnc) from lk_named_prof where pnc is not null
        union all
        select pid, min(pid) over (partition by prison_number, dob) from lk_named_prof
        where prison_number is not null and dob is not null
        union all
        select a.pid, b.pid from linkage.edges e
        join lk_named_rep a on a.record_key = e.record_key_l
        join lk_named_rep b on b.record_key = e.record_key_r
        where e.model = 'named' and e.match_probability >= {threshold}
    """


def _prior_scale(name: str, profiles: int) -> float:
    meta = models.MODELS_DIR / "training.json"
    if not meta.exists() or profiles == 0:
        return 1.0
    trained = json.loads(meta.read_text()).get(name, {}).get("profiles")
    return trained / profiles if trained else 1.0


def _store_edges(
    con: duckdb.DuckDBPyConnection, pairs: pa.Table, model: str, rep: str, uid: str, month: str
) -> None:
    con.register("lk_pairs_arrow", pairs)
    con.execute(
        f"""
        insert into linkage.edges
        select a.rep, b.rep, '{model}', p.match_probability, '{month}'
        from lk_pairs_arrow p
        join {rep} a on a.{uid} = p.unique_id_l
        join {rep} b on b.{uid} = p.unique_id_r
        """
    )
    con.unregister("lk_pairs_arrow")


def _candidates(
    con: duckdb.DuckDBPyConnection, population: pa.Table, keys: tuple[tuple[str, str], ...]
) -> pa.Table:
    """The new profiles and those sharing a blocking key with one (all when all are new)."""
    con.register("lk_population", population)
    try:
        new = con.execute("select count(*) from lk_population where is_new").fetchall()[0][0]
        if new == population.num_rows:
            return population
        if new == 0:
            return population.slice(0, 0)
        parts = ["select unique_id from lk_population where is_new"]
        for left, right in keys:
            lcols, rcols = left.split(";"), right.split(";")
            names = [f"k{i}" for i in range(len(lcols))]
            keyed = ", ".join(f"{c} as {n}" for c, n in zip(rcols, names, strict=True))
            on = " and ".join(f"{c} = n.{n}" for c, n in zip(lcols, names, strict=True))
            parts.append(
                f"select unique_id from lk_population semi join"
                f" (select distinct {keyed} from lk_population where is_new) n on {on}"
            )
        return con.sql(
            "select * from lk_population where unique_id in ("
            + " union ".join(parts)
            + ") order by unique_id"
        ).to_arrow_table()
    finally:
        con.unregister("lk_population")


def _remember_profiles(con: duckdb.DuckDBPyConnection, model: str, table: str) -> None:
    """Record the profiles just scored, so later runs score only profiles never seen."""
    con.execute(
        f"insert into linkage.profiles select ?, phash from {table} where is_new order by phash",
        [model],
    )


def _model_changed(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    digest = models.model_digest(name)
    stored = con.execute("select digest from linkage.state where model = ?", [name]).fetchall()
    if stored and stored[0][0] == digest:
        return False
    con.execute("delete from linkage.edges where model = ?", [name])
    con.execute("delete from linkage.profiles where model = ?", [name])
    con.execute("delete from linkage.state where model = ?", [name])
    con.execute("insert into linkage.state values (?, ?)", [name, digest])
    return True


def _score(
    con: duckdb.DuckDBPyConnection,
    model: str,
    profiles: pa.Table,
    population: pa.Table,
    rule: str,
    floor: float,
) -> pa.Table:
    """Splink pairs of ``model`` (``models.NAMED`` or ``models.NDTMS``) matching ``rule``, scored
    on a connection that shares the warehouse connection's memory limit."""
    blocking = {models.NAMED: models.NAMED_BLOCKING, models.NDTMS: models.NDTMS_BLOCKING}[model]
    with shared_memory(con, scratch_share(profiles.num_rows, population.num_rows)) as scratch:
        return score_pairs(
            profiles,
            models.load_model(model),
            blocking,
            rule,
            floor,
            _prior_scale(model, population.num_rows),
            population,
            scratch,
        )


def link(
    con: duckdb.DuckDBPyConnection,
    pseudo_key: str,
    month: str,
    thresholds: Thresholds = THRESHOLDS,
) -> LinkSummary:
    """Bring ``linkage.spine`` up to date with every identity record delivered up to ``month``."""
    summary = LinkSummary(month=month)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        summary.seconds[name] = round(now - clock, 3)
        clock = now

    ensure_tables(con)
    summary.prepared_from = prepare(con, month, pseudo_key)
    summary.records, summary.new_records = con.execute(
        "select count(*), count(*) filter (where is_new) from lk_records"
    ).fetchall()[0]
    lap("prepare")

    # 1. named profiles: deterministic links and stored links -> groups before scoring
    rescore_named = _model_changed(con, models.NAMED)
    rescore_ndtms = _model_changed(con, models.NDTMS)
    summary.rescored = [
        m for m, flag in ((models.NAMED, rescore_named), (models.NDTMS, rescore_ndtms)) if flag
    ]
    for model, table in ((models.NAMED, "lk_named_prof"), (models.NDTMS, "lk_nd_prof")):
        con.execute(
            f"""
            update {table} p set is_new = not exists (
                select 1 from linkage.profiles s where s.model = ? and s.phash = p.phash)
            """,
            [model],
        )
    con.execute(
        """
        create or replace temp table lk_named_rep as
        select record_key, min(pid) as pid from lk_named_mem group by record_key;
        create or replace temp table lk_nd_rep as
        select record_key, min(iid) as iid from lk_nd_mem group by record_key;
        """
    )
    n_named = con.execute("select count(*) from lk_named_prof").fetchall()[0][0]
    summary.named_profiles = n_named
    left, right = _arrays(con, _named_edges_sql(thresholds.named))
    _register_labels(con, "lk_named_grp", "pid", components(n_named, left, right))
    lap("deterministic")

    # 2. Splink on named profiles: pairs with a new profile, not already in one group
    population = named_profiles(con, ", p.is_new, g.lab as grp")
    profiles = _candidates(con, population, models.NAMED_KEYS)
    pairs = _score(
        con, models.NAMED, profiles, population, "(l.is_new or r.is_new) and l.grp <> r.grp",
        thresholds.store_floor,
    )  # fmt: skip
    summary.named_pairs_scored = pairs.num_rows
    _store_edges(con, pairs, "named", "lk_named_prof", "pid", month)
    _remember_profiles(con, models.NAMED, "lk_named_prof")
    left, right = _arrays(con, _named_edges_sql(thresholds.named))
    _register_labels(con, "lk_named_lab", "pid", components(n_named, left, right))
    lap("splink_named")

    # 3. records of named sources -> cluster label; rMDT (prison number only) -> the cluster
    #    holding most records with that prison number
    con.execute(
        f"""
        create or replace temp table lk_named_rec as
        select m.record_key, min(l.lab) as lab
        from lk_named_mem m join lk_named_lab l using (pid)
        join lk_named_prof p using (pid)
        where {HAS_IDENTITY}
        group by m.record_key;

        create or replace temp table lk_rmdt as
        with numbers as (
            select m.record_key, p.prison_number, p.pid
            from lk_named_mem m join lk_named_prof p using (pid)
            where p.forename is null and p.surname is null and p.dob is null
        ), owners as (
            select p.prison_number, r.lab, count(distinct r.record_key) as n
            from lk_named_prof p join lk_named_mem m using (pid)
            join lk_named_rec r on r.record_key = m.record_key
            where p.prison_number in (select prison_number from numbers)
            group by p.prison_number, r.lab
            qualify row_number() over (partition by p.prison_number order by n desc, r.lab) = 1
        )
        select n.record_key, coalesce(o.lab, n.pid) as lab, o.lab is not null as attached
        from numbers n left join owners o using (prison_number);
        """
    )

    # 4. NDTMS: initials profiles of NDTMS and named records, scored where one side is NDTMS
    n_nd = con.execute("select count(*) from lk_nd_prof").fetchall()[0][0]
    summary.ndtms_profiles = n_nd
    nd_population = ndtms_profiles(con, ", p.is_new")
    nd_profiles = _candidates(con, nd_population, models.NDTMS_KEYS)
    pairs = _score(
        con, models.NDTMS, nd_profiles, nd_population,
        "(l.is_new or r.is_new) and (l.kind = 'ndtms' or r.kind = 'ndtms')", thresholds.store_floor,
    )  # fmt: skip
    summary.ndtms_pairs_scored = pairs.num_rows
    _store_edges(con, pairs, "ndtms", "lk_nd_prof", "iid", month)
    _remember_profiles(con, models.NDTMS, "lk_nd_prof")
    left, right = _arrays(
        con,
        f"""
        select a.iid, b.iid from linkage.edges e
        join lk_nd_rep a on a.record_key = e.record_key_l
        join lk_nd_rep b on b.record_key = e.record_key_r
        join lk_nd_prof pa on pa.iid = a.iid
        join lk_nd_prof pb on pb.iid = b.iid
        where e.model = 'ndtms' and e.match_probability >= {thresholds.ndtms_dedupe}
          and pa.kind = 'ndtms' and pb.kind = 'ndtms'
        """,
    )
    _register_labels(con, "lk_nd_lab", "iid", components(n_nd, left, right))
    con.execute(
        f"""
        create or replace temp table lk_nd_attach as
        with links as (
            select l.lab as nd_lab, nr.lab as named_lab, e.match_probability as p
            from linkage.edges e
            join lk_nd_rep a on a.record_key = e.record_key_l
            join lk_nd_rep b on b.record_key = e.record_key_r
            join lk_nd_prof pa on pa.iid = a.iid
            join lk_nd_prof pb on pb.iid = b.iid
            join lk_nd_lab l on l.iid = case when pa.kind = 'ndtms' then a.iid else b.iid end
            join lk_named_rec nr on nr.record_key =
                case when pa.kind = 'ndtms' then e.record_key_r else e.record_key_l end
            where e.model = 'ndtms' and e.match_probability >= {thresholds.ndtms_link}
              and (pa.kind = 'ndtms') <> (pb.kind = 'ndtms')
        )
        select nd_lab, named_lab, p from links
        qualify row_number() over (partition by nd_lab order by p desc, named_lab) = 1;

        create or replace temp table lk_nd_rec as
        select m.record_key, min(coalesce(a.named_lab, {n_named} + l.lab)) as lab,
               max(a.p) as p
        from lk_nd_mem m join lk_nd_prof p using (iid) join lk_nd_lab l using (iid)
        left join lk_nd_attach a on a.nd_lab = l.lab
        where p.kind = 'ndtms'
        group by m.record_key;
        """
    )
    lap("splink_ndtms")

    # 5. every record -> cluster, with the rule and probability that put it there
    _final_clusters(con, n_named + n_nd, thresholds)
    lap("clusters")
    keys = assign_keys(con, pseudo_key, month)
    summary.clusters = keys.clusters
    summary.existing_keys = keys.existing_keys
    summary.keys_changed = keys.keys_changed
    summary.merges = keys.merges
    summary.splits = keys.splits
    lap("keys")
    log.info("linkage %s: %s", month, summary)
    return summary


def _final_clusters(con: duckdb.DuckDBPyConnection, offset: int, thresholds: Thresholds) -> None:
    """``lk_final(source, record_key, first_seen, cluster_id, match_rule, match_probability)``."""
    con.execute(
        f"""
        create or replace temp table lk_lab as
        with j as (
            select r.source, r.record_key, r.first_seen, coalesce(n.lab, m.lab, d.lab) as lab,
                coalesce(m.attached, false) as rmdt_attached, d.p as nd_p
            from lk_records r
            left join lk_named_rec n using (record_key)
            left join lk_rmdt m using (record_key)
            left join lk_nd_rec d using (record_key)
        )
        select * from j where lab is not null
        union all  -- records without any usable identifier: one person each
        select source, record_key, first_seen,
            {offset} + row_number() over (order by record_key), rmdt_attached, nd_p
        from j where lab is null;

        create or replace temp table lk_pid_p as
        select pid, max(p) as p from (
            select a.pid, e.match_probability as p from linkage.edges e
            join lk_named_rep a on a.record_key = e.record_key_l
            where e.model = 'named' and e.match_probability >= {thresholds.named}
            union all
            select b.pid, e.match_probability from linkage.edges e
            join lk_named_rep b on b.record_key = e.record_key_r
            where e.model = 'named' and e.match_probability >= {thresholds.named}
        ) group by pid;

        create or replace temp table lk_evidence as
        with rows as (
            select l.lab, l.record_key, r.pnc, r.prison_number, r.dob, r.npk
            from identity.linkage_rows r join lk_lab l using (source, record_key)
            where r.npk is not null
        ), pnc as (
            select distinct rows.record_key from rows join (
                select lab, pnc from rows where pnc is not null
                group by lab, pnc having count(distinct record_key) > 1
            ) g using (lab, pnc)
        ), pn as (
            select distinct rows.record_key from rows join (
                select lab, prison_number, dob from rows
                where prison_number is not null and dob is not null
                group by lab, prison_number, dob having count(distinct record_key) > 1
            ) g using (lab, prison_number, dob)
        ), sp as (
            select m.record_key, max(p.p) as p
            from lk_named_mem m join lk_pid_p p using (pid) group by m.record_key
        ), nd_edges as (
            select record_key_l as rep, match_probability as p from linkage.edges
            where model = 'ndtms' and match_probability >= {thresholds.ndtms_dedupe}
            union all
            select record_key_r, match_probability from linkage.edges
            where model = 'ndtms' and match_probability >= {thresholds.ndtms_dedupe}
        ), nd as (
            select m.record_key, max(e.p) as p
            from nd_edges e join lk_nd_rep r on r.record_key = e.rep
            join lk_nd_mem m on m.iid = r.iid
            join lk_nd_prof pr on pr.iid = r.iid
            where pr.kind = 'ndtms'
            group by m.record_key
        )
        select l.*,
            pnc.record_key is not null as by_pnc,
            pn.record_key is not null as by_pn,
            sp.p as sp_p, nd.p as nd_dedupe_p
        from lk_lab l
        left join pnc using (record_key) left join pn using (record_key)
        left join sp using (record_key) left join nd using (record_key);

        -- lk_evidence carries every lk_lab column, so records meet their cluster on the integer
        -- label alone (joining 9M records to their evidence on record_key ran out of memory
        -- at twice the national population)
        create or replace temp table lk_final as
        with clusters as (
            select lab, count(*) as size, min(record_key) as cluster_id,
                max(nd_p) as cluster_nd_p, bool_or(rmdt_attached) as cluster_rmdt
            from lk_lab group by lab
        )
        select e.source, e.record_key, e.first_seen, c.cluster_id, c.size,
            case
                when c.size = 1 then 'singleton'
                when e.by_pnc then 'exact_pnc'
                when e.by_pn then 'prison_number_dob'
                when e.source = 'rmdt' then 'prison_number'
                when e.sp_p is not null then 'splink_named'
                when e.nd_p is not null or e.nd_dedupe_p is not null then 'splink_ndtms'
                -- records holding no evidence themselves, joined by records attached to them
                when c.cluster_nd_p is not null then 'splink_ndtms'
                when c.cluster_rmdt then 'prison_number'
                else 'exact_identity'
            end as match_rule,
            case
                when c.size = 1 then null
                when e.by_pnc or e.by_pn or e.source = 'rmdt' then 1.0
                when e.sp_p is not null then e.sp_p
                when e.nd_p is not null then e.nd_p
                when e.nd_dedupe_p is not null then e.nd_dedupe_p
                when c.cluster_nd_p is not null then c.cluster_nd_p
                else 1.0
            end as match_probability
        from lk_evidence e join clusters c using (lab);
        """
    )
