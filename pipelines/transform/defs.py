"""Transform's part of the code location: every dbt seed and model as an asset.

Needs ``dbt_project/target/manifest.json``: call
:func:`pipelines.transform.prepare.prepare_manifest` before importing this module.
"""

from pipelines.transform.project import MANIFEST_PATH

if not MANIFEST_PATH.exists():
    raise FileNotFoundError(
        f"{MANIFEST_PATH} is missing: run pipelines.transform.prepare.prepare_manifest() "
        "(`make run` and `outcomes run` do) before loading the definitions"
    )

import dagster as dg

from pipelines.transform.assets import dbt_resource, outcome_model

defs = dg.Definitions(assets=[outcome_model], resources={"dbt": dbt_resource()})
