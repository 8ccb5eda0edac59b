"""Prune the per-run dbt target folders that dagster-dbt leaves under ``dbt_project/target``.

Every ``dbt build`` of a run writes its own ``target/<step>-<run id>-<random>`` folder (compiled
SQL, ``run_results.json``, a copy of the manifest: about 11 MB), and nothing removes them: a
developer's checkout had 56 of them (610 MB). After each build the older ones are removed,
keeping the newest few for reading a recent run's compiled SQL or timings, and never one changed
in the last hours (another run on the same checkout, such as a parallel test, may be using it).

dagster-dbt starts each invocation from ``target/partial_parse.msgpack`` (copied into the run's
folder), which only ``dbt parse`` of the project writes: a successful build's own parse is
copied back there, so the next run re-parses only what changed since (about 2.5 s less).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from contextlib import suppress
from pathlib import Path

log = logging.getLogger(__name__)

#: dbt's saved parse in a target folder.
PARTIAL_PARSE = "partial_parse.msgpack"

#: Newest per-run folders kept.
KEEP = 5
#: A folder changed more recently than this is kept whatever its rank.
MIN_AGE_S = 6 * 3600


def prune_run_targets(
    current: Path, keep: int = KEEP, min_age_s: float = MIN_AGE_S, now: float | None = None
) -> list[Path]:
    """Remove the run folders beside ``current`` sharing its step prefix (``<step>-``) except
    ``current``, the ``keep`` newest and those changed within ``min_age_s``; return the removed."""
    step = current.name.split("-", 1)[0]
    now = time.time() if now is None else now
    siblings = [p for p in current.parent.glob(f"{step}-*") if p.is_dir() and p != current]
    siblings.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for folder in siblings[keep:]:
        if now - folder.stat().st_mtime < min_age_s:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    if removed:
        log.info("removed %d old dbt target folder(s) under %s", len(removed), current.parent)
    return removed


def keep_partial_parse(run_target: Path, project_target: Path) -> bool:
    """Make ``run_target``'s saved parse the project's (``project_target``), replacing it
    atomically (a run starting meanwhile copies the old or the new file, each a valid parse for
    dbt to check and use); False when the run saved none or it could not be copied (logged: the
    next invocation then parses more, nothing else)."""
    saved = run_target / PARTIAL_PARSE
    if not saved.is_file():
        return False
    staged = project_target / f".{PARTIAL_PARSE}.{os.getpid()}"
    try:
        project_target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, staged)
        os.replace(staged, project_target / PARTIAL_PARSE)
    except OSError as exc:
        log.warning("dbt's parse not kept for the next invocation (%s)", exc)
        with suppress(OSError):
            staged.unlink(missing_ok=True)
        return False
    return True
