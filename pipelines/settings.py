"""Run-time settings, read from ``OUTCOMES_*`` environment variables (and ``.env``).

Nothing here is read at import time: call :func:`get_settings` when a value is needed.
"""

from __future__ import annotations

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
    pseudo_key: str = Field(default=DEV_PSEUDO_KEY, repr=False)

    def model_post_init(self, __context: object) -> None:
        self.landing_dir = self.landing_dir or self.data_dir / "landing"
        self.warehouse = self.warehouse or self.data_dir / "warehouse.duckdb"
        self.publications_dir = self.publications_dir or self.data_dir / "publications"
        self.snapshot = self.snapshot or self.data_dir / "snapshot.duckdb"

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
        }
        return cls(data_dir=data_dir, **{**paths, **overrides})


def get_settings(**overrides: object) -> Settings:
    """Read settings now (environment first, then ``.env``), applying explicit overrides."""
    return Settings(**overrides)
