"""OASys: assessments, one column per contract field (the writer nests ``offender.dob`` etc.)."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.contracts.codes import OASYS_SECTIONS
from pipelines.synthetic.extracts.context import Context, frame


def oasys(ctx: Context) -> None:
    """Deliver ``oasys_assessment`` (``t.assessments`` already carries the assessment ids)."""
    a = ctx.t.assessments
    ap = a["person"].to_numpy()
    f, s, d, lab = ctx.noisy_identity("oasys", ap)
    pnc_id = ctx.recorded_pnc_id("oasys", a, "date")
    prison = a["prison"].to_numpy()
    custody = prison >= 0
    sections = {}
    for sec in OASYS_SECTIONS:
        sections[f"sections.{sec}.score"] = a[f"{sec}_score"].cast(pl.Int64)
        sections[f"sections.{sec}.need"] = a[f"{sec}_need"]
        sections[f"sections.{sec}.linked_to_reoffending"] = a[f"{sec}_linked"]
    ctx.tables["oasys_assessment"] = frame(
        {
            "_month": a.select(ctx.month("date")).to_series(),
            "assessment_id": a["assessment_id"],
            "assessment_type": a["type"],
            "assessment_date": a["date"],
            "establishment_code": np.where(
                custody, ctx.places.prison_code[np.maximum(prison, 0)], None
            ),
            "probation_region": ctx.places.la_region[ctx.home_la(ap)],
            "offender.offender_pk": ctx.person("offender_pk", ap),
            "offender.pnc_id": pnc_id,
            "offender.prison_number": np.where(custody, ctx.person("prison_number", ap), None),
            "offender.crn": ctx.person("crn", ap),
            "offender.surname": s,
            "offender.forename": f,
            "offender.dob": d,
            "offender.sex": ctx.person("sex", ap),
            "offender.ethnicity": ctx.person("ethnicity", ap),
            "index_offence.ho_class": a["index_ho_class"],
            "index_offence.ogrs3_category": a["ogrs3_category"],
            **sections,
            "ogrs3.p1": a["ogrs3_p1"],
            "ogrs3.p2": a["ogrs3_p2"],
        }
    ).sort(["_month", "assessment_id"])
    ctx.map_records("oasys", "oasys_assessment", a["assessment_id"], ap, lab)
