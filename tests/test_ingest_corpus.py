# ruff: noqa: F811 -- pytest fixtures are imported from tests.support.ingest_runs
"""A larger corpus of malformed deliveries, of the kinds real suppliers send.

Each case damages one ``ci`` file (one month, one table) in one way, ingests it through the
real asset and asserts the outcome: the quarantined (line, field, reason) entries of the file,
or the file fault naming file and line; that rows in = loaded + quarantined, with rows in
counted by the case itself (trailing blank lines are not rows); and, through the privacy scan
(``tests.support.ingest_runs.privacy_scan``), that no identifier of the delivered file appears
in any event, failure, manifest error, quarantine value or log record.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from pipelines.contracts.deliveries import CONTRACTS
from pipelines.ingest.materialise import failures
from pipelines.ingest.messages import WHOLE_RECORD
from pipelines.ingest.validate import month_end
from tests.support.ingest_runs import (  # noqa: F401 (fixtures)
    Run,
    identifiers,
    landing,
    leaks,
    month,
    path_of,
    privacy_scan,
    read_rows,
    rel,
    set_cell,
    source_landing,
    write_rows,
)

pytestmark = pytest.mark.usefixtures("privacy_scan")
REC = WHOLE_RECORD


# -- damaging helpers -----------------------------------------------------------------------


def text_lines(path: Path, table: str) -> tuple[list[str], str]:
    """The file's lines (without the final newline) and its line ending."""
    text = path.read_bytes().decode(CONTRACTS[table].encoding)
    newline = "\r\n" if "\r\n" in text else "\n"
    return text.removesuffix(newline).split(newline), newline


def write_lines(
    path: Path, table: str, lines: list[str], newline: str, *, end: str | None = None, bom=b""
) -> None:
    body = newline.join(lines) + (newline if end is None else end)
    path.write_bytes(bom + body.encode(CONTRACTS[table].encoding))


def edit_lines(path: Path, table: str, edit: Callable[[list[str]], list[str]]) -> None:
    lines, newline = text_lines(path, table)
    write_lines(path, table, edit(lines), newline)


def drop_field(line: str, index: int, sep: str) -> str:
    parts = line.split(sep)
    return sep.join(parts[:index] + parts[index + 1 :])


def json_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_json(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def sheet_of(path: Path):
    book = openpyxl.load_workbook(path)
    return book, book["tests"]


def column(sheet, name: str) -> int:
    return [c.value for c in sheet[1]].index(name) + 1


def first_of_month(month: str, day: int = 1) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:]), day)


# -- the cases --------------------------------------------------------------------------------


@dataclass
class Case:
    """One damaged delivery. ``damage(path, month)`` edits the file and returns the rows it
    now holds (None: as many as before); ``quarantined`` are (line, field, reason)."""

    table: str
    damage: Callable[[Path, str], int | None]
    quarantined: set[tuple[int, str, str]] = field(default_factory=set)
    fault: str | None = None
    then: Callable[[Run, str], None] | None = None


def _cell(table: str, row: int, name: str, value: str):
    def damage(path: Path, month: str) -> None:
        set_cell(path, table, row, name, value)

    return damage


def quarantine_one(table: str, row: int, name: str, value: str, reason: str) -> Case:
    """Data row ``row`` (file line ``row + 1``) gets ``value`` in ``name``: one entry."""
    return Case(table, _cell(table, row, name, value), {(row + 1, name, reason)})


def loads_as(table: str, row: int, name: str, value: str, column_: str, expect) -> Case:
    """The value loads (nothing quarantined) and ``raw`` holds ``expect`` for it."""

    def then(run: Run, month: str) -> None:
        got = run.sql(f"SELECT {column_} FROM raw.{table} WHERE _row_number = ?", [row + 1])
        assert got == [(expect,)]

    return Case(table, _cell(table, row, name, value), then=then)


