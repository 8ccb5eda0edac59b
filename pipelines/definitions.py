"""The Dagster code location: every asset, check, job and schedule of the warehouse.

Import modules (not their ``defs``) so that only ``defs`` below is a module-level Definitions
(the dagster CLI refuses a module holding several).
"""

import dagster as dg

from pipelines.ingest import defs as ingest

defs = dg.Definitions.merge(ingest.defs)
