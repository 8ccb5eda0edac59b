"""``generate``: the whole simulation, from people to landing files, truth and calibration."""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.contracts.deliveries import CONTRACTS
from pipelines.contracts.landing_marker import SYNTHETIC_MARKER
from pipelines.synthetic.calibration import markdown, merge
from pipelines.synthetic.careers import make_world
from pipelines.synthetic.chunk import ChunkJob, ChunkResult, run_chunk
from pipelines.synthetic.effects import PrisonEffects, effects_table, with_prison_effects
from pipelines.synthetic.noise import NoiseConfig, Tally
from pipelines.synthetic.population import unique_prison_numbers
from pipelines.synthetic.presets import Preset, resolve
from pipelines.synthetic.reference import places
from pipelines.synthetic.writers import path_for, write_month_xlsx

log = logging.getLogger(__name__)

#: People per chunk: bounds memory (about 1.5 GB per chunk) on national runs.
CHUNK_PEOPLE = 100_000


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
    chunk_people: int = CHUNK_PEOPLE,
    workers: int | None = None,
    prison_effects: PrisonEffects | None = None,
) -> SynthResult:
    """Simulate a population and write ``<out>/landing``, ``<out>/truth`` and calibration.

    Same arguments give byte-identical files. ``progress`` may be a callback
    ``(stage, fraction_done)``; ``True`` logs each stage. Populations above ``chunk_people``
    are simulated in chunks on ``workers`` processes (default: up to 2).
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

    step("reference data and identifiers", 0.01)
    rng = np.random.default_rng(seed)
    world = make_world(rng, places(), spec.months)
    world = with_prison_effects(world, len(places().prison_code), prison_effects)
    prison_numbers = unique_prison_numbers(rng, spec.people)
    offender_pk = rng.permutation(spec.people)
    serials = rng.choice(
        10_000_000, size=2 * spec.people + 20 * math.ceil(spec.people / chunk_people), replace=False
    )
    n_chunks = math.ceil(spec.people / chunk_people)
    single = n_chunks == 1
    landing, truth = out / "landing", out / "truth"
    refuse_unmarked(landing)
    parts = out / ".parts"
    jobs = []
    for k in range(n_chunks):
        first = k * chunk_people
        n = min(chunk_people, spec.people - first)
        s0 = 2 * first + 20 * k
        jobs.append(
            ChunkJob(
                index=k, first=first, people=n, preset=spec, seed=seed, noise=noise, world=world,
                prison_numbers=prison_numbers[first : first + n],
                offender_pk=offender_pk[first : first + n],
                serials=serials[s0 : s0 + 2 * n + 20],
                landing=landing if single else parts / str(k) / "landing",
                truth=truth if single else parts / str(k) / "truth",
                write_rmdt=single,
            )
        )  # fmt: skip
    results: list[ChunkResult] = []
    if single:
        step("simulating", 0.05)
        results.append(run_chunk(jobs[0]))
    else:
        workers = workers or min(2, os.cpu_count() or 1, n_chunks)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            # merge each chunk's monthly files as soon as it is done (in chunk order)
            for i, res in enumerate(pool.map(run_chunk, jobs)):
                results.append(res)
                _append_landing(parts / str(i) / "landing", landing, first=i == 0)
                step(f"simulated chunk {i + 1}/{n_chunks}", 0.05 + 0.75 * (i + 1) / n_chunks)
            step("writing rMDT workbooks and merging truth", 0.82)
            rmdt = pl.concat([r.rmdt for r in results if r.rmdt is not None])
            by_month = rmdt.partition_by("_month", as_dict=True, include_key=False)
            empty = rmdt.drop("_month").clear()
            months_ = spec.month_list()
            paths = [path_for(landing, "rmdt_test", m) for m in months_]
            frames = [by_month.get((m,), empty).sort("TEST_DATE", "TEST_ID") for m in months_]
            pending = [
                pool.submit(write_month_xlsx, f, p) for f, p in zip(frames, paths, strict=True)
            ]
            _merge_truth(parts, truth, n_chunks)
            for fut in pending:
                fut.result()
        shutil.rmtree(parts)
    rows = {t: sum(r.rows.get(t, 0) for r in results) for t in results[0].rows}
    tally = Tally(noise)
    for r in results:
        tally.merge(r.tally)
    if world.prison_effect is not None:
        effects_table(places().prison_code, world.prison_effect).write_parquet(
            truth / "prison_effects.parquet"
        )
    (truth / "noise.json").write_text(json.dumps(tally.report(), indent=2, sort_keys=True) + "\n")
    cal = merge([r.calibration for r in results])
    cal["rows"] = rows
    md = out / "calibration.md"
    md.write_text(markdown(cal))
    js = out / "calibration.json"
    js.write_text(json.dumps(cal, indent=2, sort_keys=True) + "\n")
    files = sum(path_for(landing, t, m).exists() for t in CONTRACTS for m in spec.month_list())
    write_synthetic_mark(landing, spec, seed)
    step("done", 1.0)
    return SynthResult(
        out=out, landing=landing, truth=truth, calibration_md=md, calibration_json=js,
        preset=spec, seed=seed, rows=rows, files=files, calibration=cal,
        seconds=time.perf_counter() - started,
    )  # fmt: skip


def refuse_unmarked(landing: Path) -> None:
    """Never write simulated files into a landing folder that holds anything but the
    simulator's own output (it could be real deliveries, which the mark would then disguise)."""
    if landing.is_dir() and any(landing.iterdir()) and not (landing / SYNTHETIC_MARKER).exists():
        raise FileExistsError(
            f"{landing.absolute()} already holds files and no {SYNTHETIC_MARKER} mark: it may "
            "hold real deliveries, so the simulator will not write there. Choose another --out."
        )


