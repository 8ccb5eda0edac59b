"""Read one delivered file into a frame of text columns named as in the contract.

Whole-file faults (empty file, undecodable bytes, wrong delimiter, missing column, truncated
JSON line, unreadable workbook) raise :class:`FileFault` naming the file and the fault.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from pipelines.contracts.deliveries import Contract

ROW = "__row"
_DELIMITERS = (",", "|", ";", "\t")


class FileFault(Exception):
    """A delivered file that cannot be loaded at all."""

    def __init__(self, path: Path | str, fault: str) -> None:
        self.path = str(path)
        self.fault = fault
        super().__init__(f"{self.path}: {fault}")


@dataclass
class ReadResult:
    """The rows of one file (text columns plus ``__row``) and header drift worth reporting."""

    frame: pl.DataFrame
    unexpected_columns: list[str] = field(default_factory=list)


def read_file(path: Path, contract: Contract) -> ReadResult:
    """Read ``path`` according to ``contract.fmt``."""
    if path.stat().st_size == 0:
        raise FileFault(path, "empty file (0 bytes)")
    if contract.fmt == "csv":
        return _read_delimited(path, contract)
    if contract.fmt == "jsonl":
        return _read_jsonl(path, contract)
    return _read_xlsx(path, contract)


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileFault(
            path, f"undecodable bytes: not valid {encoding} at byte {exc.start} ({exc.reason})"
        ) from None
    if encoding != "utf-8" and any(b >= 0x80 for b in data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise FileFault(path, f"wrong encoding: the file is UTF-8, expected {encoding}")
    return text.removeprefix("\ufeff")


def _check_header(path: Path, contract: Contract, header: list[str]) -> list[str]:
    """Raise on missing or duplicated columns; return unexpected (extra) columns."""
    expected = [f.name for f in contract.fields]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise FileFault(path, f"duplicated column(s) {', '.join(duplicated)}")
    missing = [c for c in expected if c not in header]
    unexpected = [h for h in header if h not in expected]
    if missing:
        fault = f"missing column(s) {', '.join(missing)}"
        if unexpected:
            fault += f"; unexpected column(s) {', '.join(unexpected)} (renamed?)"
        raise FileFault(path, fault)
    return unexpected


def _read_delimited(path: Path, contract: Contract) -> ReadResult:
    data = path.read_bytes()
    text = _decode(path, data, contract.encoding)
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise FileFault(path, "no header row")
    header = next(csv.reader([first], delimiter=contract.delimiter))
    if len(header) == 1 and len(contract.fields) > 1:
        found = [d for d in _DELIMITERS if d != contract.delimiter and d in first]
        seen = f"; the header contains {found[0]!r}" if found else ""
        raise FileFault(
            path, f"wrong delimiter: expected {contract.delimiter!r}, header has 1 column{seen}"
        )
    unexpected = _check_header(path, contract, header)
    # polars reads UTF-8 only: hand it the delivered bytes when they already are (no BOM)
    source = data if contract.encoding == "utf-8" and data[:1] != b"\xef" else text.encode()
    del text, data
    try:
        frame = pl.read_csv(
            source,
            separator=contract.delimiter,
            infer_schema=False,
            null_values=None,
        )
    except pl.exceptions.PolarsError as exc:
        raise FileFault(path, f"malformed rows: {str(exc).splitlines()[0]}") from None
    names = [f.name for f in contract.fields]
    frame = frame.select(names).with_row_index(ROW, offset=1)
    return ReadResult(frame.with_columns(pl.col(ROW).cast(pl.Int32)), unexpected)


def _flatten(obj: dict, prefix: str, out: dict[str, str | None]) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}.", out)
        elif value is None:
            out[name] = None
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, int | float | str):
            out[name] = str(value)
        else:
            out[name] = json.dumps(value)


def _json_schema(names: list[str]) -> dict[str, pl.DataType]:
    """Nested polars schema reading every contract field of a JSON record as text."""
    tree: dict = {}
    for name in names:
        node = tree
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = None

    def build(node: dict) -> dict[str, pl.DataType]:
        return {k: pl.String() if v is None else pl.Struct(build(v)) for k, v in node.items()}

    return build(tree)


def _json_field(name: str) -> pl.Expr:
    first, *rest = name.split(".")
    expr = pl.col(first)
    for part in rest:
        expr = expr.struct.field(part)
    return expr.alias(name)


def _scan_json_lines(path: Path, text: str) -> None:
    """Raise a FileFault naming the first line that is not a JSON object."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FileFault(
                path, f"line {number}: invalid JSON ({exc.msg} at column {exc.colno}; truncated?)"
            ) from None
        if not isinstance(record, dict):
            raise FileFault(path, f"line {number}: not a JSON object")


def _read_jsonl(path: Path, contract: Contract) -> ReadResult:
    data = path.read_bytes()
    text = _decode(path, data, contract.encoding)
    names = [f.name for f in contract.fields]
    first_line = next((line for line in text.splitlines() if line.strip()), None)
    if first_line is None:
        raise FileFault(path, "no records")
    _scan_json_lines(path, first_line)
    try:
        frame = pl.read_ndjson(io.BytesIO(data), schema=_json_schema(names))
    except pl.exceptions.PolarsError as exc:
        _scan_json_lines(path, text)
        raise FileFault(path, f"invalid JSON: {str(exc).splitlines()[0]}") from None
    del text
    frame = frame.select(_json_field(n) for n in names)
    first: dict[str, str | None] = {}
    _flatten(json.loads(first_line), "", first)
    absent = [n for n in names if n not in first and frame[n].null_count() == frame.height]
    if absent:
        raise FileFault(path, f"missing field(s) {', '.join(absent)} in every record")
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int32))
    return ReadResult(frame, sorted(set(first) - set(names)))


def _read_xlsx(path: Path, contract: Contract) -> ReadResult:
    try:
        reader = fastexcel.read_excel(str(path))
        if contract.sheet not in reader.sheet_names:
            raise FileFault(
                path, f"no sheet {contract.sheet!r} (found {', '.join(reader.sheet_names)})"
            )
        frame = reader.load_sheet_by_name(contract.sheet, dtypes="string").to_polars()
    except FileFault:
        raise
    except Exception as exc:  # calamine reports corrupt workbooks with several error types
        raise FileFault(path, f"unreadable workbook: {exc}") from None
    unexpected = _check_header(path, contract, [str(c) for c in frame.columns])
    names = [f.name for f in contract.fields]
    dates = [f.name for f in contract.fields if f.kind == "date"]
    frame = frame.select(names).with_columns(
        pl.col(dates).str.replace(r" 00:00:00$", ""),
        pl.col(n for n in names if n not in dates).str.replace(r"^(-?\d+)\.0$", "$1"),
    )
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int32))
    return ReadResult(frame, unexpected)
