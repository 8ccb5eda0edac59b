# ruff: noqa: F811 -- pytest fixtures are imported from tests.support.ingest_runs
"""A corpus of malformed deliveries, each made by damaging one ``ci`` file in one way.

Each test copies one delivery month of the ``ci`` preset to a temporary landing folder, damages
one file, materialises the real ingest asset for that month into a temporary DuckDB file and
asserts the exact outcome: which rows were quarantined for which reason (``row_number`` is the
file line, header = line 1; the sheet row of a workbook), or the file-fault message naming the
file, and that the counts reconcile. Every run goes through the privacy scan
(``tests.support.ingest_runs``); the larger corpus is ``tests/test_ingest_corpus.py``.
"""

# ruff: noqa: F811 (fixtures imported from tests.support.ingest_runs)
from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from pipelines.contracts.codes import PNC_ALPHABET, pnc_id_is_valid
from pipelines.pseudonymise import keyed_hash
from pipelines.settings import get_settings
from tests.support.ingest_runs import (  # noqa: F401 (fixtures)
    Run,
    assert_nothing_loaded,
    fail_message,
    landing,
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


# -- row faults: the damaged row is quarantined with its reason, the rest load -------------


def test_bad_date_format_is_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "dir_triage", month)
    n = len(read_rows(path, "dir_triage")[1])
    old = set_cell(path, "dir_triage", 2, "TRIAGE_DATE", "2021-03-05")
    assert old
    run = Run(landing, "dir_triage", [month])
    assert run.result.success
    assert run.quarantine() == {(3, "TRIAGE_DATE", "bad_date_format")}
    assert run.raw_count() == n - 1
    assert run.sql("SELECT value FROM ops.quarantine") == [("2021-03-05",)]
    run.assert_reconciles()


def test_impossible_date_is_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "ndtms_top", month)
    n = len(read_rows(path, "ndtms_top")[1])
    set_cell(path, "ndtms_top", 3, "TOPDATE", f"{month[:4]}-02-30")
    run = Run(landing, "ndtms_top", [month])
    assert run.quarantine() == {(4, "TOPDATE", "impossible_date")}
    assert run.raw_count() == n - 1
    run.assert_reconciles()


def test_future_date_of_birth_is_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "ndtms_client", month)
    set_cell(path, "ndtms_client", 1, "DOB", "2099-01-01")
    run = Run(landing, "ndtms_client", [month])
    assert run.quarantine() == {(2, "DOB", "future_date")}
    # the offending value is an identifier: redacted outside the identity schema
    ((value,),) = run.sql("SELECT value FROM ops.quarantine")
    assert value.startswith("redacted:") and "2099" not in value
    run.assert_reconciles()


def test_bad_pnc_check_character_is_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "pnc_person", month)
    header, rows, _ = read_rows(path, "pnc_person")
    pnc = rows[0][header.index("PNC_ID")]
    assert pnc_id_is_valid(pnc)
    wrong = pnc[:-1] + PNC_ALPHABET[(PNC_ALPHABET.index(pnc[-1]) + 1) % 23]
    set_cell(path, "pnc_person", 1, "PNC_ID", wrong)
    run = Run(landing, "pnc_person", [month])
    assert run.quarantine() == {(2, "PNC_ID", "bad_check_character")}
    assert run.raw_count() == len(rows) - 1
    assert run.sql("SELECT count(*) FROM identity.person_records") == [(len(rows) - 1,)]
    run.assert_reconciles()


def test_code_outside_list_in_workbook_is_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "rmdt_test", month)
    book = openpyxl.load_workbook(path)
    sheet = book["tests"]
    column = [c.value for c in sheet[1]].index("REASON") + 1
    sheet.cell(row=3, column=column, value="WHIM")  # sheet row 3
    n = sheet.max_row - 1
    book.save(path)
    run = Run(landing, "rmdt_test", [month])
    assert run.quarantine() == {(3, "REASON", "code_not_in_list")}
    assert run.raw_count() == n - 1
    run.assert_reconciles()


def test_out_of_range_and_not_a_number_are_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "ndtms_top", month)
    set_cell(path, "ndtms_top", 1, "OPIUSE", "31")
    set_cell(path, "ndtms_top", 2, "QUALLIFE", "good")
    run = Run(landing, "ndtms_top", [month])
    assert run.quarantine() == {(2, "OPIUSE", "out_of_range"), (3, "QUALLIFE", "not_an_integer")}
    run.assert_reconciles()


def test_missing_required_value_is_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "dir_triage", month)
    set_cell(path, "dir_triage", 1, "DOB", "")
    run = Run(landing, "dir_triage", [month])
    assert run.quarantine() == {(2, "DOB", "missing_required")}
    run.assert_reconciles()


def test_disposal_before_offence_is_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "pnc_disposal", month)
    set_cell(path, "pnc_disposal", 1, "DISPOSAL_DATE", "19990101")
    run = Run(landing, "pnc_disposal", [month])
    assert run.quarantine() == {(2, "DISPOSAL_DATE", "date_order")}
    run.assert_reconciles()


