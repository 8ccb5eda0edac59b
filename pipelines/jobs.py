"""The monthly job over the whole graph and the schedule built from it.

The job is partitioned by the shared ``pipelines.partitions.MONTHLY`` of its assets.
"""

import dagster as dg

monthly_job = dg.define_asset_job(
    "monthly_outcomes",
    selection=dg.AssetSelection.all(),
    description="Ingest -> linkage -> dbt -> quality gate -> publication for a delivery month.",
)

# Runs on the 5th of each month for the previous (complete) month. Stopped until switched on.
monthly_schedule = dg.build_schedule_from_partitioned_job(
    monthly_job, day_of_month=5, hour_of_day=6, minute_of_hour=0
)

defs = dg.Definitions(jobs=[monthly_job], schedules=[monthly_schedule])
