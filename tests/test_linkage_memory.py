"""Splink's scratch connection and the warehouse connection share one memory limit."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.linkage.scoring import (
    MIN_SCRATCH_FRACTION,
    SCRATCH_SHARE,
    limit_bytes,
    scratch_share,
    shared_memory,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.8 GiB", int(1.8 * 2**30)),
        ("2GB", 2 * 10**9),
        ("512.0 MiB", 512 * 2**20),
        ("1500000000B", 1_500_000_000),
        ("unlimited", None),
        ("", None),
    ],
)
def test_limit_bytes_reads_duckdb_sizes(text, expected):
    assert limit_bytes(text) == expected


def _limit(con: duckdb.DuckDBPyConnection) -> int:
    return limit_bytes(con.execute("select current_setting('memory_limit')").fetchone()[0])


def test_splink_borrows_the_warehouse_connections_memory_and_gives_it_back(tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    con = duckdb.connect(
        str(tmp_path / "w.duckdb"),
        config={"memory_limit": "1GB", "threads": 1, "temp_directory": str(spill)},
    )
    con.execute("create temp table t as select range as i, repeat('x', 100) as s from range(10000)")
    before = _limit(con)
    with shared_memory(con) as scratch:
        lent = _limit(con)
        scratch_con = duckdb.connect(config=scratch)
        borrowed = _limit(scratch_con)
        scratch_con.close()
        assert scratch["threads"] == "1" and scratch["temp_directory"] == str(spill)
    after = _limit(con)
    assert after == pytest.approx(before, rel=1e-3)  # DuckDB shows limits rounded
    # both connections together stay within the one limit (DuckDB rounds to its own units)
    assert lent + borrowed == pytest.approx(before, rel=0.01)
    assert borrowed == pytest.approx(before * SCRATCH_SHARE, rel=0.01)
    assert con.execute("select count(*) from t").fetchone()[0] == 10000


def test_scoring_a_few_new_profiles_borrows_in_proportion(tmp_path):
    """A month's new profiles borrow a share in proportion to the population they are of (at
    least MIN_SCRATCH_FRACTION of the full share), so the warehouse connection keeps most of its
    memory and its temp tables stay in memory."""
    assert scratch_share(2_000_000, 2_000_000) == SCRATCH_SHARE
    assert scratch_share(300_000, 2_000_000) == pytest.approx(SCRATCH_SHARE * 0.15)
    assert scratch_share(0, 2_000_000) == pytest.approx(SCRATCH_SHARE * MIN_SCRATCH_FRACTION)
    assert scratch_share(5, 0) == SCRATCH_SHARE
    con = duckdb.connect(str(tmp_path / "w.duckdb"), config={"memory_limit": "1GB", "threads": 1})
    before = _limit(con)
    with shared_memory(con, scratch_share(300_000, 2_000_000)) as scratch:
        lent = _limit(con)
        borrowed = limit_bytes(scratch["memory_limit"])
    assert borrowed == pytest.approx(before * SCRATCH_SHARE * 0.15, rel=0.01)
    assert lent + borrowed == pytest.approx(before, rel=0.01)
    assert _limit(con) == pytest.approx(before, rel=1e-3)
