"""Privacy scan for source-system record ids (tests only).

The ids are read straight from the delivered landing files (no ingest code): every field the
contracts pseudonymise that is a record id rather than a person identifier (DIR_ID, RELEASE_ID,
CLIENTID, EPISODID, MODID, TOPID, DISPOSAL_ID, assessment_id, offender_pk, TEST_ID). A value
leaks when one of its tokens (runs of letters, digits and hyphens) is such an id.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import polars as pl

from pipelines.contracts.deliveries import CONTRACTS, Contract

TOKEN = r"[A-Z0-9-]+"
#: Files read as text; every other file must be parquet, xlsx or a static asset.
TEXT_SUFFIXES = {".csv", ".json", ".md", ".html", ".txt", ".svg", ".js", ".css", ".xml"}
#: Fonts and images of the site and Data Docs templates (no data is written into them).
STATIC_ASSETS = {".otf", ".ttf", ".woff", ".woff2", ".png", ".gif", ".ico"}


#: The source record ids of each delivered table, listed here independently of the contracts'
#: privacy markings (so a field whose marking is lost is still scanned for).
SOURCE_RECORD_IDS = {
    "pnc_disposal": ("DISPOSAL_ID",),
    "oasys_assessment": ("assessment_id", "offender.offender_pk"),
    "dir_triage": ("DIR_ID",),
    "dir_release": ("RELEASE_ID", "DIR_ID"),
    "ndtms_client": ("CLIENTID",),
    "ndtms_episode": ("EPISODID", "CLIENTID"),
    "ndtms_modality": ("MODID", "EPISODID"),
    "ndtms_top": ("TOPID", "EPISODID"),
    "rmdt_test": ("TEST_ID",),
}


def record_id_fields(c: Contract) -> tuple[str, ...]:
    """Fields of ``c`` that are source record ids: those listed above and any other field the
    contract pseudonymises that is not a person identifier."""
    marked = (f.name for f in c.fields if f.privacy in ("key", "hash") and not f.identity)
    return tuple(dict.fromkeys((*SOURCE_RECORD_IDS.get(c.table, ()), *marked)))


def _records(path: Path, c: Contract) -> Iterator[dict]:
    if c.fmt == "jsonl":
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)
    elif c.fmt == "xlsx":
        rows = openpyxl.load_workbook(path, read_only=True)[c.sheet].iter_rows(values_only=True)
        header = [str(h) for h in next(rows)]
        yield from (dict(zip(header, row, strict=False)) for row in rows)
    else:
        text = path.read_bytes().decode(c.encoding)
        yield from csv.DictReader(io.StringIO(text, newline=""), delimiter=c.delimiter)


def _value(record: dict, name: str) -> object:
    for part in name.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record


def delivered_record_ids(landing: Path) -> set[str]:
    """Every source record id delivered under ``landing`` (upper case, trimmed)."""
    ids: set[str] = set()
    for c in CONTRACTS.values():
        fields = record_id_fields(c)
        for path in sorted((landing / c.source).glob(f"*/{c.file_prefix}*{c.suffix}")):
            for record in _records(path, c):
                ids.update(str(_value(record, f) or "").strip().upper() for f in fields)
    return {i for i in ids if i and i != c.null_value}


def _scan_database(path: Path, ids: set[str], skip_schemas: tuple[str, ...]) -> list[str]:
    leaks = []
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{path}' AS db (READ_ONLY)")
        con.execute("CREATE TEMP TABLE ids AS SELECT unnest($ids) AS id", {"ids": sorted(ids)})
        columns = con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = 'db' AND NOT list_contains($skip, schema_name) "
            "AND data_type NOT IN ('DATE', 'BOOLEAN', 'INTEGER', 'BIGINT', 'DOUBLE', 'HUGEINT')",
            {"skip": list(skip_schemas)},
        ).fetchall()
        for schema, table, column in columns:
            hit = con.execute(
                f"SELECT any_value(t) FROM (SELECT unnest(regexp_extract_all(upper(CAST("
                f'"{column}" AS VARCHAR)), \'{TOKEN}\')) AS t FROM db."{schema}"."{table}") '
                "JOIN ids ON t = id"
            ).fetchall()[0][0]
            if hit is not None:
                leaks.append(f"{path.name}:{schema}.{table}.{column}")
    return leaks


def scan_warehouse(path: Path, ids: set[str]) -> list[str]:
    """Columns of every table and view outside ``identity`` holding a source record id."""
    return _scan_database(path, ids, skip_schemas=("identity",))


def scan_identity(path: Path, ids: set[str]) -> list[str]:
    """The same scan on ``identity`` alone (the positive control: it must find the ids)."""
    with duckdb.connect(str(path), read_only=True) as con:
        others = [s for (s,) in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()]
    return _scan_database(path, ids, skip_schemas=tuple(s for s in others if s != "identity"))


def _file_tokens(path: Path) -> set[str]:
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        text = "\n".join(str(v) for col in frame.columns for v in frame[col].to_list())
    elif path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        text = "\n".join(
            str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
        )
    elif path.suffix in STATIC_ASSETS:
        return set()
    elif path.suffix in TEXT_SUFFIXES:
        text = path.read_text(encoding="utf-8", errors="replace")
    else:
        raise AssertionError(f"no privacy scan for release file type {path.name}")
    return set(re.findall(TOKEN, text.upper()))


def scan_files(folder: Path, ids: set[str]) -> list[str]:
    """Files under ``folder`` (a release, a report) holding a source record id."""
    return [
        str(p.relative_to(folder))
        for p in sorted(folder.rglob("*"))
        if p.is_file() and _file_tokens(p) & ids
    ]
