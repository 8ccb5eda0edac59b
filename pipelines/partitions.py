"""The one partitioning scheme shared by every asset: the delivery month."""

import dagster as dg

#: Monthly delivery partitions (keys ``YYYY-MM``, up to the last complete month). Every asset in
#: the graph uses this definition with :data:`SINGLE_RUN`, so one run can cover a range of months.
MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2020-01", end_offset=0, fmt="%Y-%m")

#: Backfill policy for every asset: a range of months runs as one run.
SINGLE_RUN = dg.BackfillPolicy.single_run()

#: Run tag naming the months of an ``outcomes run`` (``YYYY-MM..YYYY-MM``) on both of its Dagster
#: runs (ingest over the range, then the rest for the last month).
RUN_MONTHS_TAG = "outcomes/run_months"
