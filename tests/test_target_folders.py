"""Old per-run dbt target folders are removed; recent, newest and other steps' folders stay."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.transform.target_folders import prune_run_targets

HOUR = 3600.0
NOW = 1_800_000_000.0


def _folder(root: Path, name: str, age_hours: float) -> Path:
    folder = root / name
    (folder / "compiled").mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    os.utime(folder, (NOW - age_hours * HOUR, NOW - age_hours * HOUR))
    return folder


def test_prunes_old_folders_of_the_same_step_only(tmp_path: Path) -> None:
    current = _folder(tmp_path, "outcome_model-aaaaaaa-0000000", 0)
    old = [_folder(tmp_path, f"outcome_model-old{i:04d}-1111111", 24 + i) for i in range(8)]
    recent = _folder(tmp_path, "outcome_model-recent0-2222222", 1)
    other = _folder(tmp_path, "docs-step-old0000", 100)
    loose = tmp_path / "manifest.json"
    loose.write_text("{}")

    removed = prune_run_targets(current, keep=3, min_age_s=6 * HOUR, now=NOW)

    # newest three others kept: the recent one and the two youngest old ones
    assert sorted(removed) == sorted(old[2:])
    assert all(not p.exists() for p in old[2:])
    assert all(p.exists() for p in (current, recent, old[0], old[1], other, loose))


def test_keeps_every_folder_changed_within_the_minimum_age(tmp_path: Path) -> None:
    current = _folder(tmp_path, "outcome_model-aaaaaaa-0000000", 0)
    busy = [_folder(tmp_path, f"outcome_model-busy{i:03d}-1111111", 0.5) for i in range(6)]
    assert prune_run_targets(current, keep=1, min_age_s=6 * HOUR, now=NOW) == []
    assert all(p.exists() for p in busy)
