"""The Dagster code location: every asset, check, job and schedule of the warehouse."""

import dagster as dg

from pipelines.ingest.defs import defs as ingest_defs

defs = dg.Definitions.merge(ingest_defs)
