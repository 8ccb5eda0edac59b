"""Where the dbt project lives, which dbt executable runs it, and how its manifest is prepared."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

#: The dbt project folder (``dbt_project/`` at the repository root).
PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
#: The virtual environment's dbt, so runs do not depend on PATH.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
#: The runs' dbt: the same dbt, ended with the run that started it (:mod:`.dbt_child`).
DBT_LAUNCHER = Path(sys.executable).parent / "outcomes-dbt"
#: The seeds folder (``seed-paths`` of ``dbt_project.yml``).
SEEDS_DIR = PROJECT_DIR.parent / "seeds"

log = logging.getLogger(__name__)


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


def parse_inputs() -> Iterator[Path]:
    """Every file and folder a ``dbt parse`` reads: the project (not its ``target`` or ``logs``),
    the seeds and the dbt executable (reinstalled with dbt). Folders count: deleting a file
    changes its folder's modification time."""
    yield DBT_EXECUTABLE
    for top in (*PROJECT_DIR.iterdir(), SEEDS_DIR):
        if top.name in ("target", "logs"):
            continue
        yield top
        if top.is_dir():
            yield from top.rglob("*")


def is_current(output: Path, inputs: Iterable[Path]) -> bool:
    """Whether ``output`` exists and was written after every one of ``inputs`` last changed."""
    if not output.exists():
        return False
    made = output.stat().st_mtime
    return all(p.stat().st_mtime < made for p in inputs)


def prepare_manifest() -> Path:
    """Write ``target/manifest.json`` with dagster-dbt's preparer (``dbt parse`` with the venv's
    dbt) unless it is newer than every input of a parse (:func:`parse_inputs`), and return it.

    A parse takes about 13 s even when nothing changed (each ``dbt build --vars`` leaves partial
    parsing invalid for a parse without vars), so ``outcomes run`` and the test session skip it.
    Concurrent callers queue on dagster-dbt's lock file (60 s timeout), and one that waited while
    another parsed skips its own parse; the test session parses once, before its workers start.
    """
    project = dbt_project()
    if is_current(project.manifest_path, parse_inputs()):
        log.debug("dbt manifest %s is current: not parsed", project.manifest_path)
        return project.manifest_path
    _venv_dbt_first_on_path()
    project.preparer.prepare(project)
    return project.manifest_path