def _short_row(table: str, row: int, index: int):
    def damage(path: Path, month: str) -> None:
        sep = CONTRACTS[table].delimiter
        edit_lines(
            path, table, lambda ls: [*ls[:row], drop_field(ls[row], index, sep), *ls[row + 1 :]]
        )

    return damage


def _long_row(path: Path, month: str) -> None:
    edit_lines(path, "pnc_disposal", lambda ls: [*ls[:3], ls[3] + "|EXTRA", *ls[4:]])


def _trailing_blank_lines(table: str, end: str):
    def damage(path: Path, month: str) -> None:
        lines, newline = text_lines(path, table)
        write_lines(path, table, lines, newline, end=newline + end)

    return damage


def _blank_line_at(table: str, line: int, blank: str = ""):
    def damage(path: Path, month: str) -> int:
        lines, newline = text_lines(path, table)
        write_lines(path, table, [*lines[: line - 1], blank, *lines[line - 1 :]], newline)
        return len(lines)  # header excluded, the blank line included

    return damage


def _repeated_header(path: Path, month: str) -> int:
    lines, newline = text_lines(path, "pnc_person")
    write_lines(path, "pnc_person", [*lines[:5], lines[0], *lines[5:]], newline)
    return len(lines)


def _line_endings(table: str, newline: str, bom: bytes = b""):
    def damage(path: Path, month: str) -> None:
        lines, _ = text_lines(path, table)
        write_lines(path, table, lines, newline, bom=bom)

    return damage


def _nul_in_name(path: Path, month: str) -> None:
    set_cell(path, "pnc_person", 2, "SURNAME", "SMI\x00TH")


def _header_case_and_spaces(table: str):
    def damage(path: Path, month: str) -> None:
        header, rows, newline = read_rows(path, table)
        header = [f" {h.lower()} " if i % 2 else h.title() for i, h in enumerate(header)]
        write_rows(path, table, header, rows, newline)

    return damage


def _quoted_delimiter(path: Path, month: str) -> None:
    set_cell(path, "pnc_disposal", 1, "COURT_CODE", "MC|046")  # the writer quotes it


def _court_code(expect: str):
    def then(run: Run, month: str) -> None:
        assert run.sql("SELECT court_code FROM raw.pnc_disposal WHERE _row_number = 2") == [
            (expect,)
        ]

    return then


def _embedded_newline(path: Path, month: str) -> None:
    header, rows, newline = read_rows(path, "pnc_person")
    rows[1][header.index("FORENAMES")] = "ANNE\nMARIE"  # data row 2 spans lines 3-4
    rows[3][header.index("SEX")] = "Q"  # data row 4 starts on line 6
    write_rows(path, "pnc_person", header, rows, newline)


def _trailing_delimiter(path: Path, month: str) -> None:
    edit_lines(path, "pnc_person", lambda ls: [line + "|" for line in ls])


def _unexpected(name: str):
    def then(run: Run, month: str) -> None:
        assert run.manifest()[0][6] == name
        assert run.check("conforms_to_contract").severity.value == "WARN"

    return then


def _rename(upper: bool):
    def damage(path: Path, month: str) -> None:
        path.rename(path.with_name(path.name.upper() if upper else path.name))

    return damage


def _upper_case_path(run: Run, month: str) -> None:
    c = CONTRACTS[run.table]
    ((path, status),) = [(p, s) for p, s, *_ in run.manifest()]
    assert (path, status) == (f"{c.source}/{month}/{c.file_name(month).upper()}", "loaded")


def _stray_files(path: Path, month: str) -> None:
    (path.parent / "pnc_person_2023-02.psv.bak").write_bytes(path.read_bytes())
    (path.parent / "notes.txt").write_text("re-sent after the outage\n")