def test_duplicate_row_within_a_file_is_quarantined(landing: Path, month: str) -> None:
    path = path_of(landing, "ndtms_episode", month)
    header, rows, newline = read_rows(path, "ndtms_episode")
    write_rows(path, "ndtms_episode", header, [*rows, rows[0]], newline)
    run = Run(landing, "ndtms_episode", [month])
    assert run.quarantine() == {(len(rows) + 2, "EPISODID", "duplicate_id")}
    assert run.raw_count() == len(rows)
    run.assert_reconciles()


def test_extra_column_loads_and_warns(landing: Path, month: str) -> None:
    path = path_of(landing, "ndtms_client", month)
    header, rows, newline = read_rows(path, "ndtms_client")
    write_rows(path, "ndtms_client", [*header, "NATION"], [[*r, "E"] for r in rows], newline)
    run = Run(landing, "ndtms_client", [month])
    assert run.result.success
    assert run.raw_count() == len(rows)
    assert run.manifest()[0][6] == "NATION"
    conforms = run.check("conforms_to_contract")
    assert not conforms.passed and conforms.severity.value == "WARN"
    run.assert_reconciles()


def test_header_only_file_loads_nothing_and_warns(landing: Path, month: str) -> None:
    path = path_of(landing, "dir_release", month)
    header, _, newline = read_rows(path, "dir_release")
    write_rows(path, "dir_release", header, [], newline)
    run = Run(landing, "dir_release", [month])
    assert run.result.success
    assert run.raw_count() == 0
    assert [m[1:5] for m in run.manifest()] == [("loaded", 0, 0, 0)]
    delivered = run.check("delivered")
    assert not delivered.passed and delivered.metadata["empty_months"].value == month


# -- whole-file faults: the asset fails naming the file and the fault, nothing loads -------


def test_renamed_column_fails_the_file(landing: Path, month: str) -> None:
    path = path_of(landing, "dir_triage", month)
    header, rows, newline = read_rows(path, "dir_triage")
    header[header.index("FORENAME")] = "FIRST_NAME"
    write_rows(path, "dir_triage", header, rows, newline)
    run = Run(landing, "dir_triage", [month])
    assert fail_message(run) == (
        f"dir_triage {month}: {rel('dir_triage', month)}: line 1: missing column(s) FORENAME; "
        "unexpected column(s) FIRST_NAME (renamed?)"
    )
    assert_nothing_loaded(run, "dir_triage", month)


def test_missing_required_column_fails_the_file(landing: Path, month: str) -> None:
    path = path_of(landing, "pnc_disposal", month)
    header, rows, _ = read_rows(path, "pnc_disposal")
    i = header.index("OFFENCE_DATE")
    write_rows(
        path, "pnc_disposal", header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows]
    )
    run = Run(landing, "pnc_disposal", [month])
    assert fail_message(run).endswith(
        f"{rel('pnc_disposal', month)}: line 1: missing column(s) OFFENCE_DATE"
    )
    assert_nothing_loaded(run, "pnc_disposal", month)


def test_empty_file_fails(landing: Path, month: str) -> None:
    path_of(landing, "pnc_person", month).write_bytes(b"")
    run = Run(landing, "pnc_person", [month])
    assert (
        fail_message(run) == f"pnc_person {month}: {rel('pnc_person', month)}: empty file (0 bytes)"
    )
    assert_nothing_loaded(run, "pnc_person", month)


def test_truncated_json_line_fails(landing: Path, month: str) -> None:
    path = path_of(landing, "oasys_assessment", month)
    lines = path.read_text().splitlines()
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    path.write_text("\n".join(lines) + "\n")
    run = Run(landing, "oasys_assessment", [month])
    message = fail_message(run)
    assert message.startswith(f"oasys_assessment {month}: {rel('oasys_assessment', month)}: ")
    assert f"line {len(lines)}: invalid JSON" in message and "truncated?" in message
    assert_nothing_loaded(run, "oasys_assessment", month)


def test_wrong_encoding_utf8_source_fails(landing: Path, month: str) -> None:
    path = path_of(landing, "pnc_person", month)
    header, rows, newline = read_rows(path, "pnc_person")
    rows[0][header.index("SURNAME")] = "JOSÉ"
    write_rows(path, "pnc_person", header, rows, newline, encoding="cp1252")
    offset = path.read_bytes().index(b"JOS") + 3
    run = Run(landing, "pnc_person", [month])
    assert fail_message(run) == (
        f"pnc_person {month}: {rel('pnc_person', month)}: undecodable bytes: not valid utf-8 "
        f"at byte {offset} (invalid continuation byte)"
    )
    assert_nothing_loaded(run, "pnc_person", month)


