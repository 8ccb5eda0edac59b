"""Linkage accuracy against the simulator's truth (tests and benchmarks only, never assets).

Pairwise precision/recall/F1 per source pair count record pairs that share a true person and/or
a ``person_key``; cluster precision/recall/F1 count persons reproduced exactly (same set of
records) when only the records of the source pair are kept.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.contracts.deliveries import IDENTITY_TABLES
from pipelines.pseudonymise import record_key

#: Groups of source pairs the acceptance criteria speak of.
NAMED = ("pnc", "oasys", "dir_triage", "dir_release", "rmdt")


def _spine_source(source: str, table: str) -> str:
    source, table = source.lower(), (table or "").lower()
    if source == "dir":
        return "dir_release" if "release" in table else "dir_triage"
    return source


def truth_keys(record_map: Path, pseudo_key: str) -> pl.DataFrame:
    """``(source, record_key, person_id)`` for every identity-bearing record in the truth."""
    rm = pl.read_parquet(record_map).select("source", "table", "record_id", "person_id")
    rm = rm.filter(pl.col("table").is_in(IDENTITY_TABLES))
    rm = rm.unique(subset=["source", "table", "record_id"]).sort("source", "table", "record_id")
    sources = [_spine_source(s, t) for s, t in zip(rm["source"], rm["table"], strict=True)]
    keys = [record_key(pseudo_key, s, rid) for s, rid in zip(sources, rm["record_id"], strict=True)]
    return pl.DataFrame(
        {"source": sources, "record_key": keys, "person_id": rm["person_id"].cast(pl.Utf8)}
    ).unique(subset=["source", "record_key"])


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def accuracy(con: duckdb.DuckDBPyConnection, truth: pl.DataFrame) -> pl.DataFrame:
    """Pairwise and cluster precision/recall/F1 for every source pair (and two groups)."""
    con.register("acc_truth", truth.to_arrow())
    con.execute(
        """
        create or replace temp table acc_j as
        select s.source, s.record_key, s.person_key, t.person_id
        from linkage.spine s join acc_truth t using (source, record_key)
        """
    )
    sources = [r[0] for r in con.execute("select distinct source from acc_j order by 1").fetchall()]
    groups: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    for i, a in enumerate(sources):
        for b in sources[i:]:
            groups.append((f"{a}~{b}", (a,), (b,)))
    named = tuple(s for s in sources if s in NAMED)
    groups.append(("named~named", named, named))
    groups.append(("ndtms~others", ("ndtms",), named))
    rows = []
    for name, left, right in groups:
        rows.append({"pair": name, **_pair_metrics(con, left, right)})
    con.unregister("acc_truth")
    return pl.DataFrame(rows)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _pair_metrics(con: duckdb.DuckDBPyConnection, left: tuple, right: tuple) -> dict:
    same = set(left) == set(right)
    # number of (l, r) pairs in a group: within one side set -> n(n-1)/2, else n_l * n_r
    if same:
        count = "sum(n * (n - 1) / 2)"
        agg = f"count(*) filter (where source in {_in(left)}) as n"
    else:
        count = "sum(nl * nr)"
        agg = (
            f"count(*) filter (where source in {_in(left)}) as nl,"
            f" count(*) filter (where source in {_in(right)}) as nr"
        )
    tp, pred, true = (
        con.execute(
            f"select coalesce({count}, 0) from (select {agg} from acc_j group by {g})"
        ).fetchall()[0][0]
        for g in ("person_key, person_id", "person_key", "person_id")
    )
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    # clusters restricted to the pair's records, counted when they hold records of both sides
    both = "count(*) filter (where source in {l}) > 0 and count(*) filter (where source in {r}) > 0"
    both = both.format(l=_in(left), r=_in(right)) if not same else "count(*) > 1"
    exact, n_pred, n_true = con.execute(
        f"""
        with j as (select * from acc_j where source in {_in(tuple(set(left) | set(right)))}),
        pk as (select person_key, count(distinct person_id) as ids, count(*) as n from j
               group by person_key having {both}),
        pi as (select person_id, count(distinct person_key) as keys, count(*) as n from j
               group by person_id having {both}),
        m as (select distinct person_key, person_id from j)
        select
            (select count(*) from pk join m using (person_key) join pi using (person_id)
             where pk.ids = 1 and pi.keys = 1),
            (select count(*) from pk), (select count(*) from pi)
        """
    ).fetchall()[0]
    cp = exact / n_pred if n_pred else 1.0
    cr = exact / n_true if n_true else 1.0
    return {
        "true_pairs": int(true),
        "pair_precision": round(p, 5),
        "pair_recall": round(r, 5),
        "pair_f1": round(_f1(p, r), 5),
        "true_clusters": int(n_true),
        "cluster_precision": round(cp, 5),
        "cluster_recall": round(cr, 5),
        "cluster_f1": round(_f1(cp, cr), 5),
    }
