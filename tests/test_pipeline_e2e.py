"""The whole graph on the ``ci`` preset: a release is published, and a broken delivery blocks it."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.orchestration import run_pipeline
from pipelines.publish.disclosure import COUNT_COLUMNS
from pipelines.settings import Settings
from tests.support.source_ids import (
    delivered_record_ids,
    scan_files,
    scan_identity,
    scan_warehouse,
)

LAST = "2024-12"


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _releases(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "publications").glob("20[0-9][0-9]-[01][0-9]"))


def test_release_is_published_with_disclosure_control(ci_warehouse: Path) -> None:
    release = ci_warehouse / "publications" / LAST
    for name in ("indicators.csv", "indicators.parquet", "indicators.xlsx", "metadata.json"):
        assert (release / name).is_file(), name
    with open(Path("seeds/indicator_catalogue.csv"), newline="") as f:
        units = {row["indicator_id"]: row["unit"] for row in csv.DictReader(f)}
    with open(release / "indicators.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        for field in COUNT_COLUMNS[units[row["indicator_id"]]]:
            value = row[field]
            if value and not value.startswith("["):
                assert not 1 <= float(value) <= 4, (field, row)


def test_snapshot_is_refreshed_without_identities(ci_warehouse: Path) -> None:
    with duckdb.connect(str(ci_warehouse / "snapshot.duckdb"), read_only=True) as con:
        rows = con.execute("select distinct schema_name from duckdb_schemas()").fetchall()
        schemas = {s for (s,) in rows}
        assert "identity" not in schemas and "main_intermediate" not in schemas
        (count,) = con.execute("select count(*) from main_marts.fct_indicators").fetchall()[0]
        # the reference data analysts join to (docs/example-queries.md)
        (catalogue,) = con.execute(
            "select count(*) from main_seeds.indicator_catalogue"
        ).fetchall()[0]
    assert count > 0 and catalogue > 0


def test_no_source_record_id_outside_identity(ci_warehouse: Path, ci_synth: Path) -> None:
    """Source-system record ids (DIR_ID, CLIENTID, EPISODID, TEST_ID...) are identifiers: none
    is in the warehouse outside ``identity``, in the analyst snapshot or in a published file."""
    ids = delivered_record_ids(ci_synth / "landing")
    assert len(ids) > 1000
    warehouse = ci_warehouse / "warehouse.duckdb"
    assert scan_identity(warehouse, ids), "the scan finds the clear ids where they belong"
    leaks = scan_warehouse(warehouse, ids) + scan_warehouse(ci_warehouse / "snapshot.duckdb", ids)
    for folder in ("publications", "linkage_report", "gx_docs"):
        if (ci_warehouse / folder).is_dir():
            leaks += [f"{folder}/{f}" for f in scan_files(ci_warehouse / folder, ids)]
    assert leaks == []


def test_half_a_delivery_fails_the_run_and_keeps_the_last_release(
    ci_warehouse: Path, ci_synth: Path, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(ci_synth / "landing", landing)
    data = tmp_path / "data"
    shutil.copytree(ci_warehouse, data, ignore=shutil.ignore_patterns("dagster_home", ".done"))
    release = data / "publications" / LAST
    before = _digests(release)
    releases_before = _releases(data)
    delivery = landing / "pnc" / LAST / f"pnc_disposal_{LAST.replace('-', '')}.psv"
    lines = delivery.read_bytes().splitlines(keepends=True)
    delivery.write_bytes(b"".join(lines[: 1 + (len(lines) - 1) // 2]))

    outcome = run_pipeline(
        Settings.for_folder(data, landing_dir=landing), instance=dg.DagsterInstance.ephemeral()
    )

    assert not outcome.success
    assert "raw/pnc_disposal:gx_raw" in outcome.failed_checks
    assert _releases(data) == releases_before
    assert _digests(release) == before
