"""Run-time settings, read from ``OUTCOMES_*`` environment variables (and ``.env``).

Nothing here is read at import time: call :func:`get_settings` when a value is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PSEUDO_KEY = "DEVELOPMENT-ONLY-pseudonymisation-key-do-not-use-with-real-data"


class Settings(BaseSettings):
    """Where the warehouse reads and writes, and the pseudonymisation key."""

    model_config = SettingsConfigDict(
        env_prefix="OUTCOMES_", env_file=(".env", ".env.local"), extra="ignore"
    )

    data_dir: Path = Path("data")
    landing_dir: Path | None = None
    warehouse: Path | None = None
    publications_dir: Path | None = None
    snapshot: Path | None = None
    gx_docs_dir: Path = Path("gx_docs")
    #: The Dagster instance (runs, check results, schedule state) shared by every ``outcomes``
    #: command and ``outcomes ui`` (default ``dagster_home`` under the data folder).
    dagster_home: Path | None = None
    pseudo_key: str = Field(default=DEV_PSEUDO_KEY, repr=False)
    #: DuckDB buffer limit of EACH connection the run opens (the run process and dbt's process
    #: each hold at most one at a time, so a run stays near twice this plus ~1 GB of Python).
    duckdb_memory_limit: str = "2GB"
    #: Processes preparing ingest files: 1 = none (the default: threads of the run's process
    #: prepare them, faster at national scale and within 3 GB), 0 = one per core for large
    #: deliveries, n = n.
    ingest_workers: int = Field(default=1, ge=0)
    #: DuckDB worker threads per connection; 0 = one per CPU core.
    duckdb_threads: int = Field(default=0, ge=0)
    #: Where DuckDB spills beyond its memory limit (default ``duckdb_tmp`` beside the warehouse).
    duckdb_temp_dir: Path | None = None

    def model_post_init(self, __context: object) -> None:
        self.landing_dir = self.landing_dir or self.data_dir / "landing"
        self.warehouse = self.warehouse or self.data_dir / "warehouse.duckdb"
        self.publications_dir = self.publications_dir or self.data_dir / "publications"
        self.snapshot = self.snapshot or self.data_dir / "snapshot.duckdb"
        self.dagster_home = self.dagster_home or self.data_dir / "dagster_home"

    @property
    def logs_dir(self) -> Path:
        """Where ``outcomes run`` and ``outcomes ingest`` write their full logs."""
        return self.data_dir / "logs"

    @classmethod
    def for_folder(cls, data_dir: Path, **overrides: object) -> Settings:
        """Settings with every output under ``data_dir``, ignoring path variables in the
        environment (tests and one-off runs)."""
        data_dir = Path(data_dir)
        paths = {
            "landing_dir": data_dir / "landing",
            "warehouse": data_dir / "warehouse.duckdb",
            "publications_dir": data_dir / "publications",
            "snapshot": data_dir / "snapshot.duckdb",
            "gx_docs_dir": data_dir / "gx_docs",
            "dagster_home": data_dir / "dagster_home",
        }
        return cls(data_dir=data_dir, **{**paths, **overrides})


def duckdb_config(memory_limit: str, threads: int, temp_dir: Path) -> dict[str, str | int]:
    """DuckDB connection config from the run's limits (``threads`` 0 = one per usable core)."""
    return {
        "memory_limit": memory_limit,
        "threads": threads or len(os.sched_getaffinity(0)),
        "temp_directory": str(temp_dir),
    }


def get_settings(**overrides: object) -> Settings:
    """Read settings now (environment first, then ``.env``), applying explicit overrides."""
    return Settings(**overrides)
