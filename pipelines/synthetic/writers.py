"""Write the delivered tables as monthly files, formatted by their delivery contracts.

File names, formats, delimiters, encodings, line endings, null markers, date formats, sheet
names and column order all come from :data:`pipelines.contracts.deliveries.CONTRACTS`, the
declarations ingest reads the files with.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

from pipelines.contracts.deliveries import CONTRACTS, Contract
from pipelines.synthetic.dates import to_date

#: Fixed workbook timestamp so that re-running gives byte-identical XLSX files.
XLSX_CREATED = dt.datetime(2025, 1, 1, 0, 0, 0)
XLSX_DATE_STYLE = "dd/mm/yyyy"  # how the workbook shows dates (cells hold Excel serial days)
EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 to 1970-01-01


def path_for(landing: Path, table: str, month: str) -> Path:
    contract = CONTRACTS[table]
    return landing / contract.source / month / contract.file_name(month)


def write_table(frame: pl.DataFrame, table: str, landing: Path, months: list[str]) -> int:
    """Write one file per month (header-only when the month has no rows); returns rows.

    ``frame`` holds ``_month`` and exactly the contract's fields (dates as day numbers).
    """
    contract = CONTRACTS[table]
    columns = [c for c in frame.columns if c != "_month"]
    frame = frame.select("_month", *_delivered(columns, contract))
    parts = frame.partition_by("_month", as_dict=True, maintain_order=True, include_key=False)
    empty = frame.drop("_month").clear()
    rows = 0
    for month in months:
        part = parts.get((month,), empty)
        path = path_for(landing, table, month)
        path.parent.mkdir(parents=True, exist_ok=True)
        _WRITE[contract.fmt](part, path, contract)
        rows += part.height
    return rows


def write_month_xlsx(part: pl.DataFrame, path: Path) -> int:
    """Write one month's rMDT workbook (used by parallel workers); returns rows."""
    contract = CONTRACTS["rmdt_test"]
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_xlsx(part.select(_delivered(part.columns, contract)), path, contract)
    return part.height


def _delivered(columns: list[str], contract: Contract) -> list[pl.Expr]:
    """The contract's fields in delivery order, dates typed for the file format."""
    names = [f.name for f in contract.fields]
    if set(columns) != set(names):
        diff = sorted(set(columns) ^ set(names))
        raise ValueError(f"{contract.table}: columns {diff} differ from the contract's fields")
    dates = set(contract.date_fields)
    if contract.fmt == "csv":
        return [to_date(n) if n in dates else pl.col(n) for n in names]
    if contract.fmt == "jsonl":
        fmt = contract.date_format
        return _json_objects(
            {n: to_date(n).dt.strftime(fmt) if n in dates else pl.col(n) for n in names}
        )
    return [pl.col(n) for n in names]


def _json_objects(fields: dict[str, pl.Expr], prefix: str = "") -> list[pl.Expr]:
    """Nest dotted field names (``offender.dob``) into objects, keys sorted at every level."""
    keys = sorted({n[len(prefix) :].split(".")[0] for n in fields if n.startswith(prefix)})
    return [
        fields[prefix + k].alias(k)
        if prefix + k in fields
        else pl.struct(_json_objects(fields, f"{prefix}{k}.")).alias(k)
        for k in keys
    ]


def _write_csv(part: pl.DataFrame, path: Path, contract: Contract) -> None:
    text = part.write_csv(
        separator=contract.delimiter,
        date_format=contract.date_format,
        null_value=contract.null_value,
        line_terminator=contract.line_terminator,
    )
    path.write_bytes(text.encode(contract.encoding))


def _write_jsonl(part: pl.DataFrame, path: Path, contract: Contract) -> None:
    path.write_bytes(part.write_ndjson().encode(contract.encoding) if part.height else b"")


def _write_xlsx(part: pl.DataFrame, path: Path, contract: Contract) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": XLSX_CREATED, "author": "rMDT"})
    ws = wb.add_worksheet(contract.sheet)
    date_style = wb.add_format({"num_format": XLSX_DATE_STYLE})
    cols = part.columns
    ws.write_row(0, 0, cols)
    date_idx = [cols.index(c) for c in contract.date_fields]
    for c in date_idx:
        ws.set_column(c, c, 12)
    for r, row in enumerate(part.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if c in date_idx:
                ws.write_number(r, c, value + EXCEL_EPOCH_OFFSET, date_style)
            else:
                ws.write_string(r, c, value)
    wb.close()


_WRITE = {"csv": _write_csv, "jsonl": _write_jsonl, "xlsx": _write_xlsx}