def test_wrong_encoding_cp1252_source_delivered_as_utf8_fails(landing: Path, month: str) -> None:
    path = path_of(landing, "dir_release", month)
    header, rows, newline = read_rows(path, "dir_release")
    rows[0][header.index("SURNAME")] = "BRONTË"
    write_rows(path, "dir_release", header, rows, newline, encoding="utf-8")
    run = Run(landing, "dir_release", [month])
    assert fail_message(run).endswith("wrong encoding: the file is UTF-8, expected cp1252")
    assert_nothing_loaded(run, "dir_release", month)


def test_wrong_delimiter_fails(landing: Path, month: str) -> None:
    path = path_of(landing, "ndtms_modality", month)
    header, rows, newline = read_rows(path, "ndtms_modality")
    write_rows(path, "ndtms_modality", header, rows, newline, delimiter=";")
    run = Run(landing, "ndtms_modality", [month])
    assert fail_message(run) == (
        f"ndtms_modality {month}: {rel('ndtms_modality', month)}: line 1: wrong delimiter: "
        "expected ',', header has 1 column; the header contains ';'"
    )
    assert_nothing_loaded(run, "ndtms_modality", month)


def test_corrupt_workbook_fails(landing: Path, month: str) -> None:
    path = path_of(landing, "rmdt_test", month)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    run = Run(landing, "rmdt_test", [month])
    assert fail_message(run).startswith(
        f"rmdt_test {month}: {rel('rmdt_test', month)}: unreadable workbook: "
    )
    assert_nothing_loaded(run, "rmdt_test", month)


# -- re-delivery -------------------------------------------------------------------------------


def test_same_file_twice_is_skipped(landing: Path, month: str) -> None:
    run = Run(landing, "ndtms_client", [month])
    before = run.manifest()
    n = run.raw_count()
    assert run.rerun([month]).result.success
    assert run.manifest() == before  # same sha, same load time: nothing rewritten
    assert run.raw_count() == n
    # the same bytes delivered again in the next month's folder, under that month's name
    nxt = f"{int(month[:4]) + (month[5:] == '12')}-{int(month[5:]) % 12 + 1:02d}"
    target = path_of(landing, "ndtms_client", nxt)
    target.parent.mkdir(parents=True)
    shutil.copy(path_of(landing, "ndtms_client", month), target)
    assert run.rerun([month, nxt]).result.success
    assert run.raw_count() == n
    statuses = {(p, s, d) for p, s, _, _, _, d, *_ in run.manifest()}
    assert (rel("ndtms_client", nxt), "duplicate", rel("ndtms_client", month)) in statuses


def test_corrected_redelivery_replaces_the_month(landing: Path, month: str) -> None:
    path = path_of(landing, "ndtms_episode", month)
    run = Run(landing, "ndtms_episode", [month])
    header, rows, newline = read_rows(path, "ndtms_episode")
    assert run.raw_count() == len(rows)
    corrected = rows[1:]
    corrected[0][header.index("INJSTAT")] = "NEVER"
    corrected[1][header.index("TRIAGED")] = "not a date"
    write_rows(path, "ndtms_episode", header, corrected, newline)
    run.rerun([month])
    assert run.result.success
    assert run.raw_count() == len(corrected) - 1
    assert run.quarantine() == {(3, "TRIAGED", "bad_date_format")}
    episode = keyed_hash(
        get_settings().pseudo_key, corrected[0][header.index("EPISODID")], domain="episodid"
    )
    assert run.sql("SELECT injstat FROM raw.ndtms_episode WHERE episodid_hash = ?", [episode]) == [
        ("NEVER",)
    ]
    ((_, status, read, loaded, quarantined, *_),) = run.manifest()
    assert (status, read, loaded, quarantined) == ("loaded", len(corrected), len(corrected) - 1, 1)
    run.assert_reconciles()


def test_broken_redelivery_keeps_the_previous_load(landing: Path, month: str) -> None:
    run = Run(landing, "pnc_disposal", [month])
    n = run.raw_count()
    path_of(landing, "pnc_disposal", month).write_bytes(b"")
    run.rerun([month])
    assert fail_message(run).endswith("empty file (0 bytes)")
    assert run.raw_count() == n
    assert sorted(s for _, s, *_ in run.manifest()) == ["loaded", "rejected"]


def test_rematerialising_gives_the_same_state(landing: Path, month: str) -> None:
    path = path_of(landing, "dir_triage", month)
    set_cell(path, "dir_triage", 1, "SEX", "X")
    run = Run(landing, "dir_triage", [month])
    state = [
        run.sql(f"SELECT * FROM {t} ORDER BY ALL")
        for t in ("raw.dir_triage", "identity.person_records", "ops.quarantine", "ops.manifest")
    ]
    run.rerun([month])
    again = [
        run.sql(f"SELECT * FROM {t} ORDER BY ALL")
        for t in ("raw.dir_triage", "identity.person_records", "ops.quarantine", "ops.manifest")
    ]
    assert again == state
    assert json.dumps(sorted(run.quarantine())) == json.dumps([[2, "SEX", "code_not_in_list"]])
