"""Where the dbt project lives and which dbt executable runs it (no env reads, no parsing)."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

#: The dbt project folder (``dbt_project/`` at the repository root).
PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
#: The virtual environment's dbt, so runs do not depend on PATH.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
MANIFEST_PATH = PROJECT_DIR / "target" / "manifest.json"


@cache
def dbt_project() -> DbtProject:
    """The dbt project (profiles.yml inside it; reads dbt_project.yml, never parses models)."""
    return DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
