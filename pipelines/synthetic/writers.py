"""Write the delivered tables as monthly files in each source's own format."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from pipelines.synthetic.dates import to_date


@dataclass(frozen=True)
class FileSpec:
    """Where and how one table is written."""

    source: str
    prefix: str
    suffix: str
    fmt: str  # csv | jsonl | xlsx
    dates: tuple[str, ...] = ()
    separator: str = ","
    date_format: str = "%Y-%m-%d"
    null: str = ""
    encoding: str = "utf-8"
    crlf: bool = False


SPECS: dict[str, FileSpec] = {
    "pnc_person": FileSpec("pnc", "pnc_person_", ".psv", "csv", ("DOB",), "|", "%Y%m%d"),
    "pnc_disposal": FileSpec(
        "pnc", "pnc_disposal_", ".psv", "csv",
        ("ARREST_DATE", "OFFENCE_DATE", "DISPOSAL_DATE"), "|", "%Y%m%d",
    ),
    "oasys_assessment": FileSpec("oasys", "oasys_assessments_", ".jsonl", "jsonl"),
    "dir_triage": FileSpec(
        "dir", "dir_triage_", ".csv", "csv", ("TRIAGE_DATE", "DOB", "PLANNED_RELEASE_DATE"),
        date_format="%d/%m/%Y", encoding="cp1252", crlf=True,
    ),
    "dir_release": FileSpec(
        "dir", "dir_release_", ".csv", "csv", ("RELEASE_DATE", "DOB"),
        date_format="%d/%m/%Y", encoding="cp1252", crlf=True,
    ),
    "ndtms_client": FileSpec("ndtms", "CLIENT_", ".csv", "csv", ("DOB",), null="NA"),
    "ndtms_episode": FileSpec(
        "ndtms", "EPISODE_", ".csv", "csv", ("TRIAGED", "CPLANDT", "DISD"), null="NA"
    ),
    "ndtms_modality": FileSpec(
        "ndtms", "MODALITY_", ".csv", "csv", ("REFMODDT", "MODST", "MODEND"), null="NA"
    ),
    "ndtms_top": FileSpec("ndtms", "TOP_", ".csv", "csv", ("TOPDATE",), null="NA"),
    "rmdt_test": FileSpec("rmdt", "rmdt_", ".xlsx", "xlsx", ("TEST_DATE",)),
}  # fmt: skip

#: Fixed workbook timestamp so that re-running gives byte-identical XLSX files.
XLSX_CREATED = dt.datetime(2025, 1, 1, 0, 0, 0)
EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 to 1970-01-01


def path_for(landing: Path, table: str, month: str) -> Path:
    spec = SPECS[table]
    return landing / spec.source / month / f"{spec.prefix}{month.replace('-', '')}{spec.suffix}"


def write_table(frame: pl.DataFrame, table: str, landing: Path, months: list[str]) -> int:
    """Write one file per month (header-only when the month has no rows); returns rows."""
    spec = SPECS[table]
    if spec.fmt == "csv":
        frame = frame.with_columns(to_date(c) for c in spec.dates)
    parts = frame.partition_by("_month", as_dict=True, maintain_order=True, include_key=False)
    empty = frame.drop("_month").clear()
    rows = 0
    for month in months:
        part = parts.get((month,), empty)
        path = path_for(landing, table, month)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows += part.height
        if spec.fmt == "csv" and spec.encoding == "utf-8" and not spec.crlf:
            part.write_csv(
                path, separator=spec.separator, date_format=spec.date_format, null_value=spec.null
            )
        elif spec.fmt == "csv":
            text = part.write_csv(
                separator=spec.separator,
                date_format=spec.date_format,
                null_value=spec.null,
                line_terminator="\r\n" if spec.crlf else "\n",
            )
            path.write_bytes(text.encode(spec.encoding))
        elif spec.fmt == "jsonl":
            path.write_bytes(part.write_ndjson().encode() if part.height else b"")
        else:
            _write_xlsx(part, path, spec)
    return rows


def write_month_xlsx(part: pl.DataFrame, path: Path) -> int:
    """Write one month's rMDT workbook (used by parallel workers); returns rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_xlsx(part, path, SPECS["rmdt_test"])
    return part.height


def _write_xlsx(part: pl.DataFrame, path: Path, spec: FileSpec) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": XLSX_CREATED, "author": "rMDT"})
    ws = wb.add_worksheet("tests")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    cols = part.columns
    ws.write_row(0, 0, cols)
    date_idx = [cols.index(c) for c in spec.dates]
    for c in date_idx:
        ws.set_column(c, c, 12)
    for r, row in enumerate(part.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if c in date_idx:
                ws.write_number(r, c, value + EXCEL_EPOCH_OFFSET, date_fmt)
            else:
                ws.write_string(r, c, value)
    wb.close()