def _stray_files_recorded(run: Run, month: str) -> None:
    stray = run.sql(
        "SELECT path, table_name, status FROM ops.manifest WHERE status = 'unrecognised' "
        "ORDER BY path"
    )
    folder = f"pnc/{month}"
    assert stray == [
        (f"{folder}/notes.txt", None, "unrecognised"),
        (f"{folder}/pnc_person_2023-02.psv.bak", None, "unrecognised"),
    ]
    delivered = run.check("delivered")
    assert not delivered.passed and delivered.severity.value == "WARN"
    assert "notes.txt" in delivered.metadata["unrecognised_files"].value
    before = run.sql("SELECT * FROM ops.manifest ORDER BY ALL")
    assert run.rerun([month]).result.success  # unchanged: nothing rewritten, still reported
    assert run.sql("SELECT * FROM ops.manifest ORDER BY ALL") == before


def _dir_dates(triage: str, dob: str):
    def damage(path: Path, month: str) -> None:
        set_cell(path, "dir_triage", 1, "TRIAGE_DATE", triage.format(m=month[5:], y=month[:4]))
        set_cell(path, "dir_triage", 1, "DOB", dob.format(m=month[5:], y=month[:4]))

    return damage


def _utf8_bom_cp1252(path: Path, month: str) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def _no_header(path: Path, month: str) -> None:
    edit_lines(path, "dir_triage", lambda ls: ls[1:])


def _smart_quotes(path: Path, month: str) -> None:
    set_cell(path, "dir_release", 1, "SURNAME", "O\u2019Brien")


def _surname_kept(run: Run, month: str) -> None:
    names = run.sql("SELECT surname FROM identity.person_records WHERE _row_number = 2")
    assert names == [("O\u2019Brien",)]


def _all_quoted(path: Path, month: str) -> None:
    edit_lines(
        path, "ndtms_top", lambda ls: [",".join(f'"{v}"' for v in line.split(",")) for line in ls]
    )


def _json_edit(edit: Callable[[list[dict], str], None]):
    def damage(path: Path, month: str) -> None:
        records = json_records(path)
        edit(records, month)
        write_json(path, records)

    return damage


def _json_duplicate_key(key: str, nested: bool):
    def damage(path: Path, month: str) -> None:
        lines = path.read_text().splitlines()
        record = json.loads(lines[2])
        holder = record["offender"] if nested else record
        value = json.dumps(holder[key])
        text = json.dumps(record, separators=(",", ":"))
        needle = f'"{key}":{value}'
        assert needle in text
        lines[2] = text.replace(needle, f'{needle},"{key}":{json.dumps("1970-01-01")}', 1)
        path.write_text("\n".join(lines) + "\n")

    return damage


def _json_blank_lines(path: Path, month: str) -> int:
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:3], "", "   ", *lines[3:]]) + "\n\n\n")
    return len(lines) + 2


def _json_bytes(bom: bytes, newline: str):
    def damage(path: Path, month: str) -> None:
        lines = path.read_text().splitlines()
        path.write_bytes(bom + (newline.join(lines) + newline).encode())

    return damage


def _json_truncated_after_blank(path: Path, month: str) -> None:
    lines = path.read_text().splitlines()
    lines[4] = lines[4][:40]
    path.write_text("\n".join([*lines[:2], "", *lines[2:]]) + "\n")  # record 5 is on line 6


def _json_not_object(path: Path, month: str) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:6], "[1, 2]", *lines[6:]]) + "\n")


def _set(path_: str, value, row: int = 0):
    def edit(records: list[dict], month: str) -> None:
        *parents, leaf = path_.split(".")
        node = records[row]
        for p in parents:
            node = node[p]
        node[leaf] = value(month) if callable(value) else value

    return edit


def _both(*edits):
    def edit(records: list[dict], month: str) -> None:
        for e in edits:
            e(records, month)

    return edit


def _xlsx_edit(edit: Callable[[object, str], int | None]):
    def damage(path: Path, month: str) -> int | None:
        book, sheet = sheet_of(path)
        rows = edit(sheet, month)
        book.save(path)
        return rows

    return damage


def _xlsx_datetime(sheet, month: str) -> None:
    sheet.cell(row=2, column=column(sheet, "TEST_DATE"), value=dt.datetime(2023, 2, 3, 10, 15))


