"""Keep a run's full output (Dagster's event log lines, dbt, GX, warnings, tracebacks) in a log
file and the terminal for the few lines that matter.

:func:`capture` redirects the process's stdout and stderr file descriptors, so child processes
(dbt) and libraries writing to them land in the file too. With ``verbose`` the output also goes
to the terminal, as before.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from rich.console import Console

#: Format of the run's own log records in the file.
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path(logs_dir: Path | str, command: str) -> Path:
    """A new log file name: ``<logs_dir>/<command>-<YYYYmmdd-HHMMSS>-<pid>.log``."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(logs_dir).absolute() / f"{command}-{stamp}-{os.getpid()}.log"


@contextmanager
def capture(path: Path, verbose: bool = False) -> Iterator[Console]:
    """Send everything written to stdout/stderr (file descriptors 1 and 2) to ``path`` for the
    block (and to the terminal too when ``verbose``); yield a console that writes to the
    terminal. Python logging goes to the file with timestamps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    terminal_fd = os.dup(1)
    saved = (os.dup(1), os.dup(2))
    log = open(path, "ab", buffering=0)  # noqa: SIM115 (closed below, after the tee's thread)
    tee = _Tee(log.fileno(), terminal_fd) if verbose else None
    target = tee.write_fd if tee else log.fileno()
    os.dup2(target, 1)
    os.dup2(target, 2)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    root.handlers = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    terminal = open(terminal_fd, "w", closefd=False)  # noqa: SIM115 (closed below)
    try:
        yield Console(file=terminal, soft_wrap=True)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        root.handlers, root.level = handlers, level
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        if tee:
            tee.close()
        terminal.close()
        os.close(terminal_fd)
        log.close()


class _Tee:
    """A pipe whose reader copies everything to the log file and the terminal."""

    def __init__(self, log_fd: int, terminal_fd: int) -> None:
        self._read_fd, self.write_fd = os.pipe()
        self._targets = (log_fd, terminal_fd)
        self._thread = threading.Thread(target=self._copy, daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        while chunk := os.read(self._read_fd, 65536):
            for fd in self._targets:
                os.write(fd, chunk)

    def close(self) -> None:
        """Close the writing end (after fds 1 and 2 are restored) and drain the pipe."""
        os.close(self.write_fd)
        self._thread.join(timeout=10)
        os.close(self._read_fd)
