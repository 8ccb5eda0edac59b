"""The simulator's per-prison treatment effects (pipelines/synthetic/effects.py) and the
scorecard's truth check (scripts/scorecard_truth.py, docs/scorecard.md)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.synthetic import generate
from pipelines.synthetic.effects import PrisonEffects, draw_prison_effects
from scripts import scorecard_truth
from tests.conftest import CI_SEED
from tests.test_publish_support import tree_bytes


def test_no_effects_leave_the_simulation_byte_identical(ci_synth: Path, tmp_path: Path) -> None:
    """Inactive effects (the default, or a multiplier of 1) change nothing the simulator writes."""
    out = tmp_path / "neutral"
    generate(out, preset="ci", seed=CI_SEED, prison_effects=PrisonEffects(0.2, 1.0, CI_SEED))
    for part in ("landing", "truth"):
        assert tree_bytes(out / part) == tree_bytes(ci_synth / part), part
    assert not (out / "truth" / "prison_effects.parquet").exists()


def test_effects_pick_the_share_of_prisons_from_their_own_stream() -> None:
    mult = draw_prison_effects(120, PrisonEffects(0.1, 0.6, 3))
    assert (mult == 0.6).sum() == 12 and (mult == 1.0).sum() == 108
    assert (draw_prison_effects(120, PrisonEffects(0.1, 0.6, 3)) == mult).all()
    assert draw_prison_effects(120, None) is None


@pytest.mark.slow
def test_truth_check_finds_effect_prisons_and_few_false_alarms(tmp_path: Path) -> None:
    """A quarter of the national population (about 16,000 index releases), 10% of prisons at
    rate multiplier 0.4: with OGRS3-expected re-offending (as sub-outcome 4 in the release) most
    effect prisons fall below the 95% lower limit of observed/expected, and the other prisons
    mostly sit inside the limits. The national figures come from ``python -m
    scripts.scorecard_truth`` (docs/scorecard.md)."""
    result = scorecard_truth.main(
        ["--preset", "national", "--people", "250000", "--share", "0.1", "--multiplier", "0.4",
         "--workers", "2", "--out", str(tmp_path / "truth")]
    )  # fmt: skip
    effects = pl.read_parquet(tmp_path / "truth" / "truth" / "prison_effects.parquet")
    assert effects["has_effect"].sum() == result["ogrs3"]["effect_prisons"] > 0
    check = result["ogrs3"]
    assert check["limit_95"]["detection_rate"] >= 0.75, check
    assert check["limit_95"]["false_alarm_rate"] <= 0.2, check
    assert check["limit_99_8"]["false_alarm_rate"] <= 0.1, check
    widened = result["ogrs3_overdispersed"]  # the release's assessment
    assert widened["limit_95"]["detection_rate"] >= 0.75, widened
    assert widened["limit_95"]["false_alarm_rate"] <= 0.1, widened
