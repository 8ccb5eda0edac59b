"""Malformed-delivery tests: one ``ci`` month in a private landing folder, damaged one way,
ingested by the real assets; and the privacy scan every such run goes through.

A test module uses the ``landing`` and ``month`` fixtures and :func:`privacy_scan` (autouse via
``pytestmark``): every :class:`Run` made during a test is scanned afterwards for identifiers of
the delivered files, in Dagster events and failures, ``ops.manifest.error``,
``ops.quarantine.value`` and the log records.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb
import openpyxl
import pytest

from pipelines.contracts.deliveries import CONTRACTS, Contract
from pipelines.ingest.landing import landing_months
from pipelines.ingest.materialise import failures, materialise_ingest
from pipelines.ingest.messages import private_fields

#: DOBs are searched for in all these spellings.
DATE_SPELLINGS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


@pytest.fixture(scope="module")
def source_landing(ci_synth: Path) -> Path:
    return ci_synth / "landing"


@pytest.fixture(scope="module")
def month(source_landing: Path) -> str:
    """The second delivered month (the first also carries the sources' backlog)."""
    return landing_months(source_landing)[1]


@pytest.fixture
def landing(source_landing: Path, month: str, tmp_path: Path) -> Path:
    """A private landing folder holding one month of every source."""
    out = tmp_path / "landing"
    for source in {c.source for c in CONTRACTS.values()}:
        shutil.copytree(source_landing / source / month, out / source / month)
    return out


class Run:
    """One ingest materialisation and read-only access to the warehouse it wrote."""

    #: every run made since the privacy scan's last reset
    made: ClassVar[list[Run]] = []
    instance: ClassVar[dg.DagsterInstance | None] = None

    def __init__(self, landing: Path, table: str, months: list[str]) -> None:
        self.landing, self.table = landing, table
        self.warehouse = landing.parent / "warehouse.duckdb"
        self.results = []
        Run.made.append(self)
        self.rerun(months)

    def rerun(self, months: list[str]) -> Run:
        if Run.instance is None:  # one in-memory instance per process: runs are independent
            Run.instance = dg.DagsterInstance.ephemeral()
        self.result = materialise_ingest(
            months,
            landing_dir=self.landing,
            warehouse=self.warehouse,
            tables=[self.table],
            instance=Run.instance,
        )
        self.results.append(self.result)
        return self

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(query, params or []).fetchall()

    def quarantine(self) -> set[tuple[int, str, str]]:
        rows = self.sql(
            "SELECT row_number, field, reason FROM ops.quarantine WHERE table_name = ?",
            [self.table],
        )
        return set(rows)

    def manifest(self) -> list[tuple]:
        return self.sql(
            "SELECT path, status, rows_read, rows_loaded, rows_quarantined, duplicate_of, "
            "unexpected_columns, error, sha256, loaded_at FROM ops.manifest "
            "WHERE table_name = ? ORDER BY path, status",
            [self.table],
        )

    def raw_count(self, month: str | None = None) -> int:
        where = f"WHERE _delivery_month = '{month}'" if month else ""
        return self.sql(f"SELECT count(*) FROM raw.{self.table} {where}")[0][0]

    def check(self, name: str):
        return next(
            e
            for e in self.result.get_asset_check_evaluations()
            if e.check_name == name and e.asset_key.path[-1] == self.table
        )

    def assert_reconciles(self, rows_in: int | None = None) -> None:
        """Per loaded file read = loaded + quarantined (and = ``rows_in`` when given)."""
        for path, status, read, loaded, quarantined, *_ in self.manifest():
            if status == "loaded":
                assert read == loaded + quarantined, path
                assert rows_in is None or read == rows_in, (path, read, rows_in)
        assert self.check("reconciles").passed

    def messages(self) -> list[str]:
        """Everything this run said: event messages, failures, manifest errors, quarantine."""
        out = []
        for result in self.results:
            for event in result.all_events:
                out.append(event.message or "")
                data = event.event_specific_data
                error = getattr(data, "error", None)
                out.append(error.to_string() if error else str(data))
        out += [e for (e,) in self.sql("SELECT error FROM ops.manifest") if e]
        out += [v for (v,) in self.sql("SELECT value FROM ops.quarantine") if v]
        return out


def path_of(landing: Path, table: str, month: str) -> Path:
    c = CONTRACTS[table]
    return landing / c.source / month / c.file_name(month)


def rel(table: str, month: str) -> str:
    c = CONTRACTS[table]
    return f"{c.source}/{month}/{c.file_name(month)}"


def read_rows(path: Path, table: str) -> tuple[list[str], list[list[str]], str]:
    c = CONTRACTS[table]
    data = path.read_bytes()
    newline = "\r\n" if b"\r\n" in data else "\n"
    rows = list(csv.reader(io.StringIO(data.decode(c.encoding), newline=""), delimiter=c.delimiter))
    return rows[0], rows[1:], newline


def write_rows(
    path: Path,
    table: str,
    header: list[str],
    rows: list[list[str]],
    newline: str = "\n",
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> None:
    c = CONTRACTS[table]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter or c.delimiter, lineterminator=newline)
    writer.writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding or c.encoding))


