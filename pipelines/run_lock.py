"""One pipeline run per warehouse at a time: an OS lock on ``<warehouse>.lock``.

The lock is ``flock`` on the open file, held for the whole run. The kernel releases it when the
process ends, however it ends (even SIGKILL), so a crash never leaves a stale lock; dbt, the
run's one child process that writes, is ended with it (:mod:`pipelines.transform.dbt_child`).
The file's text (pid, start time) only names the holder for the refusal message.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class RunLockedError(RuntimeError):
    """Another run holds the warehouse's lock."""


#: Lock files this process holds (a nested :func:`run_lock` on one of them is a no-op).
_HELD: set[Path] = set()


def lock_path(warehouse: Path | str) -> Path:
    """The lock file beside the warehouse file."""
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.name}.lock")


def _holder(fd: int) -> str:
    """Who holds the lock, from the file's text (best effort)."""
    try:
        text = os.pread(fd, 4096, 0).decode()
        found = json.loads(text)
        return f"pid {found['pid']} on {found['host']}, started {found['started_at']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


@contextmanager
def run_lock(warehouse: Path | str) -> Iterator[Path]:
    """Hold the warehouse's run lock for the block; raise :class:`RunLockedError` at once when
    another process holds it (re-entrant within one process)."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.resolve() in _HELD:
        yield path
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(
                f"Another run is using the warehouse {Path(warehouse).absolute()} "
                f"({_holder(fd)}; lock file {path.absolute()}). Nothing was changed: wait for "
                "it to finish and run again. The lock is released when that process ends, "
                "even if it is killed, so there is no stale lock to delete."
            ) from None
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        _HELD.add(path.resolve())
        try:
            yield path
        finally:
            _HELD.discard(path.resolve())
    finally:
        os.close(fd)
