"""Row counts of the tables a dbt build wrote, as ``dagster/row_count`` on their events.

Not dagster-dbt's ``fetch_row_counts()``: its thread pool runs each count inside ``pushd`` (a
process-wide ``chdir`` into the dbt project and back), and interleaved threads can leave the
process in ``dbt_project/``, so every relative path after the build (the release, the snapshot)
resolved there. Here the build's events are held until dbt has exited (DuckDB allows no reader
beside dbt's writer), then one read-only connection counts each built table in turn. Views are
not counted: counting one runs its query again.
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import dagster as dg

from pipelines.resources import WarehouseResource

ROW_COUNT = "dagster/row_count"


def counted_relations(manifest: Mapping[str, Any]) -> dict[str, str]:
    """``schema.table`` of every seed and non-view model, by dbt unique id."""
    return {
        unique_id: f'"{node["schema"]}"."{node["alias"]}"'
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
        and node["config"].get("materialized") != "view"
    }


def with_row_counts(
    events: Iterable[Any], manifest: Mapping[str, Any], warehouse: WarehouseResource
) -> Iterator[Any]:
    """``events`` of a dbt invocation, each table's output or materialisation with its row count.

    A failed build still yields the events it produced (with counts) before its error is raised.
    """
    held, error = [], None
    try:
        held.extend(events)
    except Exception as exc:  # re-raised once the built tables are reported
        error = exc
    relations = counted_relations(manifest)
    with warehouse.connect(read_only=True) as con:
        for event in held:
            unique_id = _unique_id(event)
            if unique_id in relations:
                (rows,) = con.execute(f"select count(*) from {relations[unique_id]}").fetchone()
                event = event.with_metadata({**event.metadata, ROW_COUNT: rows})
            yield event
    if error is not None:
        raise error


def _unique_id(event: Any) -> str | None:
    """The dbt unique id dagster-dbt records on an output or materialisation, else None."""
    if not isinstance(event, dg.Output | dg.AssetMaterialization):
        return None
    value = event.metadata.get("unique_id")
    return value.value if isinstance(value, dg.MetadataValue) else value
