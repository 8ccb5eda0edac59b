"""The one Dagster instance of a data folder, shared by ``outcomes`` commands and the UI.

``outcomes run``, ``outcomes ingest``, ``outcomes ui`` (``dagster dev``) and the schedule all use
``Settings.dagster_home`` (``OUTCOMES_DAGSTER_HOME``, default ``<data_dir>/dagster_home``), so the
UI shows the CLI's runs and check results, and the quality gate compares against one history.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

#: Written into a new instance home (an existing ``dagster.yaml`` is never changed).
DAGSTER_YAML = """\
# The warehouse's Dagster instance, written by `outcomes` (pipelines/instance.py) on first use.
# Runs, event logs (materialisations, check results) and schedule state are SQLite files in
# this folder (Dagster's defaults: history/, storage/, schedules/), shared by `outcomes run`,
# `outcomes ingest` and `outcomes ui` (dagster dev, its daemon and the monthly schedule).
#
# One queued run at a time: runs launched from the UI, backfills and the schedule all write
# the one DuckDB warehouse. (`outcomes run` executes in its own process and takes the
# warehouse's lock instead.)
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def ensure_home(home: Path | str) -> Path:
    """Create the instance folder and its ``dagster.yaml`` if missing; return its absolute path."""
    home = Path(home).absolute()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def open_instance(home: Path | str) -> dg.DagsterInstance:
    """The persistent Dagster instance in ``home`` (created on first use)."""
    return dg.DagsterInstance.from_config(str(ensure_home(home)))
