"""Shared fixtures: synthetic datasets built once per test session (also across xdist workers).

Fixtures that return a shared folder are read-only for tests: copy before damaging anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

CI_SEED = 7
DEMO_SEED = 42
#: The suite's pseudonymisation key (not the development default): tests build landing folders
#: of their own without the simulator's mark, which the development key is refused on.
TEST_PSEUDO_KEY = "test-suite-pseudonymisation-key"


def pytest_configure(config: pytest.Config) -> None:
    """Every test process (and the ``outcomes`` subprocesses it starts) uses the suite's key."""
    os.environ["OUTCOMES_PSEUDO_KEY"] = TEST_PSEUDO_KEY


def pytest_sessionstart(session: pytest.Session) -> None:
    """The Dagster definitions need the dbt manifest: make it once if it is missing (``make test``
    refreshes it first). Only the main process parses, before xdist starts its workers, so no
    worker reads a manifest being rewritten."""
    from pipelines.transform.project import dbt_project, prepare_manifest

    if not hasattr(session.config, "workerinput") and not dbt_project().manifest_path.exists():
        prepare_manifest()


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder shared by every xdist worker of this session."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def build_once(root: Path, name: str, builder: Callable[[Path], None]) -> Path:
    """Run ``builder(folder)`` once per session across workers; later callers reuse it."""
    folder = root / name
    with FileLock(str(root / f"{name}.lock")):
        if not (folder / ".done").exists():
            folder.mkdir(parents=True, exist_ok=True)
            builder(folder)
            (folder / ".done").touch()
    return folder


@pytest.fixture(scope="session")
def ci_synth(shared_root: Path) -> Path:
    """The ``ci`` preset (seed 7): ``<dir>/landing``, ``<dir>/truth``, calibration files."""
    from pipelines.synthetic import generate

    return build_once(shared_root, "ci_synth", lambda out: generate(out, preset="ci", seed=CI_SEED))


@pytest.fixture(scope="session")
def demo_synth(shared_root: Path) -> Path:
    """The ``demo`` preset (seed 42)."""
    from pipelines.synthetic import generate

    return build_once(
        shared_root, "demo_synth", lambda out: generate(out, preset="demo", seed=DEMO_SEED)
    )


def run_full_pipeline(synth_dir: Path, out: Path, publish: bool = True) -> None:
    """Run the whole graph over ``synth_dir/landing`` into ``out`` (warehouse, publications)."""
    import dagster as dg

    from pipelines.orchestration import run_pipeline
    from pipelines.settings import Settings

    settings = Settings.for_folder(out, landing_dir=synth_dir / "landing")
    outcome = run_pipeline(settings, instance=dg.DagsterInstance.ephemeral(), publish=publish)
    if not outcome.success:
        raise RuntimeError(f"pipeline failed: {outcome.failed_steps} {outcome.failed_checks}")


@pytest.fixture(scope="session")
def ci_warehouse(shared_root: Path, ci_synth: Path) -> Path:
    """The whole pipeline over the ``ci`` preset; returns the data folder (warehouse.duckdb...)."""
    return build_once(shared_root, "ci_run", lambda out: run_full_pipeline(ci_synth, out))


@pytest.fixture(scope="session")
def demo_warehouse(shared_root: Path, demo_synth: Path) -> Path:
    """The pipeline up to the marts and their checks over the ``demo`` preset (the release step
    is exercised on ``ci``); returns the data folder."""
    return build_once(
        shared_root, "demo_run", lambda out: run_full_pipeline(demo_synth, out, publish=False)
    )


@pytest.fixture(scope="session")
def demo_snapshot(shared_root: Path, demo_warehouse: Path) -> Path:
    """The analyst snapshot of the ``demo`` warehouse, made by the publication's own
    ``refresh_snapshot`` from a read-only attach (the demo build stops before publication)."""

    def build(out: Path) -> None:
        import duckdb

        from pipelines.publish.snapshot import refresh_snapshot

        with duckdb.connect() as con:
            warehouse = (demo_warehouse / "warehouse.duckdb").as_posix()
            con.execute(f"ATTACH '{warehouse}' AS warehouse (READ_ONLY)")
            con.execute("USE warehouse")
            month = con.execute("SELECT as_of_month FROM main_intermediate.int_run_context")
            refresh_snapshot(con, out / "snapshot.duckdb", month.fetchall()[0][0])

    return build_once(shared_root, "demo_snapshot", build) / "snapshot.duckdb"