def _test_date(expect: dt.date):
    def then(run: Run, month: str) -> None:
        rows = run.sql("SELECT test_date FROM raw.rmdt_test WHERE _row_number = 2")
        assert rows == [(expect,)]

    return then


def _xlsx_error_cell(sheet, month: str) -> None:
    cell = sheet.cell(row=4, column=column(sheet, "REASON"))
    cell.value, cell.data_type = "#N/A", "e"


def _xlsx_blank_row(sheet, month: str) -> int:
    n = sheet.max_row - 1
    sheet.insert_rows(5)
    return n + 1


def _xlsx_trailing_blank_rows(sheet, month: str) -> None:
    last = sheet.max_row
    for r in (last + 1, last + 2):
        sheet.cell(row=r, column=1, value="  ")


def _xlsx_text_date(sheet, month: str) -> None:
    sheet.cell(row=3, column=column(sheet, "TEST_DATE"), value="03/02/2023")


def _xlsx_float_code(sheet, month: str) -> None:
    sheet.cell(row=2, column=column(sheet, "REASON"), value=3.5)


def _xlsx_header_case(sheet, month: str) -> None:
    for cell in sheet[1]:
        cell.value = str(cell.value).lower()


def _xlsx_blank_header_column(sheet, month: str) -> None:
    extra = sheet.max_column + 1
    for r in range(2, sheet.max_row + 1):
        sheet.cell(row=r, column=extra, value="checked")


def _xlsx_sheet_renamed(sheet, month: str) -> None:
    sheet.title = "Sheet1"


def _xlsx_missing(sheet, month: str) -> None:
    sheet.cell(row=6, column=column(sheet, "PRISON_NUMBER")).value = None


def _xlsx_future(sheet, month: str) -> None:
    day = month_end(month) + dt.timedelta(days=1)
    sheet.cell(row=3, column=column(sheet, "TEST_DATE"), value=dt.datetime.combine(day, dt.time()))


