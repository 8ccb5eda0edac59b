"""A new month keeps dbt's partial parsing: the as-of month reaches dbt through the environment,
not ``--vars`` (a changed var makes dbt parse the whole project again), and a build's parse is
kept as the next invocation's starting point."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from pipelines.transform.assets import AS_OF_ENV
from pipelines.transform.project import DBT_EXECUTABLE, PROJECT_DIR
from pipelines.transform.target_folders import PARTIAL_PARSE, keep_partial_parse

FULL_PARSE = "Unable to do partial parsing"


def dbt(command: list[str], target: Path, warehouse: Path, as_of: str) -> str:
    """dbt ``command`` with the run's vars (all but the month) and ``as_of`` in the environment."""
    variables = {"warehouse_path": str(warehouse)}
    done = subprocess.run(
        [str(DBT_EXECUTABLE), *command, "--vars", json.dumps(variables),
         "--profiles-dir", str(PROJECT_DIR), "--target-path", str(target)],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
        env={**os.environ, AS_OF_ENV: as_of},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    return done.stdout


def test_a_new_month_reparses_no_file_and_compiles_the_new_month(tmp_path: Path) -> None:
    target, warehouse = tmp_path / "target", tmp_path / "warehouse.duckdb"
    dbt(["parse"], target, warehouse, "2024-11")
    assert (target / PARTIAL_PARSE).is_file()

    out = dbt(["compile", "--select", "int_run_context"], target, warehouse, "2024-12")

    assert FULL_PARSE not in out
    compiled = next(target.glob("compiled/**/int_run_context.sql")).read_text()
    assert "'2024-12' as as_of_month" in compiled
    assert "2024-11" not in compiled


def test_a_changed_var_still_parses_everything(tmp_path: Path) -> None:
    """The opposite: what the environment avoids (so the test above can fail)."""
    target = tmp_path / "target"
    dbt(["parse"], target, tmp_path / "a.duckdb", "2024-11")
    assert FULL_PARSE in dbt(["parse"], target, tmp_path / "b.duckdb", "2024-11")


def test_a_build_parse_becomes_the_project_parse(tmp_path: Path) -> None:
    run_target, project_target = tmp_path / "run", tmp_path / "target"
    assert not keep_partial_parse(run_target, project_target)  # a run that saved no parse
    run_target.mkdir()
    (run_target / PARTIAL_PARSE).write_bytes(b"parse of the run")
    project_target.mkdir()
    (project_target / PARTIAL_PARSE).write_bytes(b"older parse")

    assert keep_partial_parse(run_target, project_target)

    assert (project_target / PARTIAL_PARSE).read_bytes() == b"parse of the run"
    assert sorted(p.name for p in project_target.iterdir()) == [PARTIAL_PARSE]


def test_a_parse_that_cannot_be_kept_is_skipped(tmp_path: Path) -> None:
    """Keeping the parse is an optimisation: a target that cannot be written fails nothing."""
    run_target = tmp_path / "run"
    run_target.mkdir()
    (run_target / PARTIAL_PARSE).write_bytes(b"parse of the run")
    blocked = tmp_path / "target"
    blocked.write_text("a file where the folder should be")

    assert not keep_partial_parse(run_target, blocked)
    assert blocked.read_text() == "a file where the folder should be"
