"""Linkage's normalised identity rows are kept between runs: a new month updates only the records
it delivered and gives the same rows, records and profiles as preparing every month afresh; a
re-delivered earlier month, or rows made by other code, prepare afresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.linkage.profiles import prepare
from tests.support.table_compare import assert_same_rows

PREPARED = ("identity.linkage_rows", "identity.linkage_records")
TEMP = ("lk_records", "lk_named_prof", "lk_named_mem", "lk_nd_prof", "lk_nd_mem")


@pytest.fixture
def warehouse(ci_warehouse: Path, tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(ci_warehouse / "warehouse.duckdb", path)
    return path


def prepared_afresh(warehouse: Path, month: str, copy: Path) -> None:
    """Prepare ``month`` from every delivery on a copy of ``warehouse``, keeping the temp tables
    as tables of the copy."""
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("DROP TABLE identity.linkage_prepared")
        assert prepare(con, month, "test-key") is None
        for name in TEMP:
            con.execute(f"CREATE OR REPLACE TABLE main.{name} AS SELECT * FROM temp.{name}")


def test_a_new_month_updates_the_kept_rows_like_preparing_afresh(
    warehouse: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(warehouse)) as con:
        months = [
            m
            for (m,) in con.execute(
                "SELECT DISTINCT _delivery_month FROM identity.person_records ORDER BY 1"
            ).fetchall()
        ]
        last, before = months[-1], months[-2]
        # the pipeline kept the rows as of its last month; an earlier month prepares afresh
        assert con.execute("SELECT month FROM identity.linkage_prepared").fetchone() == (last,)
        assert prepare(con, before, "test-key") is None
        delivered = con.execute(
            "SELECT count(DISTINCT (source, record_key)) FROM identity.person_records"
            " WHERE _delivery_month = ?",
            [last],
        ).fetchone()[0]
        assert delivered > 0
        # the next month: updated from the kept rows
        assert prepare(con, last, "test-key") == before
        for name in TEMP:
            con.execute(f"CREATE OR REPLACE TABLE main.{name} AS SELECT * FROM temp.{name}")

    reference = tmp_path / "reference.duckdb"
    prepared_afresh(warehouse, last, reference)
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{warehouse}' AS kept (READ_ONLY)")
        con.execute(f"ATTACH '{reference}' AS afresh (READ_ONLY)")
        for name in (*PREPARED, *(f"main.{t}" for t in TEMP)):
            assert con.execute(f"SELECT count(*) FROM kept.{name}").fetchone()[0] > 0, name
            assert_same_rows(con, name, f"kept.{name}", f"afresh.{name}")


def test_a_redelivered_month_or_changed_sql_prepares_afresh(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        last = con.execute("SELECT max(_delivery_month) FROM identity.person_records").fetchone()[0]
        assert prepare(con, last, "test-key") == last  # nothing new: kept as they are
        # a delivery of a month already prepared loaded again
        con.execute(
            "UPDATE ops.manifest SET loaded_at = now()::TIMESTAMP + INTERVAL 1 DAY WHERE"
            " table_name = 'pnc_person' AND delivery_month = (SELECT min(delivery_month)"
            " FROM ops.manifest WHERE table_name = 'pnc_person')"
        )
        assert prepare(con, last, "test-key") is None
        assert prepare(con, last, "test-key") == last
        # rows made by other SQL (another fingerprint)
        con.execute("UPDATE identity.linkage_prepared SET fingerprint = 'older-code'")
        assert prepare(con, last, "test-key") is None