CASES: dict[str, Case] = {
    # -- PSV, UTF-8, dates YYYYMMDD (PNC) -----------------------------------------------------
    "psv_row_one_field_short": Case(
        "pnc_person", _short_row("pnc_person", 2, 8), {(3, REC, "wrong_field_count")}
    ),
    "psv_missing_middle_field_shifts_values": Case(
        "pnc_person", _short_row("pnc_person", 1, 1), {(2, REC, "wrong_field_count")}
    ),
    "psv_row_one_field_long": Case("pnc_disposal", _long_row, {(4, REC, "wrong_field_count")}),
    "psv_seven_digit_date": quarantine_one(
        "pnc_disposal", 1, "OFFENCE_DATE", "2023015", "bad_date_format"
    ),
    "psv_iso_date_in_compact_format": quarantine_one(
        "pnc_person", 3, "DOB", "1980-03-01", "bad_date_format"
    ),
    "psv_integer_overflows_int32": quarantine_one(
        "pnc_disposal", 2, "SENTENCE_DAYS", "3000000000", "out_of_range"
    ),
    "psv_integer_overflows_int64": quarantine_one(
        "pnc_disposal", 2, "SENTENCE_DAYS", "99999999999999999999", "not_an_integer"
    ),
    "psv_negative_integer": quarantine_one(
        "pnc_disposal", 3, "SENTENCE_DAYS", "-5", "out_of_range"
    ),
    "psv_scientific_notation": quarantine_one(
        "pnc_disposal", 3, "SENTENCE_DAYS", "1e3", "not_an_integer"
    ),
    "psv_thousands_separator": quarantine_one(
        "pnc_disposal", 4, "SENTENCE_DAYS", "1,000", "not_an_integer"
    ),
    "psv_29_february_non_leap_year": quarantine_one(
        "pnc_person", 4, "DOB", "19830229", "impossible_date"
    ),
    "psv_zero_date": quarantine_one(
        "pnc_disposal", 5, "ARREST_DATE", "00000000", "impossible_date"
    ),
    "psv_nul_byte_in_name": Case("pnc_person", _nul_in_name, {(3, "SURNAME", "control_character")}),
    "psv_trailing_blank_lines": Case("pnc_person", _trailing_blank_lines("pnc_person", "\n \n")),
    "psv_blank_line_mid_file": Case(
        "pnc_disposal", _blank_line_at("pnc_disposal", 10), {(10, REC, "blank_line")}
    ),
    "psv_repeated_header_mid_file": Case(
        "pnc_person", _repeated_header, {(6, REC, "repeated_header")}
    ),
    "psv_crlf": Case("pnc_disposal", _line_endings("pnc_disposal", "\r\n")),
    "psv_utf8_bom": Case("pnc_person", _line_endings("pnc_person", "\n", b"\xef\xbb\xbf")),
    "psv_header_case_and_spaces": Case("pnc_disposal", _header_case_and_spaces("pnc_disposal")),
    "psv_quoted_delimiter": Case("pnc_disposal", _quoted_delimiter, then=_court_code("MC|046")),
    "psv_quoted_line_break_keeps_line_numbers": Case(
        "pnc_person", _embedded_newline, {(6, "SEX", "code_not_in_list")}
    ),
    "psv_trailing_delimiter_on_every_line": Case(
        "pnc_person", _trailing_delimiter, then=_unexpected("(blank)")
    ),
    "psv_file_name_in_upper_case": Case("pnc_person", _rename(True), then=_upper_case_path),
    "psv_unrecognised_files_reported": Case("pnc_person", _stray_files, then=_stray_files_recorded),
    # -- CSV, cp1252, CRLF, dates dd/mm/yyyy (DIR) --------------------------------------------
    "dir_two_digit_year": quarantine_one(
        "dir_triage", 2, "TRIAGE_DATE", "01/02/23", "bad_date_format"
    ),
    "dir_unpadded_day_and_month": quarantine_one(
        "dir_release", 1, "RELEASE_DATE", "1/2/2023", "bad_date_format"
    ),
    "dir_date_of_birth_zeros": quarantine_one(
        "dir_triage", 3, "DOB", "00/00/0000", "impossible_date"
    ),
    "dir_date_of_birth_after_triage": Case(
        "dir_triage",
        _dir_dates("01/{m}/{y}", "15/{m}/{y}"),
        {(2, "TRIAGE_DATE", "date_order")},
    ),
    "dir_date_of_birth_after_delivery_month": Case(
        "dir_release",
        _cell("dir_release", 2, "DOB", "01/01/2099"),
        {(3, "DOB", "future_date"), (3, "RELEASE_DATE", "date_order")},
    ),
    "dir_whitespace_only_required": quarantine_one(
        "dir_triage", 4, "ESTABLISHMENT", "   ", "missing_required"
    ),
    "dir_lower_case_code": quarantine_one("dir_triage", 5, "SEX", "m", "code_not_in_list"),
    "dir_yes_for_flag": quarantine_one(
        "dir_triage", 6, "TREATMENT_NEED", "Yes", "code_not_in_list"
    ),
    "dir_release_row_one_field_short": Case(
        "dir_release", _short_row("dir_release", 3, 5), {(4, REC, "wrong_field_count")}
    ),
    "dir_windows_1252_smart_quote": Case("dir_release", _smart_quotes, then=_surname_kept),
    "dir_lf_instead_of_crlf": Case("dir_triage", _line_endings("dir_triage", "\n")),
    "dir_utf8_bom_in_cp1252_file": Case(
        "dir_triage",
        _utf8_bom_cp1252,
        fault="wrong encoding: UTF-8 byte-order mark, expected cp1252",
    ),
    "dir_header_row_missing": Case(
        "dir_triage",
        _no_header,
        fault="line 1: no header row: the first row names 0 of the contract's 24 columns",
    ),
    # -- CSV, UTF-8, NA for missing (NDTMS) -----------------------------------------------------
    "ndtms_na_in_required_id": quarantine_one(
        "ndtms_episode", 1, "CLIENTID", "NA", "missing_required"
    ),
    "ndtms_lower_case_na_is_not_null": quarantine_one(
        "ndtms_client", 2, "DOB", "na", "bad_date_format"
    ),
    "ndtms_leading_zero_code": quarantine_one(
        "ndtms_episode", 2, "DISRSN", "082", "code_not_in_list"
    ),
    "ndtms_leading_zero_integer": loads_as("ndtms_client", 3, "CHILDWTH", "007", "childwth", 7),
    "ndtms_decimal_integer": quarantine_one("ndtms_top", 2, "PSYHSTAT", "3.0", "not_an_integer"),
    "ndtms_zero_width_space_in_code": quarantine_one(
        "ndtms_episode", 3, "SETTING", "COMMUNITY\u200b", "control_character"
    ),
    "ndtms_date_with_time": quarantine_one(
        "ndtms_top", 3, "TOPDATE", "2023-02-01T00:00:00", "bad_date_format"
    ),
    "ndtms_uk_date_in_iso_field": quarantine_one(
        "ndtms_modality", 2, "MODST", "01/02/2023", "bad_date_format"
    ),
    "ndtms_every_field_quoted": Case("ndtms_top", _all_quoted),
    "ndtms_bom_and_crlf": Case(
        "ndtms_client", _line_endings("ndtms_client", "\r\n", b"\xef\xbb\xbf")
    ),
    "ndtms_trailing_blank_crlf_lines": Case(
        "ndtms_modality", _trailing_blank_lines("ndtms_modality", "\r\n\r\n")
    ),
    "ndtms_whitespace_only_line_mid_file": Case(
        "ndtms_top", _blank_line_at("ndtms_top", 4, "   "), {(4, REC, "blank_line")}
    ),
    # -- JSON lines, nested (OASys) ------------------------------------------------------------
    "json_duplicate_nested_key": Case(
        "oasys_assessment",
        _json_duplicate_key("dob", True),
        {(3, "offender.dob", "duplicate_json_key")},
    ),
    "json_duplicate_top_level_key": Case(
        "oasys_assessment",
        _json_duplicate_key("assessment_date", False),
        {(3, "assessment_date", "duplicate_json_key")},
    ),
    "json_blank_lines_mid_and_end": Case(
        "oasys_assessment",
        _json_blank_lines,
        {(4, REC, "blank_line"), (5, REC, "blank_line")},
    ),
    "json_utf8_bom": Case("oasys_assessment", _json_bytes(b"\xef\xbb\xbf", "\n")),
    "json_crlf": Case("oasys_assessment", _json_bytes(b"", "\r\n")),
    "json_truncated_line_numbered_physically": Case(
        "oasys_assessment",
        _json_truncated_after_blank,
        fault="line 6: invalid JSON",
    ),
    "json_array_instead_of_object": Case(
        "oasys_assessment", _json_not_object, fault="line 7: not a JSON object"
    ),
    "json_fractional_score": Case(
        "oasys_assessment",
        _json_edit(_set("sections.drugs.score", 3.5, row=1)),
        {(2, "sections.drugs.score", "not_an_integer")},
    ),
    "json_yes_for_boolean": Case(
        "oasys_assessment",
        _json_edit(_set("sections.ete.need", "yes", row=3)),
        {(4, "sections.ete.need", "code_not_in_list")},
    ),
    "json_date_of_birth_after_assessment": Case(
        "oasys_assessment",
        _json_edit(
            _both(
                _set("assessment_date", lambda m: f"{m}-01", row=4),
                _set("offender.dob", lambda m: f"{m}-15", row=4),
            )
        ),
        {(5, "assessment_date", "date_order")},
    ),
    "json_null_required": Case(
        "oasys_assessment",
        _json_edit(_set("offender.sex", None, row=5)),
        {(6, "offender.sex", "missing_required")},
    ),
    # -- XLSX (rMDT) ---------------------------------------------------------------------------
    "xlsx_date_cell_with_time_of_day": Case(
        "rmdt_test", _xlsx_edit(_xlsx_datetime), then=_test_date(dt.date(2023, 2, 3))
    ),
    "xlsx_error_cell": Case(
        "rmdt_test", _xlsx_edit(_xlsx_error_cell), {(4, "REASON", "excel_error")}
    ),
    "xlsx_blank_row_mid_sheet": Case(
        "rmdt_test", _xlsx_edit(_xlsx_blank_row), {(5, REC, "blank_line")}
    ),
    "xlsx_trailing_blank_rows": Case("rmdt_test", _xlsx_edit(_xlsx_trailing_blank_rows)),
    "xlsx_date_typed_as_text": Case(
        "rmdt_test", _xlsx_edit(_xlsx_text_date), {(3, "TEST_DATE", "bad_date_format")}
    ),
    "xlsx_number_in_code_field": Case(
        "rmdt_test", _xlsx_edit(_xlsx_float_code), {(2, "REASON", "code_not_in_list")}
    ),
    "xlsx_header_in_lower_case": Case("rmdt_test", _xlsx_edit(_xlsx_header_case)),
    "xlsx_values_under_blank_header": Case(
        "rmdt_test", _xlsx_edit(_xlsx_blank_header_column), then=_unexpected("__UNNAMED__12")
    ),
    "xlsx_sheet_renamed": Case(
        "rmdt_test", _xlsx_edit(_xlsx_sheet_renamed), fault="no sheet 'tests' (found Sheet1)"
    ),
    "xlsx_required_cell_empty": Case(
        "rmdt_test", _xlsx_edit(_xlsx_missing), {(6, "PRISON_NUMBER", "missing_required")}
    ),
    "xlsx_date_after_delivery_month": Case(
        "rmdt_test", _xlsx_edit(_xlsx_future), {(3, "TEST_DATE", "future_date")}
    ),
}


