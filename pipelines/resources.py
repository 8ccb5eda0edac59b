"""Dagster resources: the warehouse and the publication folders.

Settings reach assets one way, ``Settings`` -> resources -> assets: nothing writes settings back
into the environment. ``outcomes run`` and tests hand a run :func:`resources_for` their settings;
the code location's :data:`RESOURCES` leave fields empty, and an empty field is read from
:func:`pipelines.settings.get_settings` when a method is called (at run time, never at import).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.catalogue import load_catalogue
from pipelines.safeguards import check_key
from pipelines.settings import Settings, duckdb_config, get_settings

#: Concurrency pool of every asset that writes the warehouse (limit it to 1 in dagster.yaml).
WRITER_POOL = "duckdb_writer"
#: A release folder is named for its month.
RELEASE_PATTERN = re.compile(r"^\d{4}-\d{2}$")


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """True when ``schema.table`` exists in the connected database."""
    schema, table = qualified.split(".")
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return found[0][0] > 0


def releases(publications_dir: Path) -> list[str]:
    """Published months (folders ``YYYY-MM`` with a page), newest first."""
    root = Path(publications_dir)
    if not root.exists():
        return []
    found = [
        p.name
        for p in root.iterdir()
        if p.is_dir() and RELEASE_PATTERN.match(p.name) and (p / "index.html").exists()
    ]
    return sorted(found, reverse=True)


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse DuckDB file, the landing folder, the pseudonymisation key and DuckDB's
    memory limit, threads and spill folder."""

    warehouse: str | None = None
    landing_dir: str | None = None
    pseudo_key: str | None = None
    memory_limit: str | None = None
    threads: int | None = None
    temp_dir: str | None = None
    workers: int | None = None

    def warehouse_path(self) -> Path:
        return Path(self.warehouse or get_settings().warehouse)

    def landing_path(self) -> Path:
        return Path(self.landing_dir or get_settings().landing_dir)

    def key(self) -> str:
        """The pseudonymisation key; refuses the development key on an unmarked (real) landing
        folder (:func:`pipelines.safeguards.check_key`), whichever way the run was started."""
        key = self.pseudo_key or get_settings().pseudo_key
        check_key(key, self.landing_path())
        return key

    def duckdb_config(self) -> dict[str, str | int]:
        """Config of every DuckDB connection of the run (warehouse, Splink's, dbt's); the spill
        folder defaults to ``duckdb_tmp`` beside the warehouse file."""
        settings = get_settings()
        spill = self.temp_dir or settings.duckdb_temp_dir
        temp_dir = Path(spill or self.warehouse_path().parent / "duckdb_tmp").resolve()
        temp_dir.mkdir(parents=True, exist_ok=True)  # DuckDB creates only the last level
        return duckdb_config(
            self.memory_limit or settings.duckdb_memory_limit,
            settings.duckdb_threads if self.threads is None else self.threads,
            temp_dir,
        )

    def ingest_workers(self) -> int:
        """Worker processes preparing ingest files (0 = automatic, 1 = none)."""
        return get_settings().ingest_workers if self.workers is None else self.workers

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection to the warehouse with :meth:`duckdb_config`, closed on exit
        (create the file if missing)."""
        path = self.warehouse_path()
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), read_only=read_only, config=self.duckdb_config())
        try:
            yield con
        finally:
            con.close()


class PublicationResource(dg.ConfigurableResource):
    """Release folder root, analyst snapshot, catalogue seed and GX Data Docs paths."""

    publications_dir: str | None = None
    snapshot: str | None = None
    catalogue_path: str | None = None
    gx_docs_dir: str | None = None

    def gx_docs_path(self) -> Path:
        return Path(self.gx_docs_dir or get_settings().gx_docs_dir)

    def publications_path(self) -> Path:
        return Path(self.publications_dir or get_settings().publications_dir)

    def snapshot_path(self) -> Path:
        return Path(self.snapshot or get_settings().snapshot)

    def catalogue(self) -> pl.DataFrame:
        return load_catalogue(Path(self.catalogue_path) if self.catalogue_path else None)

    def releases(self) -> list[str]:
        """Months already published under :meth:`publications_path`, newest first."""
        return releases(self.publications_path())


#: The resource instances of the code location (Definitions.merge needs the very same objects).
warehouse_resource = WarehouseResource()
publication_resource = PublicationResource()
RESOURCES = {"warehouse": warehouse_resource, "publication": publication_resource}


def resources_for(settings: Settings) -> dict[str, dg.ResourceDefinition]:
    """Resources pinned to ``settings`` (every path and the key explicit: no fallback).

    They are handed to the run as ready values, not as resource config, so the pseudonymisation
    key never enters the run's config snapshot in Dagster's run storage.
    """
    warehouse = WarehouseResource(
        warehouse=str(Path(settings.warehouse).resolve()),
        landing_dir=str(settings.landing_dir),
        pseudo_key=settings.pseudo_key,
        memory_limit=settings.duckdb_memory_limit,
        workers=settings.ingest_workers,
        threads=settings.duckdb_threads,
        temp_dir=str(Path(settings.duckdb_temp_dir).resolve())
        if settings.duckdb_temp_dir
        else None,
    )
    publication = PublicationResource(
        publications_dir=str(settings.publications_dir),
        snapshot=str(settings.snapshot),
        gx_docs_dir=str(settings.gx_docs_dir),
    )
    return {
        "warehouse": dg.ResourceDefinition.hardcoded_resource(warehouse),
        "publication": dg.ResourceDefinition.hardcoded_resource(publication),
    }
