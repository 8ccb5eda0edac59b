"""Safe defaults of ``outcomes run`` (real subprocesses, real files): it never generates data,
refuses the development key on deliveries the simulator did not mark, and lets one run at a
time use a warehouse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.contracts.landing_marker import SYNTHETIC_MARKER
from pipelines.ingest.landing import landing_months
from pipelines.ingest.materialise import failures, materialise_ingest
from pipelines.run_lock import lock_path, run_lock
from pipelines.settings import DEV_PSEUDO_KEY
from pipelines.synthetic import generate
from tests.support.outcomes_cli import Running, outcomes, outcomes_env

MONTH = "2024-12"
#: Top-level entries of its data folder a run makes after taking the lock and opening its log.
FIRST_RUN_MAKES = {
    "dagster_home",
    "duckdb_tmp",
    "gx_docs",
    "linkage_report",
    "publications",
    "warehouse.duckdb",
    "warehouse.duckdb.wal",
}


def _one_month(ci_synth: Path, out: Path, marked: bool) -> Path:
    """A landing folder holding the ``pnc`` deliveries of one month (and the mark if asked)."""
    landing = out / "landing"
    shutil.copytree(ci_synth / "landing" / "pnc" / MONTH, landing / "pnc" / MONTH)
    if marked:
        shutil.copy(ci_synth / "landing" / SYNTHETIC_MARKER, landing / SYNTHETIC_MARKER)
    return landing


def _step_errors(result: dg.ExecuteInProcessResult) -> list[str]:
    """Every message of every step failure, down its chain of causes."""
    found = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None:
                found.append(error.message)
                error = error.cause
    return found


@pytest.mark.parametrize("case", ["missing", "empty", "mistyped"])
def test_run_without_deliveries_refuses_and_generates_nothing(case: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    landing = {"missing": data / "landng", "empty": data / "landing", "mistyped": data}[case]
    if case == "empty":
        landing.mkdir(parents=True)
    if case == "mistyped":  # the data folder instead of its landing/: no <source>/<YYYY-MM>/
        (data / "landing").mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))

    result = outcomes(outcomes_env(data, landing), "run")

    assert result.returncode == 2, result.stdout
    text = " ".join(result.stdout.split())
    assert str(landing.absolute()) in text
    assert "never generates data" in text
    assert "outcomes synth --preset demo" in text
    assert "OUTCOMES_LANDING_DIR" in text
    assert sorted(tmp_path.rglob("*")) == before  # no landing files, no warehouse, no lock


def test_development_key_is_refused_on_unmarked_deliveries(ci_synth: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    landing = _one_month(ci_synth, tmp_path, marked=False)

    result = outcomes(outcomes_env(data, landing, OUTCOMES_PSEUDO_KEY=DEV_PSEUDO_KEY), "run")

    assert result.returncode == 2, result.stdout
    text = " ".join(result.stdout.split())
    assert "development key" in text and "OUTCOMES_PSEUDO_KEY" in text
    assert str(landing.absolute()) in text
    assert DEV_PSEUDO_KEY not in result.stdout
    assert not data.exists()


def test_dagster_materialisation_refuses_development_key_unless_marked(
    ci_synth: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path of an engineer materialising in the UI: the key comes from settings at run time
    (code-location resources), and the warehouse resource refuses it on unmarked deliveries."""
    monkeypatch.setenv("OUTCOMES_PSEUDO_KEY", DEV_PSEUDO_KEY)
    landing = _one_month(ci_synth, tmp_path, marked=False)
    warehouse = tmp_path / "warehouse.duckdb"

    refused = materialise_ingest([MONTH], landing_dir=landing, warehouse=warehouse)

    assert not refused.success
    message = " ".join(_step_errors(refused))
    assert "OUTCOMES_PSEUDO_KEY" in message and DEV_PSEUDO_KEY not in message
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            tables = con.execute("SELECT table_schema FROM information_schema.tables").fetchall()
        assert ("raw",) not in tables and ("identity",) not in tables

    shutil.copy(ci_synth / "landing" / SYNTHETIC_MARKER, landing / SYNTHETIC_MARKER)
    accepted = materialise_ingest([MONTH], landing_dir=landing, warehouse=warehouse)

    assert accepted.success, failures(accepted)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        paths = [p for (p,) in con.execute("SELECT path FROM ops.manifest").fetchall()]
    assert paths and not any(SYNTHETIC_MARKER in p for p in paths)


def test_simulator_marks_its_landing_folder_and_never_writes_over_unmarked_files(
    ci_synth: Path, tmp_path: Path
) -> None:
    mark = json.loads((ci_synth / "landing" / SYNTHETIC_MARKER).read_text())
    assert mark["synthetic"] is True
    assert (mark["preset"], mark["seed"], mark["last_month"]) == ("ci", 7, MONTH)
    assert landing_months(ci_synth / "landing")[-1] == MONTH  # the mark is not a delivery

    real = tmp_path / "landing" / "pnc" / MONTH / "pnc_person_202412.psv"
    real.parent.mkdir(parents=True)
    real.write_text("a real delivery\n")
    with pytest.raises(FileExistsError, match="may hold real deliveries"):
        generate(tmp_path, preset="ci", people=50, months=2, seed=1)
    assert real.read_text() == "a real delivery\n"
    assert not (tmp_path / "landing" / SYNTHETIC_MARKER).exists()


def test_second_run_on_a_warehouse_refuses_while_the_first_holds_it(
    ci_synth: Path, tmp_path: Path
) -> None:
    """Two ``outcomes run`` at once on one warehouse: the second stops at once naming the
    first, and touches nothing; SIGKILL of the first leaves no stale lock."""
    data = tmp_path / "data"
    env = outcomes_env(data, ci_synth / "landing")
    lock = lock_path(data / "warehouse.duckdb")
    first = Running(env, tmp_path / "first.log")
    try:
        first.wait_until(
            lambda: (
                lock.exists()
                and f'"pid": {first.process.pid}' in lock.read_text()
                and (data / "logs").is_dir()
            ),  # its log file is made just after the lock
            timeout=120,
            what="lock taken by the first run",
        )
        before = {p.name for p in data.iterdir()}
        logs_before = sorted(p.name for p in (data / "logs").iterdir())

        second = outcomes(env, "run")

        assert second.returncode == 2, second.stdout
        text = " ".join(second.stdout.split())
        assert "Another run is using the warehouse" in text
        assert f"pid {first.process.pid}" in text and "started 20" in text
        # the second run wrote no log of its own; anything new beside the logs is what the first
        # run goes on to make meanwhile (its Dagster home, warehouse, spill folder...)
        assert sorted(p.name for p in (data / "logs").iterdir()) == logs_before
        assert {p.name for p in data.iterdir()} - before <= FIRST_RUN_MAKES
        assert first.process.poll() is None  # the first run carries on
    finally:
        first.kill()
    with run_lock(data / "warehouse.duckdb"):  # the kernel released the killed run's lock
        pass
