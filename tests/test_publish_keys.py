"""The upstream keys publication and the quality gate attach to exist in the real graph."""

from __future__ import annotations

from pipelines.asset_keys import FCT_INDICATORS_KEY, RAW_PREFIX, SCORECARD_STRATA_KEY, SPINE_KEY
from pipelines.contracts.deliveries import CONTRACTS


def test_fct_indicators_key_is_the_dbt_asset_key():
    from pipelines.transform.defs import defs

    keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert FCT_INDICATORS_KEY in keys, sorted(k.to_user_string() for k in keys if "fct" in str(k))
    assert SCORECARD_STRATA_KEY in keys


def test_spine_and_raw_keys_exist():
    from pipelines.ingest.defs import defs as ingest_defs
    from pipelines.linkage.defs import defs as linkage_defs

    keys = set(ingest_defs.resolve_asset_graph().get_all_asset_keys())
    keys |= set(linkage_defs.resolve_asset_graph().get_all_asset_keys())
    assert SPINE_KEY in keys
    for table in CONTRACTS:
        assert [RAW_PREFIX, table] in [k.path for k in keys]
