"""Shared fixtures: synthetic datasets built once per test session (also across xdist workers).

Fixtures that return a shared folder are read-only for tests: copy before damaging anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

CI_SEED = 7
DEMO_SEED = 42


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder shared by every xdist worker of this session."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def build_once(root: Path, name: str, builder: Callable[[Path], None]) -> Path:
    """Run ``builder(folder)`` once per session across workers; later callers reuse it."""
    folder = root / name
    with FileLock(str(root / f"{name}.lock")):
        if not (folder / ".done").exists():
            folder.mkdir(parents=True, exist_ok=True)
            builder(folder)
            (folder / ".done").touch()
    return folder


@pytest.fixture(scope="session")
def ci_synth(shared_root: Path) -> Path:
    """The ``ci`` preset (seed 7): ``<dir>/landing``, ``<dir>/truth``, calibration files."""
    from pipelines.synthetic import generate

    return build_once(shared_root, "ci_synth", lambda out: generate(out, preset="ci", seed=CI_SEED))


@pytest.fixture(scope="session")
def demo_synth(shared_root: Path) -> Path:
    """The ``demo`` preset (seed 42)."""
    from pipelines.synthetic import generate

    return build_once(
        shared_root, "demo_synth", lambda out: generate(out, preset="demo", seed=DEMO_SEED)
    )
