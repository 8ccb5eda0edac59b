"""The analyst snapshot: contents, and reading it while another process writes the warehouse."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.support.sample_indicators import sample_indicators
from tests.test_publish_support import run_publication

TESTS = Path(__file__).resolve().parent
WRITER = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from tests.support.sample_indicators import sample_indicators
from tests.test_publish_support import run_publication
result = run_publication(Path({tmp!r}), indicators=sample_indicators(5, people={people}))
sys.exit(0 if result.success else 1)
"""


@pytest.fixture
def first_run(tmp_path) -> Path:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA identity")
        con.execute("CREATE TABLE identity.person_records AS SELECT 'Smith' AS surname")
        con.execute("CREATE SCHEMA main_staging")
        con.execute("CREATE VIEW main_staging.stg_example AS SELECT 1 AS x")
    assert run_publication(tmp_path, indicators=sample_indicators(5, people=3000)).success
    return tmp_path


def test_snapshot_holds_marts_and_staging_but_no_identities(first_run):
    with duckdb.connect(str(first_run / "snapshot.duckdb"), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables ORDER BY 1"
        ).fetchall()
        names = [t[0] for t in tables]
        assert "main_marts.fct_indicators" in names and "main_staging.stg_example" in names
        assert "main.snapshot_info" in names
        assert not [n for n in names if n.startswith(("identity.", "raw.", "linkage."))]
        rows = con.execute("SELECT count(*) FROM main_marts.fct_indicators").fetchall()[0][0]
        assert rows == sample_indicators(5, people=3000).height
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE main.x AS SELECT 1")
    assert not [p for p in first_run.iterdir() if ".tmp-" in p.name]


def test_analysts_read_the_snapshot_while_a_run_writes_the_warehouse(first_run):
    snapshot = first_run / "snapshot.duckdb"
    script = WRITER.format(tests=str(TESTS), tmp=str(first_run), people=12000)
    with duckdb.connect(str(snapshot), read_only=True) as con:
        before = con.execute("SELECT count(*) FROM main_marts.fct_indicators").fetchall()[0][0]
    writer = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reads_during_run, counts = 0, set()
    while writer.poll() is None:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            counts.add(
                con.execute(
                    "SELECT count(*) FROM main_marts.fct_indicators WHERE status = 'published'"
                ).fetchall()[0][0]
            )
        reads_during_run += 1
        time.sleep(0.05)
    output = writer.stdout.read()
    assert writer.returncode == 0, output[-3000:]
    assert reads_during_run >= 5
    # The warehouse really was being written: the writer's run replaced the indicator table.
    with duckdb.connect(str(snapshot), read_only=True) as con:
        final = con.execute("SELECT count(*) FROM main_marts.fct_indicators").fetchall()[0][0]
    assert final == sample_indicators(5, people=12000).height != before
    assert counts  # every read succeeded and saw a complete table


def test_outcomes_query_reads_the_snapshot_and_cannot_write_it(first_run, tmp_path):
    from typer.testing import CliRunner

    from pipelines.cli import app

    snapshot = str(first_run / "snapshot.duckdb")
    runner = CliRunner()
    read = runner.invoke(
        app, ["query", "--db", snapshot, "--csv", "SELECT as_of_month, 1 AS n FROM snapshot_info"]
    )
    assert read.exit_code == 0, read.output
    assert read.output.splitlines()[0] == "as_of_month,n" and len(read.output.splitlines()) == 2
    write = runner.invoke(app, ["query", "--db", snapshot, "CREATE TABLE main.x AS SELECT 1"])
    assert write.exit_code == 1 and "read-only" in write.output
    missing = runner.invoke(app, ["query", "--db", str(tmp_path / "none.duckdb"), "SELECT 1"])
    assert missing.exit_code == 1 and "no analyst snapshot at" in missing.output


ANALYST = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT v FROM main_marts.fct").fetchall()[0][0], flush=True)
time.sleep(60)
"""


def _value(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT v FROM main_marts.fct").fetchall()[0][0]


def test_a_refresh_patches_the_replaced_snapshot_unless_an_analyst_has_it_open(tmp_path):
    """The file a refresh replaces is kept as the spare the next refresh starts from; an analyst
    still reading it (another process, holding DuckDB's lock) makes that refresh copy instead."""
    from pipelines.publish.snapshot import refresh_snapshot, spare_path

    target = tmp_path / "snap" / "snapshot.duckdb"
    spare = spare_path(target)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA main_marts")
        for v in (1, 2, 3):
            start = spare.stat().st_ino if spare.exists() else None
            con.execute(f"CREATE OR REPLACE TABLE main_marts.fct AS SELECT {v} AS v")
            refresh_snapshot(con, target, f"2024-0{v}")
            assert _value(target) == v
            assert spare.exists() == (v > 1)
            if start is not None:  # the spare was patched into this snapshot, not copied
                assert target.stat().st_ino == start
        assert _value(spare) == 2

        analyst = subprocess.Popen(
            [sys.executable, "-c", ANALYST, str(spare)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert analyst.stdout.readline().strip() == "2"
            in_use = spare.stat().st_ino
            con.execute("CREATE OR REPLACE TABLE main_marts.fct AS SELECT 4 AS v")
            refresh_snapshot(con, target, "2024-04")
            assert analyst.poll() is None  # still reading its file
            assert target.stat().st_ino != in_use  # which the refresh did not write
        finally:
            analyst.kill()
            analyst.wait()
        assert _value(target) == 4 and _value(spare) == 3
    assert not [p for p in target.parent.iterdir() if ".tmp-" in p.name]
