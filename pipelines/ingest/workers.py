"""Load a table's months with the next months' files prepared while the current one is written.

Reading, validating and keyed hashing need no warehouse, so they run ahead of the run's process
writing the current month (the only DuckDB writer): by default in two threads of the run's
process (polars, DuckDB and file reads release the GIL; no frame is copied between processes),
or in worker processes when ``OUTCOMES_INGEST_WORKERS`` asks for them. Months are planned,
written and committed in order, exactly as one thread would: a rejected file stops the table at
its month, later months stay untouched.
Files are read for their SHA-256 by a thread running ahead of the loader, so reading a cold
landing folder overlaps the work on earlier months instead of stalling the writer.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import duckdb

from pipelines.contracts.deliveries import Contract
from pipelines.ingest.landing import delivered_files
from pipelines.ingest.load import (
    MonthOutcome,
    MonthPlan,
    plan_month,
    prepare_file,
    sha256_of,
    write_month,
)
from pipelines.ingest.protect import KeyedHasher

#: Deliveries of a table smaller than this (bytes, over the run's months) load in-process.
PARALLEL_MIN_BYTES = 8 * 2**20
#: Months prepared ahead of the one being written, per worker.
AHEAD_PER_WORKER = 2
#: Threads preparing months ahead of the writer in the run's process (polars, DuckDB and file
#: reads release the GIL): two took a national ingest from about 240 s to 189 s; three, no less.
PREPARE_THREADS = 2
#: Months those threads may prepare ahead of the one being written: while a table's first
#: month (its backlog, a third of its rows) is prepared, the next months are made ready too.
PREPARE_AHEAD = 6

_hasher: KeyedHasher | None = None


def _start_worker(key: str) -> None:
    global _hasher
    _hasher = KeyedHasher(key)


def _prepare(path: str, rel: str, c: Contract, month: str):
    return prepare_file(Path(path), rel, c, month, _hasher)


class Digests:
    """SHA-256 of a table's delivered files, computed in month order by one background thread
    (file reads and ``hashlib`` release the GIL); ``digest(path)`` waits for that file's."""

    def __init__(self, files: list[Path]) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-digest")
        self._futures = {path: self._pool.submit(sha256_of, path) for path in files}

    def __call__(self, path: Path) -> str:
        future = self._futures.get(path)
        return sha256_of(path) if future is None else future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def worker_count(requested: int, c: Contract, landing: Path, months: list[str]) -> int:
    """Workers for this table: ``requested`` when set (1 = none), else one per usable core
    when the table's deliveries over ``months`` exceed :data:`PARALLEL_MIN_BYTES`."""
    if requested:
        return requested
    size = sum(p.stat().st_size for m in months for p in delivered_files(landing, c, m))
    return len(os.sched_getaffinity(0)) if size >= PARALLEL_MIN_BYTES else 1


def load_months(
    con: duckdb.DuckDBPyConnection,
    c: Contract,
    landing: Path,
    months: list[str],
    key: str,
    workers: int = 1,
) -> Iterator[MonthOutcome]:
    """Load (or skip) ``months`` of ``c`` in order, yielding each month's outcome once it is
    committed; raises :class:`~pipelines.ingest.messages.FileFault` at a rejected file."""
    if workers <= 1:
        hasher = KeyedHasher(key)
        pool: Executor = ThreadPoolExecutor(PREPARE_THREADS, thread_name_prefix="ingest-prepare")
        ahead = PREPARE_AHEAD

        def submit(path: Path, rel: str, month: str) -> Future:
            return pool.submit(prepare_file, path, rel, c, month, hasher)
    else:
        context = multiprocessing.get_context("spawn")  # never fork a process holding DuckDB
        pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(key,)
        )
        ahead = workers * AHEAD_PER_WORKER

        def submit(path: Path, rel: str, month: str) -> Future:
            return pool.submit(_prepare, str(path), rel, c, month)

    with pool:
        digests = Digests([p for month in months for p in delivered_files(landing, c, month)])
        try:
            yield from _pipelined(con, c, landing, months, digests, ahead, submit)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # drop the months not yet started
            raise
        finally:
            digests.close()


def _pipelined(con, c: Contract, landing: Path, months: list[str], digests, ahead: int, submit):
    """Plan each month and ``submit`` its files up to ``ahead`` months before the one being
    written; write and yield the months in order."""
    pending: deque[tuple[MonthPlan | MonthOutcome, dict[str, Future]]] = deque()
    for month in months:
        plan = plan_month(con, c, landing, month, digests)
        futures = {}
        if isinstance(plan, MonthPlan):
            futures = {rel: submit(path, rel, month) for path, rel, _ in plan.files}
        pending.append((plan, futures))
        if len(pending) > ahead:
            yield _finish(con, c, *pending.popleft())
    while pending:
        yield _finish(con, c, *pending.popleft())


def _finish(con, c: Contract, plan: MonthPlan | MonthOutcome, futures: dict[str, Future]):
    if isinstance(plan, MonthOutcome):
        return plan
    return write_month(con, c, plan, lambda _path, rel: futures[rel].result())
