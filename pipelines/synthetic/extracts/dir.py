"""DIR: reception triages and custody releases (title-case names, PNC IDs often missing)."""

from __future__ import annotations

import numpy as np

from pipelines.synthetic.extracts.context import Context, frame, problem_substances


def dir_triage(ctx: Context) -> None:
    """Deliver ``dir_triage``: one triage per reception, substances empty for half the
    triages that find no need."""
    rng, tri = ctx.rng, ctx.t.triages
    tp = tri["person"].to_numpy()
    f, s, d, lab = ctx.noisy_identity("dir", tp, title_case=True)
    pnc_id = ctx.recorded_pnc_id("dir", tri, "date")
    substances = problem_substances(ctx.t, tp, rng)
    no_use = ~tri["need"].to_numpy() & (rng.random(len(tp)) < 0.5)
    columns = {}
    for k, slot in enumerate(substances, start=1):
        for name, values in zip(("SUBSTANCE", "ROUTE", "FREQUENCY"), slot, strict=True):
            columns[f"{name}_{k}"] = np.where(no_use, None, values)
    ost, psy = tri["ost"].to_numpy(), tri["psy"].to_numpy()
    ctx.tables["dir_triage"] = frame(
        {
            "_month": tri.select(ctx.month("date")).to_series(),
            "DIR_ID": tri["triage_id"],
            "TRIAGE_DATE": tri["date"],
            "ESTABLISHMENT": ctx.places.prison_code[tri["prison"].to_numpy()],
            "SURNAME": s,
            "FORENAME": f,
            "DOB": d,
            "SEX": ctx.person("sex", tp),
            "ETHNICITY": ctx.person("ethnicity", tp),
            "PRISON_NUMBER": ctx.person("prison_number", tp),
            "PNC_ID": pnc_id,
            **columns,
            "INJECTING_STATUS": ctx.person("injecting", tp),
            "TREATMENT_NEED": yes_no(tri["need"].to_numpy()),
            "CARE_PLANNED": yes_no(tri["care_planned"].to_numpy()),
            "PRISON_MODALITY": np.select([ost & psy, ost, psy], ["OST+PSY", "OST", "PSY"], None),
            "PLANNED_RELEASE_DATE": tri["planned_release"].to_numpy()
            + rng.integers(-3, 4, len(tp)) * (rng.random(len(tp)) < 0.2),
        }
    ).sort(["_month", "DIR_ID"])
    ctx.map_records("dir_triage", "dir_triage", tri["triage_id"], tp, lab)


def dir_release(ctx: Context) -> None:
    """Deliver ``dir_release``: referrals to a community area for people released into it."""
    rng, rel = ctx.rng, ctx.t.releases
    rp = rel["person"].to_numpy()
    f, s, d, lab = ctx.noisy_identity("dir", rp, title_case=True)
    pnc_id = ctx.recorded_pnc_id("dir", rel, "date")
    kind = rel["release_type"]
    community = (kind != "TRANSFER").to_numpy() & (kind != "DEPORTED").to_numpy()
    in_treatment = rel["in_treatment"].to_numpy()
    need = rel["need"].to_numpy() & (rng.random(len(rp)) < 0.5)
    referred = community & (in_treatment | need)
    dest = rel["la"].fill_null(-1).to_numpy()
    ctx.tables["dir_release"] = frame(
        {
            "_month": rel.select(ctx.month("date")).to_series(),
            "RELEASE_ID": rel["release_key"],
            "DIR_ID": rel["triage_id"],
            "RELEASE_DATE": rel["date"],
            "ESTABLISHMENT": ctx.places.prison_code[rel["prison"].to_numpy()],
            "SURNAME": s,
            "FORENAME": f,
            "DOB": d,
            "SEX": ctx.person("sex", rp),
            "PRISON_NUMBER": ctx.person("prison_number", rp),
            "PNC_ID": pnc_id,
            "RELEASE_TYPE": rel["release_type"],
            "IN_TREATMENT": yes_no(in_treatment),
            "REFERRED": yes_no(referred),
            "REFERRAL_LA": np.where(
                referred & (dest >= 0), ctx.places.la_code[np.maximum(dest, 0)], None
            ),
            "POSTCODE_DISTRICT": np.where(community, ctx.person("postcode_district", rp), None),
        }
    ).sort(["_month", "RELEASE_ID"])
    ctx.map_records("dir_release", "dir_release", rel["release_key"], rp, lab)


def yes_no(flags: np.ndarray) -> np.ndarray:
    return np.where(flags, "Y", "N")
