"""Simulation presets: population size and the window of monthly deliveries (all end 2024-12)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

END_MONTH = "2024-12"


@dataclass(frozen=True)
class Preset:
    """A named population size and delivery window."""

    name: str
    people: int
    months: int
    end_month: str = END_MONTH

    @property
    def start_month(self) -> str:
        end = np.datetime64(self.end_month, "M")
        return str(end - (self.months - 1))

    @property
    def window(self) -> tuple[int, int]:
        """First and last day of the delivery window, as days since 1970-01-01."""
        start = np.datetime64(self.start_month, "M").astype("datetime64[D]")
        end = (np.datetime64(self.end_month, "M") + 1).astype("datetime64[D]") - 1
        return int(start.astype(int)), int(end.astype(int))

    def month_list(self) -> list[str]:
        start = np.datetime64(self.start_month, "M")
        return [str(start + i) for i in range(self.months)]


#: ``national`` is the full-scale population (about 70k releases a year); smaller presets are
#: samples of it, and calibration scales national magnitudes by ``people / NATIONAL_PEOPLE``.
NATIONAL_PEOPLE = 1_000_000

PRESETS: dict[str, Preset] = {
    "ci": Preset("ci", 8_000, 24),
    "demo": Preset("demo", 40_000, 48),
    "national": Preset("national", NATIONAL_PEOPLE, 60),
}


def resolve(preset: str, people: int | None = None, months: int | None = None) -> Preset:
    """The named preset with optional overrides of population and months."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    base = PRESETS[preset]
    return Preset(base.name, people or base.people, months or base.months)
