"""Materialise linkage outside a full pipeline run (tests, benchmarks, model training)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.contracts.deliveries import IDENTITY_TABLES
from pipelines.resources import WarehouseResource


def materialise_linkage(
    months: list[str],
    *,
    warehouse: Path | str | None = None,
    pseudo_key: str | None = None,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    """Materialise ``linkage/spine`` for the range ``months[0]..months[-1]`` in one run."""
    from pipelines.linkage.defs import spine

    months = sorted(months)
    resource = WarehouseResource(
        warehouse=str(warehouse) if warehouse else None, pseudo_key=pseudo_key
    )
    return dg.materialize(
        [spine],
        instance=instance or dg.DagsterInstance.ephemeral(),
        resources={"warehouse": resource},
        tags={
            "dagster/asset_partition_range_start": months[0],
            "dagster/asset_partition_range_end": months[-1],
        },
        raise_on_error=raise_on_error,
    )


def ingest_identity(
    landing: Path, warehouse: Path, months: list[str], pseudo_key: str | None = None
) -> None:
    """Load the identity-bearing tables of ``months`` with the real ingest assets."""
    from pipelines.ingest.materialise import failures, materialise_ingest

    result = materialise_ingest(
        months,
        landing_dir=landing,
        warehouse=warehouse,
        pseudo_key=pseudo_key,
        tables=list(IDENTITY_TABLES),
    )
    if not result.success:
        raise RuntimeError("ingest failed: " + "; ".join(failures(result)))
