"""The quality gate: GX suites as blocking Dagster asset checks.

Each check pulls a DataFrame from the warehouse (:mod:`pipelines.quality.frames`), validates
it against a suite in ``expectations/`` and builds Data Docs. A failed check has severity ERROR
and is blocking, so the publication asset downstream does not run in the same run (and the
publication asset also refuses to run after any failed or missing blocking check).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import dagster as dg
import duckdb
import polars as pl

from pipelines.asset_keys import FCT_INDICATORS_KEY, RAW_PREFIX, SPINE_KEY
from pipelines.quality import frames
from pipelines.quality.suites import SuiteResult, suite_path, validate
from pipelines.resources import PublicationResource, WarehouseResource

#: (suite name, frame builder) pairs; builders get (connection, publication resource, months).
Builder = Callable[[duckdb.DuckDBPyConnection, PublicationResource, list[str]], pl.DataFrame]


def run_months(context: dg.AssetCheckExecutionContext) -> list[str]:
    """The run's partition keys (``YYYY-MM``), oldest first; empty for unpartitioned runs."""
    tags = context.op_execution_context.run.tags
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    if start and end:
        from pipelines.partitions import MONTHLY

        keys = MONTHLY.get_partition_keys()
        if start in keys and end in keys:
            return keys[keys.index(start) : keys.index(end) + 1]
        return [start, end]
    single = tags.get("dagster/partition")
    return [single] if single else []


@dataclass(frozen=True)
class GateCheck:
    """One blocking check: suites validated on frames built from the warehouse."""

    name: str
    asset_key: dg.AssetKey
    suites: tuple[tuple[str, Builder], ...]
    description: str


def _result(results: list[SuiteResult]) -> dg.AssetCheckResult:
    passed = all(r.success for r in results)
    metadata = {r.suite: r.summary() for r in results}
    metadata["rows_validated"] = sum(r.rows for r in results)
    failed = [f"{r.suite}: {f}" for r in results for f in r.failed]
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description="; ".join(failed)[:2000] if failed else "all expectations passed",
    )


def build_check(spec: GateCheck) -> dg.AssetChecksDefinition:
    """The Dagster asset check for ``spec`` (blocking, severity ERROR on failure)."""

    @dg.asset_check(
        asset=spec.asset_key, name=spec.name, blocking=True, description=spec.description
    )
    def _check(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        publication: PublicationResource,
    ) -> dg.AssetCheckResult:
        months = run_months(context)
        results = []
        with warehouse.connect(read_only=False) as con:
            for suite, builder in spec.suites:
                frame = builder(con, publication, months)
                results.append(validate(frame, suite, docs=publication.gx_docs_path()))
        for r in results:
            context.log.info(r.summary())
        return _result(results)

    return _check


def _indicators(con, publication: PublicationResource, months: list[str]) -> pl.DataFrame:
    return frames.indicator_rows(con, publication.catalogue())


def indicator_checks(key: dg.AssetKey = FCT_INDICATORS_KEY) -> list[GateCheck]:
    """Indicator table checks: bounds, numerator <= denominator, presence, coverage, trend."""
    return [
        GateCheck(
            "gx_indicators",
            key,
            (("indicators", _indicators),),
            "Shape, codes, unique keys, values within catalogue bounds and intervals.",
        ),
        GateCheck(
            "gx_indicator_proportions",
            key,
            (
                (
                    "indicator_proportions",
                    lambda con, pub, m: frames.indicator_proportions(
                        frames.indicator_counts(con, pub.catalogue())
                    ),
                ),
            ),
            "Proportions: numerator <= denominator and value in 0-1.",
        ),
        GateCheck(
            "gx_indicator_presence",
            key,
            (
                (
                    "indicator_presence",
                    lambda con, pub, m: frames.indicator_presence(
                        frames.indicator_areas(con), pub.catalogue()
                    ),
                ),
            ),
            "Every catalogue indicator has rows.",
        ),
        GateCheck(
            "gx_indicator_coverage",
            key,
            (
                (
                    "indicator_coverage",
                    lambda con, pub, m: frames.indicator_coverage(
                        frames.indicator_areas(con),
                        pub.publications_path(),
                        pub.releases(),
                        m[-1] if m else None,
                    ),
                ),
            ),
            "No silent drop in areas covered per indicator against the previous release.",
        ),
        GateCheck(
            "gx_indicator_trend",
            key,
            (
                (
                    "indicator_trend",
                    lambda con, pub, m: frames.indicator_trend(
                        frames.indicator_rows(con, pub.catalogue(), frames.TREND_ROWS)
                    ),
                ),
            ),
            "England month-on-month change within plausible bounds.",
        ),
    ]


def spine_checks(key: dg.AssetKey = SPINE_KEY) -> list[GateCheck]:
    """Checks on the person spine: unique record keys, probabilities, cluster sizes."""
    return [
        GateCheck(
            "gx_spine",
            key,
            (
                ("linkage_spine", lambda con, pub, m: frames.spine(con)),
                ("linkage_clusters", lambda con, pub, m: frames.clusters(con)),
            ),
            "Spine: unique record keys, match probability in 0-1, plausible cluster sizes.",
        )
    ]


def _latest_month(con: duckdb.DuckDBPyConnection, table: str, months: list[str]) -> str:
    if months:
        return months[-1]
    found = con.execute(f'SELECT max(_delivery_month) FROM raw."{table}"').fetchall()
    return found[0][0] or ""


def raw_checks(tables: Iterable[str]) -> list[GateCheck]:
    """Per raw table: volumes against the previous month, and its distribution suite if any."""
    out = []
    for table in tables:
        suites: list[tuple[str, Builder]] = [
            (
                "raw_volumes",
                lambda con, pub, m, t=table: frames.raw_volumes(con, t, m),
            )
        ]
        if suite_path(f"raw_{table}").exists():
            suites.append(
                (
                    f"raw_{table}",
                    lambda con, pub, m, t=table: frames.raw_month_rows(
                        con, t, _latest_month(con, t, m)
                    ),
                )
            )
        out.append(
            GateCheck(
                "gx_raw",
                dg.AssetKey([RAW_PREFIX, table]),
                tuple(suites),
                f"raw.{table}: volume per delivery month vs the previous month"
                + (", value distribution" if len(suites) > 1 else ""),
            )
        )
    return out


def default_raw_tables() -> list[str]:
    """The ingest contracts' tables."""
    from pipelines.contracts.deliveries import CONTRACTS

    return sorted(CONTRACTS)


def gate_checks(
    raw_tables: Iterable[str] | None = None,
    spine_key: dg.AssetKey | None = SPINE_KEY,
    indicator_key: dg.AssetKey | None = FCT_INDICATORS_KEY,
) -> list[dg.AssetChecksDefinition]:
    """Every quality-gate check (pass ``None`` to leave a stage out)."""
    specs: list[GateCheck] = []
    specs += raw_checks(default_raw_tables() if raw_tables is None else raw_tables)
    if spine_key is not None:
        specs += spine_checks(spine_key)
    if indicator_key is not None:
        specs += indicator_checks(indicator_key)
    return [build_check(s) for s in specs]
