"""Where the dbt project lives, which dbt executable runs it, and how its manifest is prepared."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

#: The dbt project folder (``dbt_project/`` at the repository root).
PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
#: The virtual environment's dbt, so runs do not depend on PATH.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


def _venv_dbt_first_on_path() -> None:
    """dagster-dbt's preparer runs the ``dbt`` found on PATH: put the venv's first, so a bare
    ``.venv/bin/outcomes`` (no activated venv) parses with the project's own dbt."""
    bin_dir = str(DBT_EXECUTABLE.parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + path


@cache
def dbt_project() -> DbtProject:
    """The dbt project (profiles.yml inside it). Reads dbt_project.yml; parses the models only
    under ``dagster dev`` (``prepare_if_dev``), so a running UI picks up edited models."""
    project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
    _venv_dbt_first_on_path()
    project.prepare_if_dev()
    return project


def prepare_manifest() -> Path:
    """Write ``target/manifest.json`` with dagster-dbt's preparer (``dbt parse`` with the venv's
    dbt) and return it.

    Concurrent callers queue on dagster-dbt's lock file (60 s timeout), and one that waited while
    another parsed skips its own parse; the test session parses once, before its workers start.
    """
    project = dbt_project()
    _venv_dbt_first_on_path()
    project.preparer.prepare(project)
    return project.manifest_path
