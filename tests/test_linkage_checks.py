"""Linkage quality checks fail or warn on hand-made identity records that cross their limits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pipelines.linkage.link import link
from pipelines.linkage.link_checks import evaluate, record_stats
from tests.test_linkage_keys import KEY, load, pnc_id, row


def by_name(outcomes) -> dict:
    return {o.name: o for o in outcomes}


def test_a_person_with_many_pnc_ids_fails_the_oversized_check(tmp_path: Path) -> None:
    dob = dt.date(1970, 6, 1)
    rows = [
        row("dir_triage", f"DIR{i}", "2023-01", forename="ANN", surname="LEE", dob=dob,
            sex="F", prison_number="A9999ZZ", pnc_id=pnc_id(2000 + i, 1000 + i))
        for i in range(12)
    ]  # fmt: skip
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load(con, rows)
        summary = link(con, KEY, "2023-01")
        record_stats(con, summary)
        checks = by_name(evaluate(con, "2023-01"))
    assert summary.clusters == 1
    oversized = checks["oversized_clusters"]
    assert not oversized.passed and oversized.severity == "ERROR"
    assert oversized.metadata["max_cluster_pnc_ids"] == 12
    assert checks["person_keys_stable"].passed


def test_a_fall_in_match_rate_against_the_previous_run_warns(tmp_path: Path) -> None:
    dob = dt.date(1980, 2, 2)
    first = [
        row("pnc", pnc_id(2001, 5), "2023-01", forename="TOM", surname="ROSE", dob=dob, sex="M",
            pnc_id=pnc_id(2001, 5)),
        row("oasys", "OAS1", "2023-01", forename="TOM", surname="ROSE", dob=dob, sex="M",
            pnc_id=pnc_id(2001, 5)),
    ]  # fmt: skip
    # month two: four OASys assessments of strangers, linked to nothing
    second = [
        row("oasys", f"OAS{i + 2}", "2023-02", forename=name, surname="QUINN",
            dob=dt.date(1950 + 7 * i, 1 + i, 3 + i), sex="M")
        for i, name in enumerate(["ALAN", "BRIAN", "CARL", "DAVE"])
    ]  # fmt: skip
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load(con, first)
        record_stats(con, link(con, KEY, "2023-01"))
        assert by_name(evaluate(con, "2023-01"))["match_rate_vs_previous"].passed
        load(con, second)
        record_stats(con, link(con, KEY, "2023-02"))
        checks = by_name(evaluate(con, "2023-02"))
    rate = checks["match_rate_vs_previous"]
    assert not rate.passed and rate.severity == "ERROR"
    assert rate.metadata["drop_vs_previous"]["oasys"] == 0.8
    assert not checks["share_unlinked"].passed