def _data_rows(path: Path, table: str) -> int:
    c = CONTRACTS[table]
    if c.fmt == "xlsx":
        return openpyxl.load_workbook(path, read_only=True)[c.sheet].max_row - 1
    if c.fmt == "jsonl":
        return len(path.read_text().splitlines())
    return len(read_rows(path, table)[1])


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_delivery(name: str, landing: Path, month: str) -> None:
    case = CASES[name]
    path = path_of(landing, case.table, month)
    before = _data_rows(path, case.table)
    rows_in = case.damage(path, month) or before
    run = Run(landing, case.table, [month])
    if case.fault:
        assert not run.result.success
        (message,) = failures(run.result)
        assert message.startswith(f"{case.table} {month}: {rel(case.table, month)}: "), message
        assert case.fault in message
        assert run.raw_count() == 0 and run.quarantine() == set()
        assert [(p, s) for p, s, *_ in run.manifest()] == [(rel(case.table, month), "rejected")]
        return
    assert run.result.success, failures(run.result)
    assert run.quarantine() == case.quarantined
    files = {f for (f,) in run.sql("SELECT DISTINCT file FROM ops.quarantine")}
    assert files <= {p for p, *_ in run.manifest()}
    quarantined = len({line for line, _, _ in case.quarantined})
    assert run.raw_count() == rows_in - quarantined
    run.assert_reconciles(rows_in)
    if case.then:
        case.then(run, month)


def test_the_privacy_scan_finds_identifiers(source_landing: Path, month: str) -> None:
    """The scan is not vacuous: identifiers of a delivered file are found in any spelling."""
    found = identifiers(source_landing, "dir_triage", month)
    header, rows, _ = read_rows(path_of(source_landing, "dir_triage", month), "dir_triage")
    dob = dt.datetime.strptime(rows[0][header.index("DOB")], "%d/%m/%Y").date()
    surname = rows[0][header.index("SURNAME")]
    assert {surname, dob.isoformat(), rows[0][header.index("DIR_ID")]} <= found
    assert leaks([f"x: {dob:%Y%m%d} y"], found) and leaks([f"'{surname}'"], found)
    assert not leaks([f"x{surname}y", "2"], found)
