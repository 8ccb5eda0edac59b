"""Asset keys, groups and owners that more than one area names (change them here only).

The check names on the indicator table live here too: the quality area defines those checks and
the publication area refuses to publish until each has passed, without importing each other.
"""

import dagster as dg

#: Ingest assets are ``raw/<table>``.
RAW_PREFIX = "raw"
#: The linkage asset that writes ``linkage.spine``.
SPINE_KEY = dg.AssetKey(["linkage", "spine"])
#: The dbt mart read by publication (dagster-dbt key of ``main_marts.fct_indicators``).
FCT_INDICATORS_KEY = dg.AssetKey(["fct_indicators"])
SCORECARD_STRATA_KEY = dg.AssetKey(["fct_scorecard_strata"])
PUBLICATION_KEY = dg.AssetKey(["publication", "release"])
SNAPSHOT_KEY = dg.AssetKey(["publication", "analyst_snapshot"])
#: The dbt docs of the build (a transform asset) and their file in the download site's root.
DBT_DOCS_KEY = dg.AssetKey(["publication", "dbt_docs"])
DBT_DOCS_FILE = "dbt-docs.html"

#: Team owning engineering: getting deliveries in, linked and cleaned.
DATA_ENGINEERING = "team:data-engineering"
#: Team owning the outcome model and everything published from it.
ANALYSIS = "team:analysis"
#: Owner of each Dagster asset group (docs/architecture.md, "Owners and groups"): an asset's owner
#: follows its group.
GROUP_OWNERS = {
    "ingest": DATA_ENGINEERING,
    "linkage": DATA_ENGINEERING,
    "dbt_staging": DATA_ENGINEERING,
    "reference_data": ANALYSIS,
    "dbt_intermediate": ANALYSIS,
    "dbt_marts": ANALYSIS,
    "publication": ANALYSIS,
}

#: Blocking checks on ``fct_indicators`` that every release requires, even when a run's graph
#: leaves them out (defined in ``pipelines.quality.gate``).
INDICATOR_CHECK_NAMES = (
    "gx_indicators",
    "gx_indicator_proportions",
    "gx_indicator_presence",
    "gx_indicator_coverage",
    "gx_indicator_trend",
)


def raw_key(table: str) -> dg.AssetKey:
    """The ingest asset of one raw table."""
    return dg.AssetKey([RAW_PREFIX, table])


def group_owners(group: str) -> list[str]:
    """The owners of an asset in ``group`` (a group missing from :data:`GROUP_OWNERS` raises)."""
    return [GROUP_OWNERS[group]]
