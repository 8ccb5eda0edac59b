"""One chunk of the population: simulate, write its landing files and truth, return tallies.

People do not interact, so a large population is simulated as independent chunks (each with
its own random stream), possibly in parallel processes, and the files are merged in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.synthetic.assemble import build
from pipelines.synthetic.calibration import calibrate
from pipelines.synthetic.careers import CareerSim, World
from pipelines.synthetic.extracts import build_extracts
from pipelines.synthetic.noise import NoiseConfig, Tally
from pipelines.synthetic.population import make_people
from pipelines.synthetic.presets import Preset
from pipelines.synthetic.reference import name_pools, places
from pipelines.synthetic.truth import truth_tables, write_truth
from pipelines.synthetic.writers import write_table

#: Months of simulated history before the window; its records arrive in the first delivery.
HISTORY_DAYS = 365


@dataclass(frozen=True)
class ChunkJob:
    """Everything a worker needs to simulate people ``first .. first + people - 1``."""

    index: int
    first: int
    people: int
    preset: Preset
    seed: int
    noise: NoiseConfig
    world: World
    prison_numbers: np.ndarray
    offender_pk: np.ndarray
    serials: np.ndarray
    landing: Path
    truth: Path
    write_rmdt: bool


@dataclass
class ChunkResult:
    index: int
    rows: dict[str, int]
    tally: dict[str, dict[str, list[int]]]
    calibration: dict
    rmdt: pl.DataFrame | None


def run_chunk(job: ChunkJob) -> ChunkResult:
    """Simulate one chunk and write its files (the rMDT rows are returned when not written)."""
    rng = np.random.default_rng([job.seed, job.index])
    spec = job.preset
    window_start, window_end = spec.window
    sim_start = window_start - HISTORY_DAYS
    pls = places()
    population = make_people(
        rng, job.people, sim_start, pls, name_pools(job.seed), first=job.first,
        prison_number=job.prison_numbers, offender_pk=job.offender_pk,
    )  # fmt: skip
    sim = CareerSim(
        rng, population, pls, job.world, sim_start, window_end, chunk=job.index,
        serials=job.serials,
    )  # fmt: skip
    sim.run()
    t = build(sim, pls, window_start, job.noise.pnc.duplicate)
    del sim
    cal = calibrate(t, spec, job.seed)
    tally = Tally(job.noise)
    ex = build_extracts(t, pls, rng, tally, spec.start_month, window_end)
    months = spec.month_list()
    rows: dict[str, int] = {}
    rmdt = None
    for table in list(ex.tables):
        frame = ex.tables.pop(table)
        if table == "rmdt_test" and not job.write_rmdt:
            rmdt = frame
            rows[table] = frame.height
            continue
        rows[table] = write_table(frame, table, job.landing, months)
        del frame
    write_truth(job.truth, truth_tables(t, pls, ex.episode_clients), ex.record_map)
    return ChunkResult(job.index, rows, tally.counts, cal, rmdt)
