"""Asset keys shared by the quality gate and publication (change the upstream ones here only)."""

import dagster as dg

#: The dbt mart read by publication (dagster-dbt key of ``main_marts.fct_indicators``).
FCT_INDICATORS_KEY = dg.AssetKey(["fct_indicators"])
#: The linkage asset that writes ``linkage.spine``.
SPINE_KEY = dg.AssetKey(["linkage", "spine"])
#: Ingest assets are ``raw/<table>``.
RAW_PREFIX = "raw"

PUBLICATION_KEY = dg.AssetKey(["publication", "release"])
SNAPSHOT_KEY = dg.AssetKey(["publication", "analyst_snapshot"])

#: Columns of ``main_marts.fct_indicators`` (docs/indicator-table.md), in order.
INDICATOR_COLUMNS = [
    "indicator_id",
    "period",
    "period_type",
    "geography_type",
    "geography_code",
    "geography_name",
    "breakdown",
    "breakdown_value",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "maturity_period",
    "status",
]
