"""Score candidate profile pairs with a trained Splink model (DuckDB, in memory).

Splink runs on its own in-memory DuckDB connection fed with Arrow tables from the warehouse,
so its scratch tables never land in the warehouse file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from pipelines.linkage.models import runtime_settings

log = logging.getLogger(__name__)


def _tf_columns(model: dict[str, Any]) -> list[str]:
    return sorted(
        {
            level["tf_adjustment_column"]
            for comparison in model["comparisons"]
            for level in comparison["comparison_levels"]
            if level.get("tf_adjustment_column")
        }
    )


def scratch_config(parent: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The memory limit, threads and spill folder of ``parent`` (the warehouse connection), for
    Splink's in-memory connection."""
    names = ("memory_limit", "threads", "temp_directory")
    values = parent.execute(
        "select " + ", ".join(f"current_setting('{n}')" for n in names)
    ).fetchall()[0]
    return {n: str(v) for n, v in zip(names, values, strict=True) if v not in (None, "")}


#: Share of the warehouse connection's memory limit Splink's connection takes while it scores
#: every profile (the warehouse connection keeps the rest, spilling its temp tables if it must).
SCRATCH_SHARE = 0.75
#: The least share of :data:`SCRATCH_SHARE` given for scoring a small part of the population.
MIN_SCRATCH_FRACTION = 0.1


def scratch_share(scored: int, population: int) -> float:
    """Share of the memory limit for scoring ``scored`` of ``population`` profiles: in
    proportion, so that a month's few new profiles do not make the warehouse connection spill
    the temp tables it holds (giving up 1.5 of 2 GB took 5 s at national scale)."""
    fraction = scored / population if population else 1.0
    return SCRATCH_SHARE * min(1.0, max(MIN_SCRATCH_FRACTION, fraction))


_UNITS = {
    "": 1,
    "b": 1,
    "bytes": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def limit_bytes(text: str) -> int | None:
    """Bytes of a DuckDB memory limit as ``current_setting`` shows it (``1.8 GiB``); ``None`` when
    it is not a size."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


@contextmanager
def shared_memory(
    parent: duckdb.DuckDBPyConnection, share: float = SCRATCH_SHARE
) -> Iterator[dict[str, str]]:
    """Splink's connection config (:func:`scratch_config`) with ``share`` of the warehouse
    connection's memory limit, which the warehouse connection gives up until the block ends:
    the two together stay within the one limit the run was given."""
    config = scratch_config(parent)
    original = config.get("memory_limit", "")
    total = limit_bytes(original)
    if total is None:
        yield config
        return
    scratch = int(total * share)
    try:
        parent.execute(f"SET memory_limit = '{total - scratch}B'")
    except duckdb.Error as exc:  # cannot evict enough now: keep both at the full limit
        log.warning("warehouse connection kept its memory limit while Splink scores: %s", exc)
        yield config
        return
    try:
        yield {**config, "memory_limit": f"{scratch}B"}
    finally:
        parent.execute(f"SET memory_limit = '{original}'")


def score_pairs(
    profiles: pa.Table,
    model: dict[str, Any],
    rules: tuple[str, ...],
    extra: str,
    floor: float,
    prior_scale: float = 1.0,
    population: pa.Table | None = None,
    config: dict[str, str] | None = None,
) -> pa.Table:
    """Pairs (``unique_id_l``, ``unique_id_r``, ``match_probability``) at or above ``floor``.

    ``extra`` restricts every blocking rule (e.g. only pairs with a new record); ``prior_scale``
    rescales the trained prior for a population of a different size. ``population`` (default
    ``profiles``) is the table term frequencies are taken from, so scoring a subset of
    candidates gives the same probabilities as scoring everything. ``config`` is the DuckDB
    config of Splink's connection (see :func:`scratch_config`).
    """
    empty = pa.table(
        {
            "unique_id_l": pa.array([], pa.int32()),
            "unique_id_r": pa.array([], pa.int32()),
            "match_probability": pa.array([], pa.float64()),
        }
    )
    if profiles.num_rows < 2:
        return empty
    settings = runtime_settings(model, rules, extra)
    prior = settings["probability_two_random_records_match"] * prior_scale
    settings["probability_two_random_records_match"] = min(max(prior, 1e-12), 0.5)
    con = duckdb.connect(config=config or {})
    try:
        api = DuckDBAPI(connection=con)
        sdf = api.register(profiles, table_name="lk_input")
        linker = Linker(sdf, settings, log_level=logging.WARNING)
        con.register("lk_population", population if population is not None else profiles)
        for column in _tf_columns(settings):
            tf = con.sql(
                f"select {column}, count(*)::double"
                f" / (select count({column}) from lk_population) as tf_{column}"
                f" from lk_population where {column} is not null group by {column}"
            ).to_arrow_table()
            linker.table_management.register_term_frequency_lookup(
                api.register(tf, table_name=f"lk_tf_{column}"), column
            )
        predictions = linker.inference.predict(
            threshold_match_probability=floor, warning_mode="never"
        )
        out = con.sql(
            f"select unique_id_l::integer as unique_id_l, unique_id_r::integer as unique_id_r,"
            f" match_probability::double as match_probability"
            f" from {predictions.physical_name} order by all"
        ).to_arrow_table()
    finally:
        con.close()
    log.info("scored %d profiles: %d pairs >= %.2f", profiles.num_rows, out.num_rows, floor)
    return out if out.num_rows else empty
