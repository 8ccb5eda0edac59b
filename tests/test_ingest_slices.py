# ruff: noqa: F811 -- pytest fixtures are imported from tests.support.ingest_runs
"""Validation in slices gives exactly what validating the whole file at once gives, with the
duplicate-id check spanning slices."""

from __future__ import annotations

from pathlib import Path

from polars.testing import assert_frame_equal

from pipelines.contracts.deliveries import CONTRACTS
from pipelines.ingest.readers import read_file
from pipelines.ingest.validate import validate
from tests.support.ingest_runs import (  # noqa: F401 (fixtures)
    landing,
    month,
    path_of,
    read_rows,
    source_landing,
    write_rows,
)


def test_slices_validate_exactly_as_the_whole_file(landing: Path, month: str) -> None:
    table = "pnc_disposal"
    c = CONTRACTS[table]
    path = path_of(landing, table, month)
    header, rows, newline = read_rows(path, table)
    assert len(rows) > 40
    date = header.index("DISPOSAL_DATE")
    rows[1][date] = "19990101"  # date order (disposal before offence), slice 1
    rows[12][date] = "2021-03-05"  # bad date format, slice 2
    # row 3's id again in a later slice (and twice more): quarantined as duplicate_id there
    write_rows(path, table, header, [*rows, rows[2], rows[30], rows[2]], newline)

    read = read_file(path, c)
    whole = validate(read.frame, c, month, read.rejected, read.control_free)
    sliced = validate(read.frame, c, month, read.rejected, read.control_free, slice_rows=7)

    assert_frame_equal(sliced.rows, whole.rows)
    assert_frame_equal(sliced.quarantine, whole.quarantine)
    assert sliced.rows_read == whole.rows_read == len(rows) + 3
    found = {(r, f, why) for r, f, _, why in sliced.quarantine.iter_rows()}
    n = len(rows) + 1  # file line of the last original row
    assert found == {
        (3, "DISPOSAL_DATE", "date_order"),
        (14, "DISPOSAL_DATE", "bad_date_format"),
        (n + 1, "DISPOSAL_ID", "duplicate_id"),
        (n + 2, "DISPOSAL_ID", "duplicate_id"),
        (n + 3, "DISPOSAL_ID", "duplicate_id"),
    }
    assert sliced.rows.height == len(rows) + 3 - 5
