"""Benchmark stages: which Dagster step belongs to which stage, and each stage's time and memory.

Pure functions over plain data (step intervals and memory samples), so they are cheap to test.
Step keys are Dagster's: an asset's key path joined by ``__`` (``raw__pnc_person``), a check step
is its asset's step key plus ``_<check name>`` (``raw__pnc_person_gx_raw``) and the dbt assets
run as one multi-asset step named after the ``@dbt_assets`` function (``outcome_model``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from pipelines.asset_keys import (
    FCT_INDICATORS_KEY,
    PUBLICATION_KEY,
    RAW_PREFIX,
    SNAPSHOT_KEY,
    SPINE_KEY,
)
from pipelines.contracts.deliveries import CONTRACTS

#: Step of the ``@dbt_assets`` multi-asset (``pipelines.transform.assets.outcome_model``); not
#: imported, because importing it loads the dbt manifest.
DBT_STEP = "outcome_model"
OTHER = "startup/other"
UNMAPPED = "unmapped steps"
#: Stages in pipeline order; "raw checks" are the GX checks on the raw tables (they run after
#: ingest, before linkage) and "gate" the blocking GX checks on ``fct_indicators``.
STAGES = ("ingest", "raw checks", "linkage", "dbt", "gate", "publication", "snapshot")
#: Stages whose throughput (delivered rows per second) is reported.
DATA_STAGES = ("ingest", "raw checks", "linkage", "dbt", "gate")

Interval = tuple[float, float]
Sample = tuple[float, float]


def _step(key) -> str:
    return "__".join(key.path)


def stage_of(step_key: str) -> str:
    """The stage of one step key (``UNMAPPED`` for a step this benchmark does not know)."""
    ingest_steps = {f"{RAW_PREFIX}__{table}" for table in CONTRACTS}
    if step_key in ingest_steps:
        return "ingest"
    if step_key.startswith(f"{RAW_PREFIX}__"):
        return "raw checks"
    if step_key.startswith(SPINE_KEY.path[0] + "__"):
        return "linkage"
    if step_key == DBT_STEP:
        return "dbt"
    if step_key.startswith(_step(FCT_INDICATORS_KEY) + "_"):
        return "gate"
    if step_key == _step(SNAPSHOT_KEY):
        return "snapshot"
    if step_key == _step(PUBLICATION_KEY) or step_key.startswith(PUBLICATION_KEY.path[0] + "__"):
        return "publication"
    return UNMAPPED


def union_length(intervals: Iterable[Interval]) -> float:
    """Seconds covered by at least one interval (overlaps counted once)."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def complement(intervals: Iterable[Interval], start: float, stop: float) -> list[Interval]:
    """The parts of ``start..stop`` that no interval covers."""
    gaps, cursor = [], start
    for a, b in sorted(intervals):
        if a > cursor:
            gaps.append((cursor, min(a, stop)))
        cursor = max(cursor, b)
    if cursor < stop:
        gaps.append((cursor, stop))
    return [(a, b) for a, b in gaps if b > a]


def peak_in(samples: Sequence[Sample], intervals: Sequence[Interval]) -> float:
    """Highest sampled value inside the intervals; for an interval shorter than the sampling
    period, the higher of the samples just before and just after it."""
    peak = 0.0
    for start, stop in intervals:
        inside = [v for t, v in samples if start <= t <= stop]
        if not inside:
            before = [v for t, v in samples if t < start][-1:]
            after = [v for t, v in samples if t > stop][:1]
            inside = before + after
        peak = max([peak, *inside])
    return peak


def stage_figures(
    steps: dict[str, Interval], samples: Sequence[Sample], started: float, ended: float
) -> dict[str, dict]:
    """Per stage: busy seconds (union of its steps), window (first start..last end, seconds from
    the command's start), peak sampled memory in its steps and the step count; plus
    ``startup/other`` (the command's time outside every step)."""
    by_stage: dict[str, list[Interval]] = {}
    for key, interval in steps.items():
        by_stage.setdefault(stage_of(key), []).append(interval)
    out: dict[str, dict] = {}
    for stage in (*STAGES, UNMAPPED):
        intervals = by_stage.get(stage)
        if not intervals:
            continue
        out[stage] = {
            "seconds": union_length(intervals),
            "window": [min(intervals)[0] - started, max(b for _, b in intervals) - started],
            "peak_mb": peak_in(samples, intervals),
            "steps": len(intervals),
        }
    gaps = complement(steps.values(), started, ended)
    out[OTHER] = {
        "seconds": sum(b - a for a, b in gaps),
        "window": [0.0, ended - started],
        "peak_mb": peak_in(samples, gaps) if gaps else 0.0,
        "steps": 0,
    }
    return out


def median_run(runs: Sequence[dict]) -> dict:
    """Medians over repeats of one command: wall, peak, rows and each stage's seconds and peak;
    ``peak_mb_max`` is the highest peak of any repeat (the memory goal is judged on it)."""
    stages = [s for s in (*STAGES, UNMAPPED, OTHER) if any(s in r["stages"] for r in runs)]
    return {
        "repeats": len(runs),
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "peak_mb_max": max(r["peak_mb"] for r in runs),
        "rows_read": statistics.median(r["rows_read"] for r in runs),
        "before_first_step_s": statistics.median(r.get("before_first_step_s", 0.0) for r in runs),
        "stages": {
            s: {
                k: statistics.median(r["stages"].get(s, {}).get(k, 0.0) for r in runs)
                for k in ("seconds", "peak_mb")
            }
            for s in stages
        },
    }