def set_cell(path: Path, table: str, row: int, field: str, value: str) -> str:
    """Set data row ``row`` (1-based; file line ``row + 1``) of ``field``; return the old value."""
    header, rows, newline = read_rows(path, table)
    old = rows[row - 1][header.index(field)]
    rows[row - 1][header.index(field)] = value
    write_rows(path, table, header, rows, newline)
    return old


def fail_message(run: Run) -> str:
    assert not run.result.success
    (message,) = failures(run.result)
    return message


def assert_nothing_loaded(run: Run, table: str, month: str) -> None:
    assert run.raw_count() == 0
    assert run.quarantine() == set()
    statuses = [(p, s) for p, s, *_ in run.manifest()]
    assert statuses == [(rel(table, month), "rejected")]


# -- the privacy scan ----------------------------------------------------------------------------


def _records(path: Path, c: Contract) -> Iterator[dict[str, str]]:
    """Records of a delivered (possibly damaged) file, read as leniently as possible."""
    if c.fmt == "xlsx":
        try:
            rows = list(openpyxl.load_workbook(path, read_only=True)[c.sheet].values)
        except Exception:  # a corrupt workbook holds nothing readable
            return
        for row in rows[1:]:
            yield {str(h): "" if v is None else str(v) for h, v in zip(rows[0], row, strict=False)}
        return
    text = path.read_bytes().decode(c.encoding, errors="replace")
    if c.fmt == "jsonl":
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            flat: dict[str, str] = {}
            _flatten(record, "", flat)
            yield flat
        return
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=c.delimiter))
    for row in rows[1:]:
        yield dict(zip(rows[0], row, strict=False))


def _flatten(obj: object, prefix: str, out: dict[str, str]) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            _flatten(value, f"{prefix}{key}.", out)
    elif obj is not None:
        out[prefix.rstrip(".")] = str(obj)


def _spellings(value: str, c: Contract, is_date: bool) -> set[str]:
    value = value.strip()
    out = {value} if len(value) >= 3 else set()
    if is_date:
        for fmt in (c.date_format, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                day = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            out |= {day.strftime(s) for s in DATE_SPELLINGS}
    return out


def identifiers(landing: Path, table: str, month: str | None = None) -> set[str]:
    """Clear identifiers (names, DOBs in every spelling, PNC/CRO/prison numbers, CRN,
    postcode districts, source record ids) of every file delivered for ``table`` (in
    ``month``'s folder only when given)."""
    c = CONTRACTS[table]
    private = private_fields(c)
    dates = {f.name for f in c.fields if f.kind == "date"}
    found: set[str] = set()
    folder = landing / c.source / month if month else landing / c.source
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or not path.name.lower().startswith(c.file_prefix.lower()):
            continue
        for record in _records(path, c):
            for name, value in record.items():
                key = next((f for f in private if f.casefold() == name.strip().casefold()), None)
                if key and value:
                    found |= _spellings(value, c, key in dates)
    return found


def leaks(texts: list[str], secrets: set[str]) -> list[tuple[str, str]]:
    """(identifier, text) for every identifier found as a whole token in a text."""
    if not secrets:
        return []
    alternatives = "|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True))
    pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
    return [(m[0], text[:200]) for text in texts for m in [pattern.search(text)] if m]


@pytest.fixture
def privacy_scan(
    caplog: pytest.LogCaptureFixture, source_landing: Path, month: str, tmp_path: Path
) -> Iterator[None]:
    """After the test: no identifier of any delivered file in anything its runs said.

    Asks for ``tmp_path`` so the runs' warehouses there outlive this scan (pytest removes a
    passed test's folder when ``tmp_path`` is torn down).
    """
    caplog.set_level(logging.DEBUG)
    Run.made.clear()
    yield
    for run in Run.made:
        # the undamaged delivery too, should the damage make a file unreadable to the scan
        secrets = identifiers(run.landing, run.table) | identifiers(
            source_landing, run.table, month
        )
        texts = run.messages() + [r.getMessage() for r in caplog.records]
        assert not leaks(texts, secrets), leaks(texts, secrets)[:3]
    Run.made.clear()
