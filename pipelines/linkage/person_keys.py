"""Stable person keys: carry each cluster's key over from the previous spine; record changes.

A new cluster takes the key ``HMAC(key, "person|<record_key of its earliest record>")``. A
cluster holding records of earlier persons keeps the key with which it shares most records
(each old key goes to one cluster only); the others are recorded in ``linkage.spine_events`` as
``merge`` (several old keys now one person) or ``split`` (one old key now several persons).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipelines.pseudonymise import keyed_hash


@dataclass
class KeyResult:
    clusters: int
    existing_keys: int
    keys_changed: int
    merges: int
    splits: int


def _new_key(pseudo_key: str, record_key: str, taken: set[str]) -> str:
    key = keyed_hash(pseudo_key, record_key, domain="person")
    attempt = 1
    while key in taken:
        key = keyed_hash(pseudo_key, f"{record_key}|{attempt}", domain="person")
        attempt += 1
    return key


def _existing(con: duckdb.DuckDBPyConnection, keys: list[str]) -> set[str]:
    """The subset of ``keys`` already used as person keys on the spine."""
    if not keys:
        return set()
    con.register("lk_proposed", pa.table({"person_key": pa.array(keys, pa.string())}))
    try:
        return {
            r[0]
            for r in con.execute(
                "select distinct person_key from linkage.spine"
                " where person_key in (select person_key from lk_proposed)"
            ).fetchall()
        }
    finally:
        con.unregister("lk_proposed")


def assign_keys(con: duckdb.DuckDBPyConnection, pseudo_key: str, month: str) -> KeyResult:
    """Write ``linkage.spine`` from ``lk_final``, reusing keys of ``linkage.spine``."""
    con.execute(
        """
        create or replace temp table lk_overlap as
        with o as (
            select f.cluster_id, s.person_key, count(*) as n
            from lk_final f join linkage.spine s using (source, record_key)
            group by all
        )
        select *, count(*) over (partition by cluster_id) as olds,
            count(*) over (partition by person_key) as clusters
        from o
        """
    )
    # the usual case, settled in SQL: a cluster holding records of one earlier person only,
    # whose records are all in this cluster; the rest (merges, splits) is settled here
    overlap = con.execute(
        """
        select cluster_id, person_key, n from lk_overlap where olds > 1 or clusters > 1
        order by n desc, person_key, cluster_id
        """
    ).fetchall()
    chosen: dict[str, str] = {}
    used: set[str] = set()
    olds_of_cluster: dict[str, list[str]] = defaultdict(list)
    clusters_of_old: dict[str, list[str]] = defaultdict(list)
    for cluster_id, old_key, _ in overlap:
        olds_of_cluster[cluster_id].append(old_key)
        clusters_of_old[old_key].append(cluster_id)
        if cluster_id not in chosen and old_key not in used:
            chosen[cluster_id] = old_key
            used.add(old_key)
    fresh = con.execute(
        """
        select cluster_id, arg_min(record_key, (first_seen, record_key))
        from lk_final where cluster_id not in (
            select cluster_id from lk_overlap where olds = 1 and clusters = 1)
        group by cluster_id order by cluster_id
        """
    ).fetchall()
    proposed = {
        cluster_id: keyed_hash(pseudo_key, first_record, domain="person")
        for cluster_id, first_record in fresh
        if cluster_id not in chosen
    }
    taken = used | _existing(con, list(proposed.values()))
    for cluster_id, first_record in fresh:
        if cluster_id in proposed:
            key = proposed[cluster_id]
            if key in taken:  # e.g. the piece of a split holding the record a key came from
                key = _new_key(pseudo_key, first_record, taken)
            taken.add(key)
            chosen[cluster_id] = key
    sizes = dict(
        con.execute(
            "select cluster_id, count(*) from lk_final where cluster_id in"
            " (select cluster_id from lk_overlap where olds > 1 or clusters > 1) group by all"
        ).fetchall()
    )

    events = []
    for cluster_id, olds in olds_of_cluster.items():
        if len(olds) > 1:
            events.append(("merge", sorted(olds), chosen[cluster_id], month, sizes[cluster_id]))
    for old_key, cids in clusters_of_old.items():
        for cluster_id in cids:
            if len(cids) > 1 and chosen[cluster_id] != old_key:
                events.append(("split", [old_key], chosen[cluster_id], month, sizes[cluster_id]))

    mapping = pa.table(
        {"cluster_id": list(chosen), "person_key": list(chosen.values())},
        schema=pa.schema([("cluster_id", pa.string()), ("person_key", pa.string())]),
    )
    con.register("lk_keys_py", mapping)
    con.execute(
        """
        create or replace temp table lk_keys as
        select cluster_id, person_key from lk_overlap where olds = 1 and clusters = 1
        union all
        select cluster_id, person_key from lk_keys_py
        """
    )
    con.unregister("lk_keys_py")
    existing, changed = con.execute(
        """
        select count(*), count(*) filter (where s.person_key <> k.person_key)
        from linkage.spine s
        join lk_final f using (source, record_key)
        join lk_keys k on k.cluster_id = f.cluster_id
        """
    ).fetchall()[0]
    con.execute("begin transaction")
    try:
        # write only what changed: a month's run touches few existing rows
        con.execute(
            """
            create or replace temp table lk_spine_new as
            select f.source, f.record_key, k.person_key, f.cluster_id,
                   f.match_probability, f.match_rule
            from lk_final f join lk_keys k using (cluster_id);

            delete from linkage.spine s where not exists (
                select 1 from lk_spine_new n
                where n.source = s.source and n.record_key = s.record_key
                  and n.person_key = s.person_key and n.cluster_id = s.cluster_id
                  and n.match_rule = s.match_rule
                  and n.match_probability is not distinct from s.match_probability);

            insert into linkage.spine
            select * from lk_spine_new n where not exists (
                select 1 from linkage.spine s
                where s.source = n.source and s.record_key = n.record_key)
            order by n.source, n.record_key;
            """
        )
        if events:
            con.executemany("insert into linkage.spine_events values (?, ?, ?, ?, ?)", events)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    clusters = con.execute("select count(*) from lk_keys").fetchall()[0][0]
    return KeyResult(
        clusters=clusters,
        existing_keys=existing,
        keys_changed=changed,
        merges=sum(e[0] == "merge" for e in events),
        splits=sum(e[0] == "split" for e in events),
    )
