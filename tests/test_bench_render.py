"""The end-to-end benchmark's bookkeeping: step keys to stages, stage windows, the docs table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.bench_render import (
    BENCH,
    NOT_MEASURED,
    SCALING,
    _synth_line,
    render_doc,
    render_main,
    render_scaling,
    scaling_entries,
)
from scripts.bench_stages import OTHER, UNMAPPED, median_run, stage_figures, stage_of

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

#: Step keys of a real `outcomes run` (ci preset), as the Dagster event log names them.
REAL_STEPS = {
    "raw__pnc_person": "ingest",
    "raw__dir_triage": "ingest",
    "raw__rmdt_test": "ingest",
    "raw__pnc_person_gx_raw": "raw checks",
    "raw__rmdt_test_gx_raw": "raw checks",
    "linkage__spine": "linkage",
    "linkage__spine_gx_spine": "linkage",
    "outcome_model": "dbt",
    "fct_indicators_gx_indicator_coverage": "gate",
    "fct_indicators_gx_indicators": "gate",
    "publication__release": "publication",
    "publication__analyst_snapshot": "snapshot",
    "something_new": UNMAPPED,
}


@pytest.mark.parametrize(("step", "stage"), REAL_STEPS.items())
def test_step_keys_map_to_stages(step: str, stage: str) -> None:
    assert stage_of(step) == stage


def test_stage_windows_union_overlaps_and_leave_the_rest_to_startup() -> None:
    # command 0..20 s; two ingest steps overlapping (2..6, 4..8), dbt 10..15
    steps = {
        "raw__pnc_person": (2.0, 6.0),
        "raw__dir_triage": (4.0, 8.0),
        "outcome_model": (10, 15),
    }
    samples = [(t * 0.5, 100.0 + (900.0 if 22 <= t <= 28 else 0.0)) for t in range(41)]
    stages = stage_figures(steps, samples, 0.0, 20.0)
    assert stages["ingest"]["seconds"] == pytest.approx(6.0)
    assert stages["ingest"]["window"] == [2.0, 8.0]
    assert stages["dbt"]["peak_mb"] == pytest.approx(1000.0)
    assert stages["ingest"]["peak_mb"] == pytest.approx(100.0)
    assert stages[OTHER]["seconds"] == pytest.approx(20.0 - 6.0 - 5.0)


def _run(wall: float, peak: float) -> dict:
    return {
        "wall_s": wall,
        "peak_mb": peak,
        "rows_read": 1000,
        "stages": {"ingest": {"seconds": wall / 2, "peak_mb": peak}, OTHER: {"seconds": 1.0}},
    }


def test_rendered_table_and_goals() -> None:
    full = median_run([_run(500.0, 4000.0), _run(700.0, 5000.0), _run(550.0, 7000.0)])
    new = median_run([_run(40.0, 1000.0)])
    entry = {
        "label": "national",
        "preset": "national",
        "people": 1_000_000,
        "seed": 1,
        "months": ["2020-01", "2020-02"],
        "commit": "abc1234",
        "date": "2026-12-02 06:00 UTC",
        "machine": {"cpus": 2, "ram_gb": 24.0, "load_before": 0.5},
        "synth": {"seconds": 60.0, "peak_mb": 2000.0},
        "floor": {
            "full": {"seconds": 11.0, "rows": 1000, "files": 10},
            "new_month": {"seconds": 1.0, "rows": 50, "files": 10},
        },
        "median": {"full": full, "new_month": new},
    }
    text = render_main(entry)
    assert "| ingest | 275 s | 5.24 GB | 4 | 25.0× | 20.0 s | 1.05 GB |" in text
    assert "| full build ≤ 10 min | 550 s (median) | **pass** |" in text
    # the memory goal is judged on the highest repeat (7000 MiB = 7.34 GB)
    assert "| full build peak ≤ 6 GB | 7.34 GB (highest repeat) | **FAIL** |" in text
    assert "| new month ≤ 10% of full | 40.0 s = 7.3% | **pass** |" in text


def test_render_doc_fills_the_markers_of_the_committed_page(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    results_file = DOC.parents[1] / "bench" / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    render_doc(doc, DOC, results, "national", "national")
    text = doc.read_text()
    assert text == DOC.read_text()  # the committed page is what the committed results render
    for start, end in (BENCH, SCALING):
        assert text.index(start) < text.index(end)
    assert ("Scenario `national`" in text) if results else (NOT_MEASURED in text)


def test_reused_synthesis_is_said_not_timed_as_zero() -> None:
    assert "reused" in _synth_line({"seconds": 0.0, "peak_mb": 0.0})
    timed = _synth_line({"seconds": 171.0, "peak_mb": 1700.0})
    assert "171" in timed and "reused" not in timed


def _scenario(label: str, people: int, commit: str, date: str, multiple: float | None) -> dict:
    return {
        "label": label,
        "preset": "national",
        "people": people,
        "commit": commit,
        "date": date,
        "floor": {"all": {"rows": people * 26}},
        "median": {"full": median_run([_run(people / 1000, 3000.0)])},
        "scaling_of": None if multiple is None else "national",
        "multiple": multiple,
    }


def test_scaling_takes_the_latest_measurement_of_each_population() -> None:
    results = {
        "national": _scenario("national", 1_000_000, "new1x", "2026-12-04 15:25 UTC", None),
        "national-x1": _scenario("national-x1", 1_000_000, "old1x", "2026-12-01 10:00 UTC", 1.0),
        "national-x0.5": _scenario("national-x0.5", 500_000, "half", "2026-12-01 09:00 UTC", 0.5),
        "other-x2": _scenario("other-x2", 2_000, "x", "2026-12-05 00:00 UTC", 2.0),
    }
    results["other-x2"]["scaling_of"] = "other"
    entries = scaling_entries(results, "national")
    assert [(e["people"], e["commit"]) for e in entries] == [
        (500_000, "half"),
        (1_000_000, "new1x"),
    ]
    assert entries[1]["multiple"] == 1.0
    # a 1x scaling run after `make bench` replaces it
    results["national-x1"]["date"] = "2026-12-05 08:00 UTC"
    assert [e["commit"] for e in scaling_entries(results, "national")] == ["half", "old1x"]
    table = render_scaling(scaling_entries(results, "national"), "chart.svg")
    assert "× 0.5, 1)" in table and "| `old1x` (1) |" in table
