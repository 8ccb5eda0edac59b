"""Measuring one command: process-tree memory sampling, the Dagster event log, the read floor."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 0.5
MB = 2**20


class TreeSampler:
    """Samples the summed RSS of a process and all its descendants every ``interval`` seconds,
    as (epoch seconds, MB) pairs (dbt and any worker run as child processes)."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        self.samples: list[tuple[float, float]] = []
        self._root = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        with contextlib.suppress(psutil.Error):
            procs = [self._root, *self._root.children(recursive=True)]
            total = 0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.samples.append((time.time(), total / MB))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self._interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return max((v for _, v in self.samples), default=0.0)


@dataclass
class Measured:
    """One command's exit code, wall time (epoch start and end) and memory samples."""

    returncode: int
    started: float
    ended: float
    samples: list[tuple[float, float]] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def wall_s(self) -> float:
        return self.ended - self.started

    @property
    def peak_mb(self) -> float:
        return max((v for _, v in self.samples), default=0.0)


def run_measured(cmd: list[str], env: dict[str, str], log_path: Path) -> Measured:
    """Run ``cmd`` with its output in ``log_path``, sampling its process tree's memory."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    with log_path.open("wb") as out:
        started = time.time()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        with TreeSampler(proc.pid) as sampler:
            returncode = proc.wait()
        ended = time.time()
    return Measured(returncode, started, ended, sampler.samples, load)


def tail(path: Path, lines: int = 60) -> str:
    """The last lines of a log file."""
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def step_intervals(
    dagster_home: Path, since: float = 0.0
) -> tuple[str, dict[str, tuple[float, float]]]:
    """The runs started at or after ``since`` (epoch seconds) in a local Dagster instance (an
    ``outcomes run`` makes two: ingest, then the rest): the worst status and, per step key, the
    epoch times of STEP_START and of its STEP_SUCCESS / STEP_FAILURE."""
    import dagster as dg

    ends = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    instance = dg.DagsterInstance.local_temp(str(dagster_home.resolve()))
    try:
        runs = [
            r.dagster_run
            for r in instance.get_run_records(limit=20)
            if r.create_timestamp.timestamp() >= since - 1
        ]
        if not runs:
            raise RuntimeError(f"no Dagster run under {dagster_home}")
        statuses = {run.status.value for run in runs}
        status = "SUCCESS" if statuses == {"SUCCESS"} else ",".join(sorted(statuses))
        starts: dict[str, float] = {}
        steps: dict[str, tuple[float, float]] = {}
        for run in runs:
            records = instance.get_records_for_run(
                run.run_id, of_type={dg.DagsterEventType.STEP_START, *ends}, limit=100_000
            ).records
            for record in records:
                entry = record.event_log_entry
                if entry.dagster_event_type == dg.DagsterEventType.STEP_START:
                    starts[entry.step_key] = entry.timestamp
                elif entry.step_key in starts:
                    steps[entry.step_key] = (starts[entry.step_key], entry.timestamp)
        return status, steps
    finally:
        instance.dispose()


def rows_read(warehouse: Path, months: list[str]) -> int:
    """Rows read from the loaded files of ``months`` (``ops.manifest``), read-only."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "SELECT coalesce(sum(rows_read), 0) FROM ops.manifest "
            "WHERE status = 'loaded' AND delivery_month IN (SELECT unnest(?))",
            [months],
        ).fetchall()
    return int(found[0][0])


def _duckdb_count(con, path: Path, contract) -> int:
    if contract.fmt == "jsonl":
        sql = "SELECT count(*) FROM read_json(?, format = 'newline_delimited')"
        return con.execute(sql, [str(path)]).fetchall()[0][0]
    if contract.encoding.replace("_", "-") not in ("utf-8", "utf8"):
        # DuckDB reads cp1252 only with the `encodings` extension (a download), and refuses
        # its bytes 0x80-0x9f as latin-1: polars reads the single-byte files, lossily
        import polars as pl

        return pl.read_csv(
            path, separator=contract.delimiter, infer_schema=False, encoding="utf8-lossy"
        ).height
    sql = (
        "SELECT count(*) FROM read_csv(?, delim = ?, header = true, all_varchar = true, "
        "strict_mode = false)"
    )
    return con.execute(sql, [str(path), contract.delimiter]).fetchall()[0][0]


def read_floor(landing: Path, months: list[str]) -> dict[str, dict]:
    """Seconds and rows to read every delivered file once, per delivery month: DuckDB
    ``read_csv``/``read_json`` with ``count(*)``, polars ``read_excel`` (calamine) for XLSX."""
    import duckdb
    import polars as pl

    from pipelines.contracts.deliveries import CONTRACTS
    from pipelines.ingest.landing import delivered_files

    floor: dict[str, dict] = {}
    with duckdb.connect() as con:
        for month in months:
            figures = {"seconds": 0.0, "rows": 0, "files": 0, "bytes": 0}
            for contract in CONTRACTS.values():
                for path in delivered_files(landing, contract, month):
                    started = time.perf_counter()
                    if contract.fmt == "xlsx":
                        frame = pl.read_excel(path, sheet_name=contract.sheet, engine="calamine")
                        rows = frame.height
                    else:
                        rows = _duckdb_count(con, path, contract)
                    figures["seconds"] += time.perf_counter() - started
                    figures["rows"] += int(rows)
                    figures["files"] += 1
                    figures["bytes"] += path.stat().st_size
            floor[month] = figures
    return floor


def sum_floor(floor: dict[str, dict], months: list[str]) -> dict:
    """The floor figures of several months added up."""
    keys = ("seconds", "rows", "files", "bytes")
    return {k: sum(floor[m][k] for m in months if m in floor) for k in keys}
