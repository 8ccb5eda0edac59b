"""Prepare the dbt manifest before the Dagster definitions load (``make``, ``outcomes run``,
tests): definitions never run ``dbt parse`` at import time."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

from filelock import FileLock

from pipelines.transform.project import DBT_EXECUTABLE, MANIFEST_PATH, PROJECT_DIR

log = logging.getLogger(__name__)


def prepare_manifest() -> Path:
    """Run ``dbt parse`` on the project (serialised across processes) and return the manifest."""
    target = PROJECT_DIR / "target"
    target.mkdir(exist_ok=True)
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with FileLock(str(target / ".parse.lock")):
        log.info("dbt parse in %s", PROJECT_DIR)
        result = subprocess.run(
            [str(DBT_EXECUTABLE), "parse", "--quiet", "--profiles-dir", str(PROJECT_DIR)],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
    return MANIFEST_PATH
