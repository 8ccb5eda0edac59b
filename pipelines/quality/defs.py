"""The quality gate's part of the code location: GX suites as blocking asset checks.

:func:`quality_defs` lets the caller choose which upstream assets get checks (tests use it
with only the stages they build); ``defs`` covers the whole graph.
"""

from collections.abc import Iterable

import dagster as dg

from pipelines.asset_keys import FCT_INDICATORS_KEY, SPINE_KEY
from pipelines.quality.gate import gate_checks
from pipelines.resources import RESOURCES


def quality_defs(
    raw_tables: Iterable[str] | None = None,
    spine_key: dg.AssetKey | None = SPINE_KEY,
    indicator_key: dg.AssetKey | None = FCT_INDICATORS_KEY,
) -> dg.Definitions:
    """Definitions holding the gate's checks for the given stages (``None`` leaves one out)."""
    return dg.Definitions(
        asset_checks=gate_checks(raw_tables, spine_key, indicator_key),
        resources=RESOURCES,
    )


defs = quality_defs()
