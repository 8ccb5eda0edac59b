"""Keep and compare the England rows of ``fct_indicators`` (proof that an optimisation left the
indicator values unchanged).

    python -m scripts.england_rows export --warehouse data/warehouse.duckdb --out before.parquet
    python -m scripts.england_rows compare before.parquet after.parquet

``compare`` prints rows only in one file, and for rows matched on their keys the largest absolute
difference of each value column; it exits 1 unless both files hold exactly the same rows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

KEYS = ["indicator_id", "period_type", "period", "breakdown", "breakdown_value"]
VALUES = ["numerator", "denominator", "value", "ci_low", "ci_high"]


def export(warehouse: Path, out: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(
            f"COPY (SELECT * FROM main_marts.fct_indicators WHERE geography_type = 'england' "
            f"ORDER BY ALL) TO '{out}' (FORMAT parquet)"
        )
        return con.execute(f"SELECT count(*) FROM '{out}'").fetchall()[0][0]


def compare(before: Path, after: Path) -> bool:
    with duckdb.connect() as con:
        counts = [
            con.execute(f"SELECT count(*) FROM '{p}'").fetchall()[0][0] for p in (before, after)
        ]
        only = [
            con.execute(f"SELECT count(*) FROM (FROM '{a}' EXCEPT ALL FROM '{b}')").fetchall()[0][0]
            for a, b in ((before, after), (after, before))
        ]
        on = " AND ".join(f"b.{k} IS NOT DISTINCT FROM a.{k}" for k in KEYS)
        diffs = con.execute(
            "SELECT count(*), "
            + ", ".join(f"max(abs(a.{v} - b.{v}))" for v in VALUES)
            + f" FROM '{before}' b JOIN '{after}' a ON {on}"
        ).fetchall()[0]
    print(f"rows: before {counts[0]:,}, after {counts[1]:,}")
    print(f"rows only before: {only[0]:,}; only after: {only[1]:,}")
    print(f"matched on keys: {diffs[0]:,}; largest absolute difference:")
    for name, diff in zip(VALUES, diffs[1:], strict=True):
        print(f"  {name:12s} {diff}")
    return counts[0] == counts[1] and only == [0, 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    out = commands.add_parser("export")
    out.add_argument("--warehouse", type=Path, required=True)
    out.add_argument("--out", type=Path, required=True)
    cmp = commands.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "export":
        print(f"{export(args.warehouse, args.out):,} England rows -> {args.out}")
    else:
        same = compare(args.before, args.after)
        print("identical" if same else "DIFFERENT")
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
