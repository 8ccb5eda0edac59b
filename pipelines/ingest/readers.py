"""Read one delivered file into text columns named as in the contract.

Rows are numbered where a person finds them: ``__row`` is the file line number of text formats
(header = line 1; a record spanning lines takes its first line) and the sheet row number of a
workbook (header = row 1). Blank lines (rows) at the end of a file are not rows. Records that
cannot be split into the contract's fields (wrong field count, blank line, repeated header,
duplicated JSON key, Excel error cell) come back in :attr:`ReadResult.rejected` and are not in
the frame. Whole-file faults raise :class:`FileFault`; no parser's own message is passed on.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from pipelines.contracts.deliveries import Contract
from pipelines.ingest.messages import WHOLE_RECORD, FileFault

__all__ = ["REJECT_SCHEMA", "ROW", "FileFault", "ReadResult", "read_file"]

ROW = "__row"
REJECT_SCHEMA = {ROW: pl.Int32, "field": pl.String, "value": pl.String, "reason": pl.String}
_DELIMITERS = (",", "|", ";", "\t")
_UTF8_BOM = b"\xef\xbb\xbf"
_JSON_KEY = r'"(?:[^"\\]|\\.)*"\s*:'
_DUPLICATES = "\x00duplicated"
#: control characters and invisible format characters (zero-width space, BOM, word joiner)
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]"
_CONTROL = re.compile(CONTROL)


@dataclass
class ReadResult:
    """Rows that split into the contract's fields (text columns plus ``__row``), rejected
    records (``__row``, field, value, reason) and header drift worth reporting."""

    frame: pl.DataFrame
    unexpected_columns: list[str] = field(default_factory=list)
    rejected: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_SCHEMA))
    #: the whole file was searched and holds no :data:`CONTROL` character
    control_free: bool = False

    @property
    def rows_read(self) -> int:
        return self.frame.height + self.rejected[ROW].n_unique()


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
    """Strictly decoded text without its byte-order mark (a UTF-8 one only in UTF-8 files)."""
    if encoding != "utf-8" and data.startswith(_UTF8_BOM):
        raise FileFault(path, f"wrong encoding: UTF-8 byte-order mark, expected {encoding}")
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


def _lines(text: str) -> tuple[pl.DataFrame, bool]:
    """Physical lines (``__row`` = line number, ``line`` without CR) up to the last non-blank
    one, and whether blank lines were cut from the end (beyond the final newline)."""
    # Python's split: polars splitting one large string took four times as long
    lines = pl.Series("line", text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
    content = lines.str.contains(r"\S").arg_true()
    keep = int(content[-1]) + 1 if content.len() else 0
    cut = lines.len() - keep > (1 if text.endswith("\n") else 0)
    frame = lines.head(keep).to_frame().with_row_index(ROW, offset=1)
    return frame.with_columns(pl.col(ROW).cast(pl.Int32)), cut


def _blank(line: pl.Expr) -> pl.Expr:
    return ~line.str.contains(r"\S")


def _check_header(
    path: Path, contract: Contract, header: list[str], **where
) -> tuple[list[str], list[str]]:
    """Column names (contract spelling for a name that differs only by case or surrounding
    spaces) and unexpected columns; raise on a missing, duplicated or absent header."""
    expected = {f.name.casefold(): f.name for f in contract.fields}
    names = [expected.get(str(h).strip().casefold(), str(h).strip()) for h in header]
    known = {n for n in names if n.casefold() in expected}
    if len(known) * 2 < len(expected):
        raise FileFault(
            path,
            f"no header row: the first row names {len(known)} of the contract's "
            f"{len(expected)} columns",
            **where,
        )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise FileFault(path, f"duplicated column(s) {', '.join(duplicated)}", **where)
    missing = [f.name for f in contract.fields if f.name not in names]
    unexpected = [n or "(blank)" for n in names if n not in known]
    if missing:
        fault = f"missing column(s) {', '.join(missing)}"
        if unexpected:
            fault += f"; unexpected column(s) {', '.join(unexpected)} (renamed?)"
        raise FileFault(path, fault, **where)
    return names, unexpected


def _rejected(
    frame: pl.DataFrame, reason: pl.Expr, value: pl.Expr, field: pl.Expr | None = None
) -> pl.DataFrame:
    """Rejected records in :data:`REJECT_SCHEMA` (the whole record unless ``field`` is given)."""
    field = pl.lit(WHOLE_RECORD) if field is None else field
    return frame.select(ROW, field=field, value=value, reason=reason).cast(REJECT_SCHEMA)


def _read_well_formed(
    source: bytes, contract: Contract, first: str, width: int
) -> pl.DataFrame | None:
    """The fast path: the file (``source``: its UTF-8 bytes) parsed whole, or None when any
    line may be mis-shaped.

    Without quotes, a line is a record; polars refuses a line with too many fields, so when the
    delimiters add up to exactly ``width - 1`` per record (header included) no line is short
    or blank either. A repeated header line also sends the file to the line scan. (The
    delimiter, quote and header are counted in the bytes: in UTF-8 no other character contains
    an ASCII byte.)
    """
    sep = contract.delimiter.encode()
    if b'"' in source or source.count(first.encode()) > 1:
        return None
    try:
        frame = pl.read_csv(
            source, separator=contract.delimiter, infer_schema=False, null_values=None
        )
    except pl.exceptions.PolarsError:
        return None
    if source.count(sep) != (frame.height + 1) * (width - 1):
        return None
    return frame


def _read_delimited(path: Path, contract: Contract) -> ReadResult:
    data = path.read_bytes()
    text = _decode(path, data, contract.encoding)
    end = text.find("\n")
    first, sep = (text if end < 0 else text[:end]).rstrip("\r"), contract.delimiter
    if not first.strip():
        raise FileFault(path, "no header row", line=1)
    header = next(csv.reader([first], delimiter=sep))
    if len(header) == 1 and len(contract.fields) > 1:
        found = [d for d in _DELIMITERS if d != sep and d in first]
        seen = f"; the header contains {found[0]!r}" if found else ""
        raise FileFault(
            path, f"wrong delimiter: expected {sep!r}, header has 1 column{seen}", line=1
        )
    names, unexpected = _check_header(path, contract, header, line=1)
    clean = _CONTROL.search(text) is None
    # polars reads UTF-8 only: it gets the delivered bytes when they already are. Only those
    # bytes are kept while polars parses (the text is made again for the rare slow path), so a
    # large file is held twice, not four times.
    if contract.encoding != "utf-8":
        data = text.encode()
    del text
    frame = _read_well_formed(data, contract, first, len(header))
    if frame is not None:
        frame.columns = names
        rows = pl.int_range(2, frame.height + 2, dtype=pl.Int32, eager=True).alias(ROW)
        frame = frame.select(f.name for f in contract.fields).with_columns(rows)
        return ReadResult(frame, unexpected, control_free=clean)
    text = data.decode().removeprefix("\ufeff")
    lines, _ = _lines(text)
    quoted = '"' in text
    if quoted and (lines["line"].str.count_matches('"', literal=True) % 2 == 1).any():
        del data, lines
        return _read_multiline(path, contract, text, header, names, unexpected)
    line = pl.col("line")
    unquoted = line.str.replace_all(r'"[^"]*"', "") if quoted else line
    width = unquoted.str.count_matches(sep, literal=True) + 1
    scan = lines.slice(1).with_columns(
        reason=pl.when(_blank(line))
        .then(pl.lit("blank_line"))
        .when(line == first)
        .then(pl.lit("repeated_header"))
        .when(width != len(header))
        .then(pl.lit("wrong_field_count")),
        width=width,
    )
    bad = scan.filter(pl.col("reason").is_not_null()).with_columns(
        value=pl.when(pl.col("reason") == "wrong_field_count").then(
            pl.col("width").cast(pl.String) + pl.lit(f" of {len(header)} fields")
        )
    )
    good = scan.filter(pl.col("reason").is_null())
    rows = pl.concat([pl.Series([first]), good["line"]]).str.join("\n")
    source = (rows.item() + "\n").encode()
    good = good.select(ROW)
    del text, data, lines, scan
    try:
        frame = pl.read_csv(source, separator=sep, infer_schema=False, null_values=None)
    except pl.exceptions.PolarsError:
        raise FileFault(path, "unreadable rows (the parser's message is withheld)") from None
    if frame.height != good.height:
        raise FileFault(path, f"{frame.height} records parsed from {good.height} lines")
    frame.columns = names
    frame = frame.select(f.name for f in contract.fields).with_columns(good[ROW])
    return ReadResult(frame, unexpected, _rejected(bad, pl.col("reason"), pl.col("value")))


def _read_multiline(
    path: Path, contract: Contract, text: str, header: list[str], names: list[str], unexpected
) -> ReadResult:
    """Records with quoted line breaks: split by the csv module (the rare, slower path)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=contract.delimiter)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            records.append((start, record))
            start = reader.line_num + 1
    except csv.Error:
        raise FileFault(path, "unreadable record (unbalanced quotes?)", line=start) from None
    while records and not "".join(records[-1][1]).strip():
        records.pop()
    good: list[tuple[int, list[str]]] = []
    bad: list[tuple[int, str | None, str]] = []
    for number, record in records[1:]:
        if not "".join(record).strip() and len(record) <= 1:
            bad.append((number, None, "blank_line"))
        elif record == header:
            bad.append((number, None, "repeated_header"))
        elif len(record) != len(header):
            bad.append((number, f"{len(record)} of {len(header)} fields", "wrong_field_count"))
        else:
            good.append((number, record))
    frame = pl.DataFrame([r for _, r in good], schema=names, orient="row")
    frame = frame.select(f.name for f in contract.fields).with_columns(
        pl.Series(ROW, [n for n, _ in good], dtype=pl.Int32)
    )
    rejected = pl.DataFrame(bad, schema=[ROW, "value", "reason"], orient="row")
    return ReadResult(frame, unexpected, _rejected(rejected, pl.col("reason"), pl.col("value")))


