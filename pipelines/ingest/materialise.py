"""Materialise ingest assets outside a full pipeline run (``outcomes ingest``, tests, benchmark)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.contracts.deliveries import CONTRACTS
from pipelines.resources import WarehouseResource


def ingest_selection(tables: list[str] | None = None) -> list[dg.AssetsDefinition]:
    """The ingest assets of ``tables`` (default all ten), from the code location's definitions."""
    from pipelines.ingest.defs import defs

    wanted = set(tables or CONTRACTS)
    unknown = wanted - set(CONTRACTS)
    if unknown:
        raise ValueError(f"unknown table(s): {', '.join(sorted(unknown))}")
    return [a for a in defs.assets if a.key.path[-1] in wanted]


def materialise_ingest(
    months: list[str],
    *,
    landing_dir: Path | str | None = None,
    warehouse: Path | str | None = None,
    pseudo_key: str | None = None,
    tables: list[str] | None = None,
    workers: int | None = None,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = False,
    log_level: str = "INFO",
) -> dg.ExecuteInProcessResult:
    """Materialise ingest for the range ``months[0]..months[-1]`` in one in-process run.

    Unset paths, key and ``workers`` (ingest worker processes) come from settings
    (``OUTCOMES_*``) at run time.
    """
    resource = WarehouseResource(
        warehouse=str(warehouse) if warehouse else None,
        landing_dir=str(landing_dir) if landing_dir else None,
        pseudo_key=pseudo_key,
        workers=workers,
    )
    months = sorted(months)
    tags = {
        "dagster/asset_partition_range_start": months[0],
        "dagster/asset_partition_range_end": months[-1],
    }
    return dg.materialize(
        ingest_selection(tables),
        instance=instance or dg.DagsterInstance.ephemeral(),
        resources={"warehouse": resource},
        tags=tags,
        raise_on_error=raise_on_error,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )


def failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """Step failure messages of a run (each names the file and the fault for file faults)."""
    out = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            message = error.message.strip()
            out.append(message.split(": ", 1)[-1] if "Failure:" in message else message)
    return out
