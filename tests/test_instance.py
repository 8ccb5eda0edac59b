"""One Dagster instance per data folder: what ``outcomes`` commands record, another process
(the Dagster UI, ``dagster`` commands, a schedule) reads from the same ``DAGSTER_HOME``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from pipelines.cli import ui_environment
from pipelines.contracts.landing_marker import SYNTHETIC_MARKER
from pipelines.instance import ensure_home
from pipelines.settings import Settings, get_settings
from tests.support.outcomes_cli import REPO, outcomes, outcomes_env

MONTH = "2024-12"

#: Run in a separate process with DAGSTER_HOME set, as ``dagster dev`` reads the instance.
READER = """
import json
import dagster as dg

instance = dg.DagsterInstance.get()
runs = instance.get_runs()
checks = {}
for run in runs:
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        data = record.get_dagster_event().event_specific_data
        checks[f"{data.asset_key.to_user_string()}:{data.check_name}"] = data.passed
print(json.dumps({
    "runs": [[r.run_id, r.job_name, r.status.value, r.tags.get("dagster/asset_partition_range_end")]
             for r in runs],
    "checks": checks,
    "max_concurrent_runs": instance.get_concurrency_config().run_queue_config.max_concurrent_runs,
}))
"""


def test_cli_run_is_visible_to_a_second_process(ci_synth: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(ci_synth / "landing" / "dir" / MONTH, landing / "dir" / MONTH)
    shutil.copy(ci_synth / "landing" / SYNTHETIC_MARKER, landing / SYNTHETIC_MARKER)
    data = tmp_path / "data"
    env = outcomes_env(data, landing)

    ingested = outcomes(env, "ingest", "--table", "dir_release", timeout=300)

    assert ingested.returncode == 0, ingested.stdout
    assert "Ingest succeeded." in ingested.stdout
    home = data / "dagster_home"
    assert f"Dagster instance {home}" in ingested.stdout
    reader = subprocess.run(
        [sys.executable, "-c", READER],
        env={**env, "DAGSTER_HOME": str(home)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(reader.stdout.strip().splitlines()[-1])
    ((run_id, job, status, month),) = seen["runs"]
    assert (job, status, month) == ("__ephemeral_asset_job__", "SUCCESS", MONTH)
    (log,) = (data / "logs").glob("ingest-*.log")
    assert run_id in log.read_text()  # the very run the command logged
    assert seen["checks"]["raw/dir_release:reconciles"] is True
    assert seen["max_concurrent_runs"] == 1  # the home's dagster.yaml: one queued run at a time


def test_every_command_and_the_ui_use_the_configured_home(tmp_path: Path, monkeypatch) -> None:
    """``OUTCOMES_DAGSTER_HOME`` moves the instance; the default follows the data folder; an
    exported DAGSTER_HOME does not split the CLI from the UI (``outcomes ui`` sets it)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("OUTCOMES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OUTCOMES_DAGSTER_HOME", raising=False)
    assert get_settings().dagster_home == tmp_path / "data" / "dagster_home"
    monkeypatch.setenv("OUTCOMES_DAGSTER_HOME", str(tmp_path / "home"))
    settings = get_settings()
    assert settings.dagster_home == tmp_path / "home"
    exported = ui_environment(settings)
    assert exported["OUTCOMES_DAGSTER_HOME"] == str(tmp_path / "home")
    assert exported["OUTCOMES_PSEUDO_KEY"] == settings.pseudo_key  # not .env's, under dagster dev
    assert exported["OUTCOMES_LANDING_DIR"] == str(tmp_path / "data" / "landing")
    assert Settings.for_folder(tmp_path / "x").dagster_home == tmp_path / "x" / "dagster_home"

    home = ensure_home(settings.dagster_home)
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["run_queue"] == {"max_concurrent_runs": 1}
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    ensure_home(home)  # an engineer's own dagster.yaml is kept
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"
    assert os.environ["DAGSTER_HOME"] == str(tmp_path / "elsewhere")
    assert (REPO / "workspace.yaml").exists()
