"""``outcomes-dbt``: dbt's command line, ended by the kernel when the run that started it ends.

dagster-dbt runs dbt as a child process. A run killed outright (SIGKILL, the OOM killer) cannot
stop it, and the orphaned dbt would keep writing the warehouse after the run lock
(:mod:`pipelines.run_lock`) was released, so the next run would meet a locked DuckDB file. On
Linux this launcher asks the kernel (``prctl(PR_SET_PDEATHSIG)``) to SIGKILL it when its parent
ends, then runs dbt in the same process; elsewhere it just runs dbt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

#: Set by the run to its own pid: the launcher's parent must still be that process.
PARENT_ENV = "OUTCOMES_DBT_PARENT"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent ends; exit at once if the parent
    named in :data:`PARENT_ENV` already ended (before the request could be made)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is None or prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        return
    parent = os.environ.get(PARENT_ENV)
    if parent and os.getppid() != int(parent):
        os._exit(128 + signal.SIGKILL)


def main() -> None:
    die_with_parent()
    from dbt.cli.main import cli

    sys.exit(cli())
