"""Run the version-controlled GX 1.x suites in ``expectations/`` on in-memory DataFrames.

An ephemeral GX context per validation (GX's SQL datasource is broken on DuckDB, and dagster-ge
does not support GX 1.x), with optional Data Docs built to a local folder.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import polars as pl

import pipelines

log = logging.getLogger(__name__)

EXPECTATIONS_DIR = Path(pipelines.__file__).resolve().parent.parent / "expectations"


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict:
    """The suite's JSON (``name``, ``expectations``, ``meta``)."""
    return json.loads(suite_path(name).read_text())


@dataclass
class SuiteResult:
    """Outcome of one suite on one DataFrame."""

    suite: str
    success: bool
    rows: int
    failed: list[str] = field(default_factory=list)
    evaluated: int = 0

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: {self.evaluated} expectations passed on {self.rows} rows"
        return f"{self.suite}: failed {'; '.join(self.failed)}"


def _describe(result: object) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    target = (
        kwargs.get("column")
        or kwargs.get("column_list")
        or (f"{kwargs.get('column_A')} vs {kwargs.get('column_B')}" if "column_A" in kwargs else "")
    )
    unexpected = (result.result or {}).get("unexpected_count")
    extra = f" ({unexpected} unexpected)" if unexpected else ""
    return f"{config.type}[{target}]{extra}"


#: String columns with at most this share of distinct values go to pandas as categoricals.
CATEGORICAL_SHARE = 0.1


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """``frame`` as pandas, repeated strings as categoricals.

    Pandas holds one Python object per string cell, several GB for a few million rows of
    indicator codes; a categorical holds each distinct value once. Values, nulls and the
    expectations' results are unchanged.
    """
    limit = max(1, int(frame.height * CATEGORICAL_SHARE))
    repeated = [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String and frame[name].n_unique() <= limit
    ]
    return frame.with_columns(pl.col(repeated).cast(pl.Categorical)).to_pandas()


def validate(
    frame: pl.DataFrame | pd.DataFrame, suite_name: str, docs: Path | None = None
) -> SuiteResult:
    """Validate ``frame`` against ``expectations/<suite_name>.json`` (Data Docs into ``docs``)."""
    import great_expectations as gx

    data = to_pandas(frame) if isinstance(frame, pl.DataFrame) else frame
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    suite = context.suites.add(gx.ExpectationSuite(**load_suite(suite_name)))
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole")
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}_validation", data=batch, suite=suite)
    )
    actions = []
    if docs is not None:
        target = Path(docs).resolve()
        target.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name="local",
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(target),
                },
            },
        )
        # Only our site: an ephemeral context also carries a default site in a fresh
        # temporary folder, which would be written and left behind on every validation.
        actions.append(gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["local"]))
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{suite_name}_checkpoint", validation_definitions=[definition], actions=actions
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": data})
    results = [r for run in outcome.run_results.values() for r in run.results]
    failed = [_describe(r) for r in results if not r.success]
    return SuiteResult(
        suite=suite_name,
        success=bool(outcome.success),
        rows=len(data),
        failed=failed,
        evaluated=len(results),
    )
