"""The runs' dbt ends with the run that started it (a SIGKILLed run leaves no dbt writing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.transform.assets import dbt_resource
from pipelines.transform.dbt_child import PARENT_ENV
from pipelines.transform.project import DBT_LAUNCHER

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")

#: A parent starting a child that binds itself to it (as the launcher does) and then waits.
PARENT = """
import os, subprocess, sys, time
env = dict(os.environ, {parent_env}=str(os.getpid()))
child = subprocess.Popen([sys.executable, "-c", {child!r}], env=env)
print(child.pid, flush=True)
time.sleep(60)
"""
CHILD = (
    "import time; from pipelines.transform.dbt_child import die_with_parent; "
    "die_with_parent(); print('bound', flush=True); time.sleep(60)"
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended (nobody reaped it yet)


def test_child_is_killed_when_its_parent_is_killed() -> None:
    code = PARENT.format(parent_env=PARENT_ENV, child=CHILD)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "bound"
    assert _alive(child)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_child_of_an_already_ended_parent_exits_at_once() -> None:
    env = dict(os.environ, **{PARENT_ENV: "1"})  # not our parent: it has "ended"
    done = subprocess.run([str(DBT_LAUNCHER), "--version"], env=env, timeout=60)
    assert done.returncode == 128 + signal.SIGKILL


def test_runs_start_dbt_through_the_launcher() -> None:
    assert dbt_resource().dbt_executable == str(DBT_LAUNCHER)
    done = subprocess.run([str(DBT_LAUNCHER), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "installed" in done.stdout