def _flatten(obj: dict, prefix: str, out: dict[str, str | None]) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}.", out)
        else:
            out[name] = None if value is None else str(value)


def _json_tree(names: list[str]) -> dict:
    tree: dict = {}
    for name in names:
        node = tree
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = None
    return tree


def _json_schema(tree: dict) -> dict[str, pl.DataType]:
    """Nested polars schema reading every contract field of a JSON record as text."""
    return {k: pl.String() if v is None else pl.Struct(_json_schema(v)) for k, v in tree.items()}


def _key_count(tree: dict) -> int:
    return sum(1 + (_key_count(v) if v else 0) for v in tree.values())


def _json_field(name: str) -> pl.Expr:
    first, *rest = name.split(".")
    expr = pl.col(first)
    for part in rest:
        expr = expr.struct.field(part)
    return expr.alias(name)


def _pairs(pairs: list[tuple[str, object]]) -> dict:
    """``object_pairs_hook`` remembering keys given twice in one object."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            out.setdefault(_DUPLICATES, []).append(key)
        out[key] = value
    return out


def _duplicated(obj: dict, prefix: str = "") -> list[str]:
    found = [f"{prefix}{k}" for k in obj.get(_DUPLICATES, [])]
    for key, value in obj.items():
        if isinstance(value, dict):
            found += _duplicated(value, f"{prefix}{key}.")
    return found


def _parse_json(path: Path, number: int, line: str) -> dict:
    try:
        record = json.loads(line, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise FileFault(
            path, f"invalid JSON ({exc.msg} at column {exc.colno}; truncated?)", line=number
        ) from None
    if not isinstance(record, dict):
        raise FileFault(path, "not a JSON object", line=number)
    return record


def _read_jsonl(path: Path, contract: Contract) -> ReadResult:
    data = path.read_bytes()
    text = _decode(path, data, contract.encoding)
    lines, cut = _lines(text)
    del text
    names = [f.name for f in contract.fields]
    tree = _json_tree(names)
    blank = lines.filter(_blank(pl.col("line")))
    records = lines.filter(~_blank(pl.col("line")))
    if not records.height:
        raise FileFault(path, "no records")
    first = _parse_json(path, records[ROW][0], records["line"][0])
    # a record with a key given twice has more keys than the contract: check those exactly
    keys = pl.col("line").str.count_matches(_JSON_KEY)
    dupes = [
        (number, found[0], "duplicate_json_key")
        for number, line in records.filter(keys != _key_count(tree)).iter_rows()
        if (found := _duplicated(_parse_json(path, number, line)))
    ]
    if blank.height or cut or data[:3] == _UTF8_BOM:
        source = (records["line"].str.join("\n").item() + "\n").encode()
    else:
        source = data
    del data
    try:
        frame = pl.read_ndjson(io.BytesIO(source), schema=_json_schema(tree))
    except pl.exceptions.PolarsError:
        for number, line in records.iter_rows():
            _parse_json(path, number, line)
        raise FileFault(path, "records do not match the contract's structure") from None
    if frame.height != records.height:
        raise FileFault(path, f"{frame.height} records parsed from {records.height} lines")
    frame = frame.select(_json_field(n) for n in names).with_columns(records[ROW])
    flat: dict[str, str | None] = {}
    _flatten({k: v for k, v in first.items() if k != _DUPLICATES}, "", flat)
    absent = [n for n in names if n not in flat and frame[n].null_count() == frame.height]
    if absent:
        raise FileFault(path, f"missing field(s) {', '.join(absent)} in every record")
    rejected = pl.concat(
        [
            _rejected(blank, pl.lit("blank_line"), pl.lit(None)),
            _rejected(
                pl.DataFrame(dupes, schema=[ROW, "field", "reason"], orient="row"),
                pl.col("reason"),
                pl.lit(None),
                pl.col("field"),
            ),
        ]
    )
    if rejected.height:
        frame = frame.join(rejected.select(ROW), on=ROW, how="anti", maintain_order="left")
    return ReadResult(frame, sorted(set(flat) - set(names)), rejected.sort(ROW))


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _error_cells(path: Path, sheet: str) -> list[tuple[int, int, str]]:
    """(sheet row, column index, error code) of Excel error cells (#N/A...) on ``sheet``,
    which the reader would return as empty."""
    with zipfile.ZipFile(path) as book:
        workbook = book.read("xl/workbook.xml").decode()
        rels = book.read("xl/_rels/workbook.xml.rels").decode()
        match = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', workbook)
        target = match and re.search(rf'Id="{match[1]}"[^>]*Target="([^"]+)"', rels)
        if not target:
            target = match and re.search(rf'Target="([^"]+)"[^>]*Id="{match[1]}"', rels)
        if not target:
            return []
        name = target[1].lstrip("/")
        xml = book.read(name if name.startswith("xl/") else f"xl/{name}").decode()
    if 't="e"' not in xml:
        return []
    cells = re.finditer(r'<c r="([A-Z]+)(\d+)"[^>]*?t="e"[^>]*>(?:<f>.*?</f>)?<v>([^<]*)</v>', xml)
    return [(int(m[2]), _column_index(m[1]), m[3]) for m in cells]


def _read_xlsx(path: Path, contract: Contract) -> ReadResult:
    try:
        reader = fastexcel.read_excel(str(path))
        if contract.sheet not in reader.sheet_names:
            raise FileFault(
                path, f"no sheet {contract.sheet!r} (found {', '.join(reader.sheet_names)})"
            )
        frame = reader.load_sheet_by_name(contract.sheet, dtypes="string").to_polars()
        errors = _error_cells(path, contract.sheet)
    except FileFault:
        raise
    except Exception as exc:  # calamine reports corrupt workbooks with several error types
        raise FileFault(
            path, f"unreadable workbook: not a valid .xlsx file ({type(exc).__name__})"
        ) from None
    where = {"sheet": contract.sheet, "row": 1}
    names, unexpected = _check_header(path, contract, [str(c) for c in frame.columns], **where)
    header = list(frame.columns)
    frame.columns = names
    wanted = [f.name for f in contract.fields]
    dates = [f.name for f in contract.fields if f.kind == "date"]
    ints = [f.name for f in contract.fields if f.kind == "int"]
    frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int32))
    filled = pl.any_horizontal(pl.col(names).is_not_null() & ~_blank(pl.col(names)))
    content = frame[ROW].filter(frame.select(filled).to_series())
    frame = frame.filter(pl.col(ROW) <= (content.max() or 1))
    blank = frame.filter(~filled)
    cells = pl.DataFrame(
        [(r, header[c], v) for r, c, v in errors if c < len(header) and r > 1],
        schema={ROW: pl.Int32, "field": pl.String, "value": pl.String},
        orient="row",
    )
    rejected = pl.concat(
        [
            _rejected(blank, pl.lit("blank_line"), pl.lit(None)),
            _rejected(
                cells,
                pl.lit("excel_error"),
                pl.col("value"),
                pl.col("field").replace(dict(zip(header, names, strict=True))),
            ),
        ]
    )
    frame = (
        frame.join(rejected.select(ROW), on=ROW, how="anti")
        .select(*wanted, ROW)
        .with_columns(
            # a date cell holding a time of day is that date; the date part must still be exact
            pl.col(dates).str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$", "$1"),
            pl.col(ints).str.replace(r"^(-?\d+)\.0+$", "$1"),
        )
    )
    return ReadResult(frame, unexpected, rejected.sort(ROW))
