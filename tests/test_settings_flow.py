"""Settings reach a run only through its resources: two runs of the code location's job in one
process, with different folders and keys, each write their own warehouse and Data Docs, leave the
environment alone and store no key in Dagster's run storage."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.ingest.landing import landing_months
from pipelines.orchestration import location_job
from pipelines.pseudonymise import record_key
from pipelines.resources import resources_for
from pipelines.settings import Settings

RAW_DIR_RELEASE = dg.AssetKey(["raw", "dir_release"])


def _ingest(settings: Settings, month: str, instance: dg.DagsterInstance):
    """``raw/dir_release`` and its checks for ``month``, the way ``run_pipeline`` runs a job."""
    job = location_job("dir_release_only", dg.AssetSelection.assets(RAW_DIR_RELEASE))
    return job.execute_in_process(
        instance=instance, partition_key=month, resources=resources_for(settings)
    )


def test_two_runs_keep_their_own_paths_and_keys(ci_synth: Path, tmp_path: Path) -> None:
    landing = ci_synth / "landing"
    month = landing_months(landing)[-1]
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance = dg.DagsterInstance.local_temp(str(home))
    environment = dict(os.environ)
    keys = ("first-run-key-0123456789", "second-run-key-9876543210")
    settings = {
        k: Settings.for_folder(tmp_path / k, landing_dir=landing, pseudo_key=k) for k in keys
    }
    results = {k: _ingest(settings[k], month, instance) for k in keys}

    assert dict(os.environ) == environment
    for key, result in results.items():
        assert result.success
        with duckdb.connect(str(settings[key].warehouse), read_only=True) as con:
            rows = con.execute(
                "SELECT record_key, record_id FROM identity.person_records "
                "WHERE source = 'dir_release' LIMIT 20"
            ).fetchall()
        assert rows
        assert all(rk == record_key(key, "dir_release", rid) for rk, rid in rows)
        assert (Path(settings[key].gx_docs_dir) / "index.html").exists()
        run = instance.get_run_by_id(result.run_id)
        stored = dg.serialize_value(instance.get_job_snapshot(run.job_snapshot_id))
        assert key not in stored + dg.serialize_value(run.run_config)
