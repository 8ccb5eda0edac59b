"""Transform's part of the code location: every dbt seed and model as an asset, and their docs.

Needs ``dbt_project/target/manifest.json``: ``dagster dev`` prepares it when the project is first
read (:func:`pipelines.transform.project.dbt_project`); elsewhere call
:func:`pipelines.transform.project.prepare_manifest` before importing this module.
"""

from pipelines.transform.project import dbt_project

if not dbt_project().manifest_path.exists():
    raise FileNotFoundError(
        f"{dbt_project().manifest_path} is missing: run "
        "pipelines.transform.project.prepare_manifest() (`outcomes run` and the test session do) "
        "before loading the definitions"
    )

import dagster as dg

from pipelines.resources import RESOURCES
from pipelines.transform.assets import dbt_resource, outcome_model
from pipelines.transform.docs import dbt_docs

defs = dg.Definitions(
    assets=[outcome_model, dbt_docs], resources={**RESOURCES, "dbt": dbt_resource()}
)
