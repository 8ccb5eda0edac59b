"""Ingest's part of the code location: the ten ``raw/*`` assets and the warehouse resource.

The in-process executor keeps one DuckDB writer at a time in every run (``dagster dev``,
``dagster asset materialize`` and ``outcomes run``); writing assets also carry the
``duckdb_writer`` pool for deployments that use a multi-process executor.
"""

import dagster as dg

from pipelines.ingest.assets import ingest_assets
from pipelines.resources import RESOURCES

defs = dg.Definitions(assets=ingest_assets(), resources=RESOURCES, executor=dg.in_process_executor)
