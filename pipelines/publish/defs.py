"""Publication's part of the code location: the release and analyst-snapshot assets."""

import warnings

import dagster as dg

from pipelines.resources import RESOURCES

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    from pipelines.publish.assets import analyst_snapshot, release

defs = dg.Definitions(
    assets=[release, analyst_snapshot],
    resources=RESOURCES,
)