def write_synthetic_mark(landing: Path, spec: Preset, seed: int) -> Path:
    """Mark ``landing`` as simulated (``landing/SYNTHETIC``, at the root so it is never read as a
    delivery): a run accepts the development key only on a marked folder. No timestamp, so the
    same arguments still give byte-identical files (the file's mtime says when)."""
    mark = {
        "synthetic": True,
        "generator": "outcomes synth",
        "preset": spec.name,
        "people": spec.people,
        "months": spec.months,
        "first_month": spec.start_month,
        "last_month": spec.end_month,
        "seed": seed,
    }
    path = landing / SYNTHETIC_MARKER
    path.write_text(json.dumps(mark, indent=2, sort_keys=True) + "\n")
    return path


def _append_landing(part: Path, landing: Path, first: bool) -> None:
    """Append one chunk's monthly files to the merged ones (later chunks skip the CSV header)."""
    for source in sorted(p for p in part.iterdir() if p.is_dir()):
        for month in sorted(p for p in source.iterdir() if p.is_dir()):
            for f in sorted(month.iterdir()):
                target = landing / source.name / month.name / f.name
                target.parent.mkdir(parents=True, exist_ok=True)
                data = f.read_bytes()
                if not first and f.suffix in (".csv", ".psv"):
                    data = data[data.index(b"\n") + 1 :]
                with target.open("ab" if target.exists() else "wb") as fh:
                    fh.write(data)
    shutil.rmtree(part)


def _merge_truth(parts: Path, truth: Path, n_chunks: int) -> None:
    """Stream each truth table's chunk files into one Parquet file."""
    truth.mkdir(parents=True, exist_ok=True)
    for f in sorted((parts / "0" / "truth").glob("*.parquet")):
        files = [parts / str(k) / "truth" / f.name for k in range(n_chunks)]
        pl.scan_parquet(files).sink_parquet(
            truth / f.name, compression="zstd", statistics=False, maintain_order=True
        )


__all__ = ["SynthResult", "generate"]
