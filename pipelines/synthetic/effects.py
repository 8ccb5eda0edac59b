"""Per-prison true treatment effects on re-offending after release (off by default).

The scorecard's truth check (docs/scorecard.md, ``python -m scripts.scorecard_truth``) gives a
share of prisons a known effect and asks whether the funnel plots find them. Effects are drawn
from their own random stream, so turning them on changes nothing else the simulator draws, and
with no effects (the default) its output is byte-for-byte what it was.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import polars as pl

#: Second word of the effects' own seed sequence (kept apart from the simulator's stream).
STREAM = 14


@dataclass(frozen=True)
class PrisonEffects:
    """``share`` of prisons (chosen at random) multiply the re-offending rate of the people
    they release by ``rate_multiplier`` until those people's next sanction. The rate is the
    Weibull scale of the offending hazard, so the cumulative hazard is multiplied by
    ``rate_multiplier ** shape`` (shape: the simulator's post-release shape)."""

    share: float = 0.0
    rate_multiplier: float = 1.0
    seed: int = 0

    @property
    def active(self) -> bool:
        return self.share > 0 and self.rate_multiplier != 1.0


def draw_prison_effects(n_prisons: int, effects: PrisonEffects | None) -> np.ndarray | None:
    """Rate multiplier per prison (1 for prisons with no effect), or None when inactive."""
    if effects is None or not effects.active:
        return None
    rng = np.random.default_rng([effects.seed, STREAM])
    chosen = rng.choice(n_prisons, round(effects.share * n_prisons), replace=False)
    mult = np.ones(n_prisons)
    mult[chosen] = effects.rate_multiplier
    return mult


def with_prison_effects(world, n_prisons: int, effects: PrisonEffects | None):
    """The simulator's world with the prison effects set (unchanged when inactive)."""
    mult = draw_prison_effects(n_prisons, effects)
    return world if mult is None else dataclasses.replace(world, prison_effect=mult)


def release_multiplier(world, prisons: np.ndarray) -> np.ndarray | None:
    """The rate multiplier of people released from ``prisons`` (None when no effects)."""
    effect = getattr(world, "prison_effect", None)
    return None if effect is None else effect[prisons]


def effects_table(prison_codes, mult: np.ndarray) -> pl.DataFrame:
    """Truth table ``prison_effects``: each prison's rate multiplier and whether it has one."""
    return pl.DataFrame(
        {
            "prison_code": list(prison_codes),
            "rate_multiplier": mult.astype(float),
            "has_effect": mult != 1.0,
        }
    )
