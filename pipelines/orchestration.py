"""Run the whole graph for every month found in the landing folder (what ``outcomes run`` does)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.asset_keys import PUBLICATION_KEY
from pipelines.instance import open_instance
from pipelines.partitions import RUN_MONTHS_TAG
from pipelines.preflight import check_run
from pipelines.resources import resources_for
from pipelines.run_lock import run_lock
from pipelines.run_report import Cause, causes, check_warnings
from pipelines.settings import Settings

log = logging.getLogger(__name__)

JOB_NAME = "monthly_outcomes"
#: Dagster group of the ingest assets (the only ones run over the whole month range).
INGEST_GROUP = "ingest"

#: Dagster's switch for single-run backfills to record their planned partitions as one subset.
PLANNED_EVENTS_AS_SUBSET = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
#: Key prefix of the release and the analyst snapshot (left out by ``publish=False``).
PUBLICATION_PREFIX = PUBLICATION_KEY.path[0]


@dataclass
class RunOutcome:
    """What a pipeline run did: months covered, success, and what failed."""

    months: list[str]
    success: bool
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    release_dir: Path | None = None
    #: Root causes of a failure (failed checks, failed steps), for the CLI's summary.
    causes: list[Cause] = field(default_factory=list)
    #: Dagster run ids, in order (ingest, then the rest).
    run_ids: list[str] = field(default_factory=list)


def location_job(
    name: str = JOB_NAME, selection: dg.AssetSelection | None = None
) -> dg.JobDefinition:
    """The code location's job ``name``, or a new job ``name`` over ``selection`` of its graph.

    Runs narrower than the monthly job use a job of their own rather than an ``asset_selection``
    subset: Dagster refuses to subset a job whose resources the run replaces.
    """
    from pipelines.definitions import defs

    if selection is None:
        return defs.resolve_job_def(name)
    job = dg.define_asset_job(name, selection=selection)
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(name)


def run_pipeline(
    settings: Settings,
    months: list[str] | None = None,
    instance: dg.DagsterInstance | None = None,
    run_config: dict | None = None,
    publish: bool = True,
) -> RunOutcome:
    """Materialise every asset for the given months (default: all months delivered), in one run.

    Every asset is monthly-partitioned with a single-run backfill policy, so one run covers the
    whole range; ingest loads each month in order and the rest compute as of the last month.
    ``publish=False`` stops after the marts and their checks (no release, no snapshot).
    ``settings`` reach the assets only through the run's resources (:func:`resources_for`), so
    runs with different settings in one process never see each other's paths. The dbt manifest
    must exist (:func:`pipelines.transform.project.prepare_manifest`).

    Runs are recorded in ``instance``, by default the data folder's persistent instance
    (``settings.dagster_home``, shared with ``outcomes ui``).

    Refuses before touching anything (:func:`pipelines.preflight.check_run`) when a month has
    no delivery, the key is unusable, or an output folder cannot be written (each a
    :class:`~pipelines.safeguards.RefusedError`), and when another run holds the warehouse
    (:class:`~pipelines.run_lock.RunLockedError`; the lock is held until this returns).
    """
    months = preflight(settings, months)
    with run_lock(settings.warehouse):
        return _execute(settings, months, instance, run_config, publish)


def preflight(settings: Settings, months: list[str] | None = None) -> list[str]:
    """The months to run (default: all delivered), after the refusals of :func:`run_pipeline`
    that need no lock (:func:`pipelines.preflight.check_run`)."""
    return check_run(settings, months)


def _execute(
    settings: Settings,
    months: list[str],
    instance: dg.DagsterInstance | None,
    run_config: dict | None,
    publish: bool,
) -> RunOutcome:
    """Run the graph over ``months`` (the body of :func:`run_pipeline`, under its lock).

    Two Dagster runs: ingest (with its checks) over the month range, then everything downstream
    for the last month only. Downstream assets compute as of the last month from everything
    loaded, so one materialisation of each is the truth; recording one per month of a 60-month
    range cost thousands of event writes.
    """
    downstream = dg.AssetSelection.all() - dg.AssetSelection.groups(INGEST_GROUP)
    if not publish:
        downstream = downstream - dg.AssetSelection.key_prefixes(PUBLICATION_PREFIX)
    # one "planned" event per asset for the run's month range, not one per asset and month: with
    # SQLite run storage the per-month events alone took minutes before a 60-month run started
    os.environ.setdefault(PLANNED_EVENTS_AS_SUBSET, "true")
    if instance is None:
        instance = open_instance(settings.dagster_home)
    ingest = location_job(f"{JOB_NAME}_ingest", dg.AssetSelection.groups(INGEST_GROUP))
    as_of = location_job(f"{JOB_NAME}_as_of_month", downstream)
    range_tags = {
        "dagster/asset_partition_range_start": months[0],
        "dagster/asset_partition_range_end": months[-1],
    }
    outcome = RunOutcome(months=months, success=True)
    for job, tags, partition, config in (
        (ingest, range_tags, None, {}),
        (as_of, {}, months[-1], run_config or {}),
    ):
        log.info("running %s for %s", job.name, _span(months if job is ingest else months[-1:]))
        result = job.execute_in_process(
            instance=instance,
            tags={**tags, RUN_MONTHS_TAG: f"{months[0]}..{months[-1]}"},
            partition_key=partition,
            raise_on_error=False,
            run_config=config,
            resources=resources_for(settings),
        )
        _collect(result, outcome)
        if not outcome.success:
            break
    release = Path(settings.publications_dir) / months[-1]
    outcome.release_dir = release if release.exists() and outcome.success else None
    return outcome


def _span(months: list[str]) -> str:
    """``2024-12`` or ``2024-01..2024-12 (12 months)``."""
    return months[0] if len(months) == 1 else f"{months[0]}..{months[-1]} ({len(months)} months)"


def _collect(result: dg.ExecuteInProcessResult, outcome: RunOutcome) -> None:
    """Add a Dagster run's failed steps, failed checks, warnings and causes to ``outcome``."""
    outcome.success = outcome.success and result.success
    outcome.run_ids.append(result.run_id)
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            outcome.failed_steps.append(f"{event.step_key}: {error.message.strip()}")
    found = causes(result)
    outcome.causes += found
    outcome.failed_checks += [c.name for c in found if c.kind == "check"]
    outcome.warnings += check_warnings(result)
    if outcome.failed_checks:
        outcome.success = False
