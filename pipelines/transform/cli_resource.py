"""The dbt CLI resource, without the per-invocation work this project does not use.

dagster-dbt's ``DbtCliResource.cli`` first runs ``dbt --version`` in a subprocess (1.7 s) and
then opens a dbt adapter inside Dagster's process (1.2 s), on every invocation: the adapter only
serves dagster-dbt's own row counts and column metadata, which this project does not request
(:mod:`pipelines.transform.row_counts` counts rows itself). Both are skipped here: the version
is the installed dbt-core's, which is the dbt the launcher runs
(:mod:`pipelines.transform.dbt_child`).
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as package_version
from typing import Any

from dagster_dbt import DbtCliResource
from packaging import version


class LauncherDbtCli(DbtCliResource):
    """``DbtCliResource`` for the venv's dbt-core run through the project's launcher."""

    @cached_property
    def _cli_version(self) -> version.Version:
        """dbt-core's installed version (what ``dbt --version`` would print)."""
        return version.parse(package_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:  # type: ignore[override]
        """No adapter in Dagster's process: dbt opens its own in the subprocess."""
        return None
