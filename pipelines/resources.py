"""Dagster resources: the DuckDB warehouse (one short-lived connection per use).

Settings are read when a method is called (at run time), never at import. Every field left
empty falls back to :func:`pipelines.settings.get_settings`, so tests point the resource at a
temporary warehouse either with resource config or with ``OUTCOMES_*`` environment variables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.settings import get_settings

#: Concurrency pool of every asset that writes the warehouse (limit it to 1 in dagster.yaml).
WRITER_POOL = "duckdb_writer"


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse DuckDB file, the landing folder and the pseudonymisation key."""

    warehouse: str | None = None
    landing_dir: str | None = None
    pseudo_key: str | None = None

    def warehouse_path(self) -> Path:
        return Path(self.warehouse or get_settings().warehouse)

    def landing_path(self) -> Path:
        return Path(self.landing_dir or get_settings().landing_dir)

    def key(self) -> str:
        return self.pseudo_key or get_settings().pseudo_key

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection to the warehouse, closed on exit (create the file if missing)."""
        path = self.warehouse_path()
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()


#: The one resource instance: Definitions.merge requires the very same object under a key.
warehouse_resource = WarehouseResource()

#: Resources to put in a ``dg.Definitions`` (ingest's defs already carry them).
RESOURCES = {"warehouse": warehouse_resource}
