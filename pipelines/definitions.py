"""The Dagster code location: every asset, check, job and schedule of the warehouse.

Import modules (not their ``defs``) so that only ``defs`` below is a module-level Definitions
(the dagster CLI refuses a module holding several). The dbt manifest must exist first
(``pipelines.transform.project.prepare_manifest``; ``make`` and ``outcomes run`` do it).
"""

import dagster as dg

from pipelines import jobs
from pipelines.ingest import defs as ingest
from pipelines.linkage import defs as linkage
from pipelines.publish import defs as publish
from pipelines.quality import defs as quality
from pipelines.transform import defs as transform

defs = dg.Definitions.merge(
    ingest.defs, linkage.defs, transform.defs, quality.defs, publish.defs, jobs.defs
)
