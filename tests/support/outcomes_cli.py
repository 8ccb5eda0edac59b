"""Run the real ``outcomes`` command line as a subprocess (this checkout, the suite's settings)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def outcomes_env(data: Path, landing: Path, **extra: str) -> dict[str, str]:
    """The environment of a run with every path under ``data`` and deliveries from ``landing``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTCOMES_")}
    return env | {
        "PYTHONPATH": str(REPO),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "COLUMNS": "250",
        "OUTCOMES_DATA_DIR": str(data),
        "OUTCOMES_LANDING_DIR": str(landing),
        "OUTCOMES_PSEUDO_KEY": os.environ["OUTCOMES_PSEUDO_KEY"],
        **extra,
    }


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def outcomes(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``outcomes <args>`` to completion; stdout and stderr together in ``.stdout``."""
    return subprocess.run(
        command(*args),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


class Running:
    """An ``outcomes --verbose run`` in the background, its whole output (Dagster's events
    too, which the run otherwise keeps in its log file) collected in ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                command("--verbose", "run"), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll ``condition`` every 20 ms; fail if the run ends or time runs out first."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(f"run ended ({self.process.returncode}) before {what}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"no {what} within {timeout:.0f}s:\n{self.output()[-3000:]}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the run (no clean-up handler can run) and reap it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)

    def finish(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)
