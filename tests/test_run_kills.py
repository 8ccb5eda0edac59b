"""SIGKILL ``outcomes run`` in each stage; the next run recovers and publishes the same release.

Design (one chain of six runs on a small delivery set, to keep the cost to minutes):

- The deliveries are a small synthetic population (``SMALL``: the ``ci`` preset cut to 1,500
  people and 12 months); the stages and their persistence are the same at any size, and the
  small set keeps each run to about a minute and a half. One uninterrupted run of the same
  deliveries is the reference.
- One data folder, one landing folder (read-only). Run *k* is
  killed in stage *k* (ingest, linkage, dbt, publication, analyst snapshot), and run *k + 1*
  starts from exactly what the kill left. Every run goes through all the stages from the start,
  so run *k + 1* completing stage *k* is the proof that a kill there is recovered; the sixth run
  is left to finish.
- A stage is detected from what the run prints (Dagster's step starts, the loader's per-month
  lines, dbt's per-model lines) or from the files it creates (the release's temporary folder,
  the snapshot's temporary file), never from a sleep alone: the kill lands inside the stage.
- After every kill: the analyst snapshot is absent or complete (opened read-only with DuckDB and
  queried), and a release folder, if any, holds exactly the files its ``metadata.json`` lists.
- The finished release is compared with the uninterrupted run of the same deliveries (the
  reference): every published file byte-identical; ``metadata.json`` equal apart
  from ``generated_at``, the run id and ``inputs.indicator_rows_sha256``. That last one is a
  checksum of the unrounded indicator values, which carry DuckDB's floating-point noise (about
  1e-15 relative, AQA log C14) and differ between any two builds, killed or not; the indicator
  table itself is compared instead: keys and counts exact, values to 1e-9 relative. The
  snapshot then has the reference's tables and row counts.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.publish.disclosure import KEY
from tests.support.outcomes_cli import Running, outcomes_env
from tests.support.release_files import digests

pytestmark = [pytest.mark.slow, pytest.mark.faults]

LAST = "2024-12"
#: The small delivery set: preset, people, months, seed.
SMALL = {"preset": "ci", "people": 1_500, "months": 12, "seed": 3}

#: A stage's test: ``(run, data folder) -> True`` once the run is inside the stage.
Inside = Callable[[Running, Path], bool]


def _linkage() -> Inside:
    """A second and a half into the linkage step (it logs only when done, after several)."""
    seen: list[float] = []

    def inside(run: Running, data: Path) -> bool:
        if not seen and 'Started execution of step "linkage__spine"' in run.output():
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] > 1.5

    return inside


def _release_being_written(data: Path) -> bool:
    """A temporary release folder holds some files."""
    try:
        return any(any(p.iterdir()) for p in (data / "publications").glob(f".{LAST}.tmp-*"))
    except FileNotFoundError:  # renamed into place between glob and listing
        return False


def stages() -> list[tuple[str, Inside]]:
    """Each stage and the test that a run is inside it, in run order."""
    return [
        # some months of the fourth table loaded, the rest not
        ("ingest", lambda run, data: "ndtms_episode 2024-06: loaded" in run.output()),
        ("linkage", _linkage()),
        # the staging views and some intermediate tables built, the marts not
        ("dbt", lambda run, data: len(re.findall(r" OK created ", run.output())) >= 20),
        # the new release half-written in its temporary folder
        ("publication", lambda run, data: _release_being_written(data)),
        # the snapshot's temporary database being filled
        ("snapshot", lambda run, data: any(data.glob(".snapshot.duckdb.tmp-*"))),
    ]


def _assert_never_partial(data: Path) -> None:
    """The snapshot is absent or opens and answers; a release holds what its metadata lists."""
    snapshot = data / "snapshot.duckdb"
    if snapshot.exists():
        with duckdb.connect(str(snapshot), read_only=True) as con:
            (month,) = con.execute("SELECT as_of_month FROM snapshot_info").fetchone()
            (rows,) = con.execute("SELECT count(*) FROM main_marts.fct_indicators").fetchone()
        assert month == LAST and rows > 0
    release = data / "publications" / LAST
    if release.exists():
        listed = json.loads((release / "metadata.json").read_text())["files"]
        assert {k: v for k, v in digests(release).items() if k != "metadata.json"} == listed


def _comparable_metadata(release: Path) -> dict:
    meta = json.loads((release / "metadata.json").read_text())
    del meta["generated_at"], meta["run_configuration"]["run_id"]
    del meta["inputs"]["indicator_rows_sha256"]
    return meta


def _indicators(snapshot: Path) -> pl.DataFrame:
    """The unsuppressed indicator table of a snapshot, in key order."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        frame = con.sql("SELECT * FROM main_marts.fct_indicators").pl()
    return frame.sort(KEY, nulls_last=True)


def _snapshot_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE table_name != "
            "'snapshot_info' ORDER BY ALL"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]
            for s, t in tables
        }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small deliveries (``<dir>/landing``) and their uninterrupted run (``reference``)."""
    from pipelines.synthetic import generate

    root = tmp_path_factory.mktemp("kills")
    generate(root, **SMALL)
    reference = Running(outcomes_env(root / "reference", root / "landing"), root / "ref.log")
    assert reference.finish(timeout=1500) == 0, reference.output()[-3000:]
    return root


def test_a_run_killed_in_any_stage_is_rerun_to_the_same_release(
    small: Path, tmp_path: Path
) -> None:
    data, reference_dir = tmp_path / "data", small / "reference"
    env = outcomes_env(data, small / "landing")
    timings = {}
    for number, (stage, inside) in enumerate(stages(), start=1):
        started = time.monotonic()
        run = Running(env, tmp_path / f"run{number}-{stage}.log")
        run.wait_until(lambda run=run, inside=inside: inside(run, data), 1500, f"{stage} stage")
        run.kill()
        timings[stage] = round(time.monotonic() - started)
        _assert_never_partial(data)

    started = time.monotonic()
    final = Running(env, tmp_path / "run6-complete.log")
    code = final.finish(timeout=1500)
    timings["complete"] = round(time.monotonic() - started)
    print(f"kill chain seconds: {timings}")

    assert code == 0, final.output()[-3000:]
    assert "Run succeeded" in final.output()
    _assert_never_partial(data)
    release, reference = data / "publications" / LAST, reference_dir / "publications" / LAST
    ours, theirs = digests(release), digests(reference)
    assert ours.keys() == theirs.keys()
    assert [k for k in ours if k != "metadata.json" and ours[k] != theirs[k]] == []
    assert _comparable_metadata(release) == _comparable_metadata(reference)
    assert _snapshot_counts(data / "snapshot.duckdb") == _snapshot_counts(
        reference_dir / "snapshot.duckdb"
    )
    assert_frame_equal(
        _indicators(data / "snapshot.duckdb"),
        _indicators(reference_dir / "snapshot.duckdb"),
        rel_tol=1e-9,
        abs_tol=1e-12,
    )
    assert not [p.name for p in (data / "publications").iterdir() if p.name.startswith(".")]
