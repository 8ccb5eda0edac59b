"""``outcomes run`` checks its inputs before it starts and says why it stops, in a few lines.

Real ``outcomes`` subprocesses on real files: a month without a delivery, an output folder it
cannot write and an unusable key are refused (exit 2) in one paragraph before anything is
written; a run whose blocking check fails ends with a summary naming the check and the file,
with Dagster's output in the log file, not the terminal.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from pipelines.contracts.landing_marker import SYNTHETIC_MARKER
from tests.support.outcomes_cli import outcomes, outcomes_env

MONTH = "2024-12"
#: Terminal width the line counts assume.
WIDTH = 100


def terminal_lines(text: str) -> int:
    """Lines ``text`` takes on a terminal ``WIDTH`` columns wide."""
    return sum(max(1, math.ceil(len(line) / WIDTH)) for line in text.rstrip("\n").split("\n"))


def assert_refused(result: subprocess.CompletedProcess, *phrases: str) -> str:
    """Exit 2, one short paragraph, no traceback; returns the text with whitespace collapsed."""
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stdout
    assert result.stdout.startswith("Refused: ")
    assert terminal_lines(result.stdout) < 15, result.stdout
    text = " ".join(result.stdout.split())
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    return text


def one_month(ci_synth: Path, out: Path) -> Path:
    """A marked landing folder holding ``MONTH`` of every source."""
    landing = out / "landing"
    for source in (ci_synth / "landing").iterdir():
        if source.is_dir():
            shutil.copytree(source / MONTH, landing / source.name / MONTH)
    shutil.copy(ci_synth / "landing" / SYNTHETIC_MARKER, landing / SYNTHETIC_MARKER)
    return landing


@contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` made unwritable: permission bits for a normal user, the immutable attribute
    for root (who ignores permission bits)."""
    folder.mkdir(parents=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a folder unwritable for root here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_month_without_delivery_is_refused(ci_synth: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"

    result = outcomes(outcomes_env(data, ci_synth / "landing"), "run", "--month", "2099-01")

    assert_refused(
        result,
        "No delivery for 2099-01",
        str((ci_synth / "landing").absolute()),
        "Delivered months: 2023-01 to 2024-12 (24 months)",
        "OUTCOMES_LANDING_DIR",
    )
    assert not data.exists()


def test_malformed_month_is_refused(ci_synth: Path, tmp_path: Path) -> None:
    result = outcomes(
        outcomes_env(tmp_path / "data", ci_synth / "landing"), "run", "--month", "24-12"
    )

    assert_refused(result, "Not a month: 24-12", "YYYY-MM")


@pytest.mark.parametrize("setting", ["publications", "dagster_home"])
def test_unwritable_output_folder_is_refused_before_anything_runs(
    setting: str, ci_synth: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    folder = data / setting
    env = outcomes_env(data, ci_synth / "landing")
    with unwritable(folder):
        result = outcomes(env, "run")
    name = {"publications": "OUTCOMES_PUBLICATIONS_DIR", "dagster_home": "OUTCOMES_DAGSTER_HOME"}
    assert_refused(result, "Cannot write the run's output", str(folder), name[setting])
    assert sorted(p.name for p in data.iterdir()) == [setting]  # no warehouse, lock or log
    assert list(folder.iterdir()) == []


def test_output_folder_under_a_file_is_refused(ci_synth: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "site").write_text("not a folder")
    env = outcomes_env(data, ci_synth / "landing", OUTCOMES_PUBLICATIONS_DIR=str(data / "site/x"))

    result = outcomes(env, "run")

    assert_refused(result, f"{data / 'site'} is not a folder", "OUTCOMES_PUBLICATIONS_DIR")


@pytest.mark.parametrize("key", ["", "   ", "short-key"])
def test_unusable_key_is_refused(key: str, ci_synth: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"

    result = outcomes(outcomes_env(data, ci_synth / "landing", OUTCOMES_PSEUDO_KEY=key), "run")

    assert_refused(result, "Unusable pseudonymisation key", "OUTCOMES_PSEUDO_KEY", "at least 16")
    assert not data.exists()


@pytest.fixture(scope="module")
def failed_run(ci_synth: Path, tmp_path_factory: pytest.TempPathFactory):
    """``outcomes run`` on one month whose PNC person file has no date of birth in any row:
    every row is quarantined, and the blocking ``quarantine_rate`` check fails."""
    root = tmp_path_factory.mktemp("failed_run")
    landing = one_month(ci_synth, root)
    person = landing / "pnc" / MONTH / f"pnc_person_{MONTH.replace('-', '')}.psv"
    lines = person.read_bytes().split(b"\n")
    header = lines[0].split(b"|")
    dob = header.index(b"DOB")
    blanked = [lines[0]]
    for line in lines[1:]:
        fields = line.split(b"|")
        if len(fields) > dob:
            fields[dob] = b""
        blanked.append(b"|".join(fields))
    person.write_bytes(b"\n".join(blanked))
    data = root / "data"
    result = outcomes(outcomes_env(data, landing), "run", timeout=600)
    return result, data


def test_failed_check_ends_with_a_short_summary_naming_the_cause(failed_run) -> None:
    result, data = failed_run

    assert result.returncode == 1, result.stdout
    out = result.stdout
    assert terminal_lines(out) < 15, out
    assert "Traceback" not in out and "STEP_FAILURE" not in out and "dagster -" not in out
    assert "Run failed: nothing new was published." in out
    (cause,) = [line for line in out.splitlines() if line.strip().startswith("check ")]
    assert "raw/pnc_person:quarantine_rate failed" in cause
    assert f"pnc/{MONTH}/pnc_person_{MONTH.replace('-', '')}.psv" in cause
    assert "worst_rate 1.0" in cause
    (log,) = (data / "logs").glob("run-*.log")
    assert f"Full log: {log}" in out
    text = log.read_text()
    assert "STEP_FAILURE" in text and "DagsterAssetCheckFailedError" in text


def test_failed_run_and_its_check_are_in_the_shared_instance(failed_run) -> None:
    """What a UI on the same instance shows: the failed run and the failed check result."""
    _, data = failed_run
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        (run,) = instance.get_runs()
        history = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey(["raw", "pnc_person"]), "quarantine_rate"), limit=5
        )
    assert run.job_name == "monthly_outcomes_ingest"
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert {r.run_id for r in history} == {run.run_id}
    assert "FAILED" in [r.status.value for r in history]
