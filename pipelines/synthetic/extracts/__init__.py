"""Source-shaped frames (one per delivered table) with identity noise, plus the record map.

Each frame carries ``_month`` (the delivery month) and the fields of its delivery contract
(:mod:`pipelines.contracts.deliveries`); dates stay day numbers until the writers format them.
One module per source; :func:`build_extracts` runs them in a fixed order, because they draw
from one random stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.synthetic.assemble import Truth
from pipelines.synthetic.extracts.context import Context
from pipelines.synthetic.extracts.dir import dir_release, dir_triage
from pipelines.synthetic.extracts.ndtms import ndtms
from pipelines.synthetic.extracts.oasys import oasys
from pipelines.synthetic.extracts.pnc import pnc
from pipelines.synthetic.extracts.rmdt import rmdt
from pipelines.synthetic.identifiers import sequential_ids
from pipelines.synthetic.noise import Tally
from pipelines.synthetic.reference import Places


@dataclass
class Extracts:
    """Delivered tables (with ``_month``), the record map and helper truth (episode clients)."""

    tables: dict[str, pl.DataFrame]
    record_map: pl.DataFrame
    episode_clients: pl.DataFrame


def build_extracts(
    t: Truth, places: Places, rng: np.random.Generator, tally: Tally, first_month: str, end: int
) -> Extracts:
    """Every delivered table with its identity noise (``end``: last day of the window)."""
    _number_records(t)
    ctx = Context(t, places, rng, tally, first_month, end)
    pnc(ctx)
    dir_triage(ctx)
    dir_release(ctx)
    oasys(ctx)
    episode_clients = ndtms(ctx)
    rmdt(ctx)
    return Extracts(ctx.tables, pl.concat(ctx.record_maps), episode_clients)


def _number_records(t: Truth) -> None:
    """Give OASys assessments and rMDT tests the ids their sources deliver (truth keeps them)."""
    a = t.assessments.sort(["date", "person", "type"])
    t.assessments = a.with_columns(assessment_id=sequential_ids("OAS", a.height, 8, t.chunk))
    t.tests = t.tests.with_columns(test_id=sequential_ids("MDT", t.tests.height, 9, t.chunk))
