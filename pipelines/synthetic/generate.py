"""``generate``: the whole simulation, from people to landing files, truth and calibration."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.synthetic.assemble import build
from pipelines.synthetic.calibration import calibrate, markdown
from pipelines.synthetic.careers import CareerSim, make_world
from pipelines.synthetic.extracts import build_extracts
from pipelines.synthetic.noise import NoiseConfig, Tally
from pipelines.synthetic.population import make_people
from pipelines.synthetic.presets import Preset, resolve
from pipelines.synthetic.reference import name_pools, places
from pipelines.synthetic.truth import truth_tables, write_truth
from pipelines.synthetic.writers import SPECS, path_for, write_table

log = logging.getLogger(__name__)

#: Months of simulated history before the window; its records arrive in the first delivery.
HISTORY_DAYS = 365


@dataclass
class SynthResult:
    """What ``generate`` wrote."""

    out: Path
    landing: Path
    truth: Path
    calibration_md: Path
    calibration_json: Path
    preset: Preset
    seed: int
    rows: dict[str, int]
    files: int
    calibration: dict
    truth_paths: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


Progress = Callable[[str, float], None]


def generate(
    out: Path,
    preset: str = "ci",
    seed: int = 42,
    people: int | None = None,
    months: int | None = None,
    noise: NoiseConfig | None = None,
    progress: bool | Progress = False,
) -> SynthResult:
    """Simulate a population and write ``<out>/landing``, ``<out>/truth`` and calibration.

    Same ``preset``/``seed``/overrides give byte-identical files. ``progress`` may be a
    callback ``(stage, fraction_done)``; ``True`` logs each stage.
    """
    started = time.perf_counter()
    out = Path(out)
    spec = resolve(preset, people, months)
    noise = noise or NoiseConfig()

    def step(stage: str, done: float) -> None:
        if callable(progress):
            progress(stage, done)
        elif progress:
            log.info("%s (%.0f%%)", stage, 100 * done)

    rng = np.random.default_rng(seed)
    window_start, window_end = spec.window
    sim_start = window_start - HISTORY_DAYS
    pls = places()
    step("people", 0.02)
    population = make_people(rng, spec.people, sim_start, pls, name_pools(seed))
    world = make_world(rng, pls, spec.months)
    sim = CareerSim(rng, population, pls, world, sim_start, window_end)
    step("careers", 0.05)
    sim.run()
    step("treatment, tests and assessments", 0.25)
    t = build(sim, pls, window_start, noise.pnc.duplicate)
    step("extracts and identity noise", 0.40)
    tally = Tally(noise)
    ex = build_extracts(t, pls, rng, tally, spec.start_month, window_end)
    landing = out / "landing"
    month_list = spec.month_list()
    rows: dict[str, int] = {}
    files = 0
    for i, (table, frame) in enumerate(ex.tables.items()):
        step(f"writing {table}", 0.5 + 0.35 * i / len(ex.tables))
        rows[table] = write_table(frame, table, landing, month_list)
        files += sum(path_for(landing, table, m).exists() for m in month_list)
    step("truth and calibration", 0.9)
    tables = truth_tables(t, pls, ex.episode_clients)
    truth_paths = write_truth(out / "truth", tables, ex.record_map, tally.report())
    cal = calibrate(t, spec, seed)
    cal["rows"] = rows
    md = out / "calibration.md"
    md.write_text(markdown(cal))
    js = out / "calibration.json"
    js.write_text(json.dumps(cal, indent=2, sort_keys=True) + "\n")
    step("done", 1.0)
    return SynthResult(
        out=out,
        landing=landing,
        truth=out / "truth",
        calibration_md=md,
        calibration_json=js,
        preset=spec,
        seed=seed,
        rows=rows,
        files=files,
        calibration=cal,
        truth_paths=truth_paths,
        seconds=time.perf_counter() - started,
    )


__all__ = ["SPECS", "SynthResult", "generate"]
