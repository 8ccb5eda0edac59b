"""Cases that the indicator definitions exclude or tell apart, added to the simulated world.

Each function makes one kind of case that a definition rule exists for (docs/definitions.md),
so that dropping the rule moves its indicator (tests/test_definition_rules.py):

- :func:`non_qualifying_disposals`: PNC penalty notices and acquittals, which prove no offence;
- :func:`breach_convictions`: convictions for breach of post-sentence supervision after release,
  which MoJ does not count as re-offences;
- :func:`youth_warnings`: reprimands and final warnings, which do (youth cautions before 2013);
- :func:`care_planned_without_modality`: custody triages with a care plan but no modality;
- :func:`keep_open_through_short_custody`: community episodes that stay open through a short
  custody spell (people already in community treatment when released).

Other breach offences (HO class 195/12), transfers, deportations, deaths outside treatment and short
treatment journeys come from the main simulation (``careers.py``, ``treatment.py``).

Every draw here uses its own generator (:func:`side_rng`), so the main simulation's random
stream, and every other simulated value, is unchanged by these cases.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.synthetic.population import DAYS_PER_YEAR

#: Share of convictions with a further charge on the PNC that ends unproven (acquitted, dismissed
#: or withdrawn). MoJ Criminal Justice Statistics: about 85% of defendants prosecuted are convicted
#: (conviction ratio), so about 0.15-0.18 unproven charges per conviction; 0.15 is used.
ACQUITTAL_RATE = 0.15
#: Share of low-seriousness offences (score 1-3, not serious) with a penalty notice for disorder
#: on the record as well. MoJ Criminal Justice Statistics: about 20,000-30,000 PNDs a year since
#: 2018 against about 1 million convictions and cautions (2-3%); 0.04 of the eligible offences.
PENALTY_NOTICE_RATE = 0.04
#: Reprimands and final warnings replaced youth cautions until 8 April 2013 (LASPO 2012, s.135).
YOUTH_WARNINGS_END = int(np.datetime64("2013-04-08", "D").astype(np.int64))
#: Of people with a need at triage whose modality never starts, the share with a care plan
#: recorded at triage all the same (released, transferred or declined before the start). No
#: public figure: an assumption (docs/assumptions-and-caveats.md).
PLAN_WITHOUT_MODALITY = 0.3
#: A community episode stays open through a custody spell of at most this many days...
SHORT_CUSTODY_DAYS = 56
#: ... with this probability (the provider keeps the case open on remand or a short sentence).
#: No public figure: an assumption (docs/assumptions-and-caveats.md).
KEEP_OPEN_RATE = 0.3

#: Disposal types that prove an offence (MoJ proven re-offending) and the breach class, which
#: MoJ does not count as a re-offence.
QUALIFYING_DISPOSALS = ("CONV", "CAUT", "REPR", "FWRN")
BREACH_CLASS = "195/12"
#: Share of releases from sentences under 2 years (from 1 February 2015, when the Offender
#: Rehabilitation Act 2014 added post-sentence supervision) followed by a conviction for breach
#: of supervision within a year. No public rate per release was found: an assumption
#: (docs/assumptions-and-caveats.md), large enough that the breach rule shows.
BREACH_AFTER_RELEASE = 0.08
PSS_START = int(np.datetime64("2015-02-01", "D").astype(np.int64))
#: PNC result codes of the disposals that prove no offence.
NOT_PROVEN_RESULT_CODES = {"ACQ": "2006", "PND": "3052"}

_TAGS = {"disposals": 1, "triage": 2, "continuity": 3, "breaches": 4}


def side_rng(sim: object, tag: str) -> np.random.Generator:
    """A generator for ``tag`` derived from the simulation's seed, cached on ``sim``."""
    cache = sim.__dict__.setdefault("_side_rngs", {})
    if tag not in cache:
        entropy = sim.rng.bit_generator.seed_seq.entropy
        base = list(entropy) if isinstance(entropy, list | tuple) else [int(entropy)]
        cache[tag] = np.random.default_rng([*base, 15, _TAGS[tag]])
    return cache[tag]


def care_planned_without_modality(sim: object, need: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Triage CARE_PLANNED: every started modality, and some needs whose modality never starts."""
    rng = side_rng(sim, "triage")
    return starts | (need & ~starts & (rng.random(len(need)) < PLAN_WITHOUT_MODALITY))


def non_qualifying_disposals(sim: object, off: pl.DataFrame, end: int) -> pl.DataFrame:
    """Extra PNC rows that prove no offence: acquittals (ACQ) beside some convictions and
    penalty notices (PND) beside some low-seriousness offences. Same columns as ``off``."""
    rng = side_rng(sim, "disposals")
    n = off.height
    u = rng.random(n)
    conv = (off["disposal_type"] == "CONV").to_numpy()
    minor = ((off["seriousness_score"] <= 3) & ~off["serious"]).to_numpy()
    kind = np.where(
        conv & (u < ACQUITTAL_RATE),
        "ACQ",
        np.where(minor & (u >= 1 - PENALTY_NOTICE_RATE), "PND", ""),
    )
    pick = np.flatnonzero(kind != "")
    rows = off[pick]
    kind = kind[pick]
    # a separate charge within a year of a proven offence: often in a year with no conviction
    shift = rng.integers(-365, 366, len(pick))
    lag = np.where(kind == "ACQ", rng.integers(40, 240, len(pick)), rng.integers(0, 3, len(pick)))
    offence_date = rows["offence_date"].to_numpy() + shift
    disposal_date = offence_date + lag
    arrest_gap = (rows["arrest_date"] - rows["offence_date"]).to_numpy()
    arrested = rows["arrest_date"].to_numpy() >= -100_000
    # arrested after the offence, never after the disposal
    arrest = np.minimum(offence_date + arrest_gap, disposal_date)
    extra = rows.with_columns(
        offence_date=pl.Series(offence_date, dtype=rows["offence_date"].dtype),
        arrest_date=pl.Series(
            np.where(arrested, arrest, rows["arrest_date"].to_numpy()),
            dtype=rows["arrest_date"].dtype,
        ),
        disposal_date=pl.Series(disposal_date, dtype=rows["disposal_date"].dtype),
        disposal_type=pl.Series(kind, dtype=pl.String),
        result_code=pl.Series([NOT_PROVEN_RESULT_CODES[k] for k in kind], dtype=pl.String),
        sentence=pl.lit(0, dtype=rows["sentence"].dtype),
        drr=pl.lit(False),
        main=pl.lit(-1, dtype=rows["main"].dtype),
        is_index=pl.lit(False),
        occasion=pl.lit(-1, dtype=rows["occasion"].dtype),
    )
    return extra.filter(pl.col("disposal_date") <= end)


def breach_convictions(sim: object, off: pl.DataFrame, end: int) -> pl.DataFrame:
    """Convictions for breach of post-sentence supervision (HO class 195/12, a fine) 14-330 days
    after some releases to the community from sentences under 2 years; same columns as ``off``,
    each copied from the person's latest earlier PNC row (for the PNC ID and area)."""
    rng = side_rng(sim, "breaches")
    rel = pl.DataFrame(sim.releases.frame()).select(
        pl.col("person").cast(pl.Int64), pl.col("date").cast(pl.Int64), "release_type", "sentence"
    )
    rel = rel.filter(
        pl.col("release_type").is_in(["CONDITIONAL", "END_OF_SENTENCE"])
        & (pl.col("sentence") < 730)
        & (pl.col("date") >= PSS_START)
    )
    rel = rel.filter(pl.Series(rng.random(rel.height) < BREACH_AFTER_RELEASE))
    offence_date = rel["date"].to_numpy() + rng.integers(14, 331, rel.height)
    rel = rel.with_columns(
        offence_date=pl.Series(offence_date),
        disposal_date=pl.Series(offence_date + rng.integers(7, 61, rel.height)),
    ).sort(["person", "date"])
    template = off.sort(["person", "disposal_date"]).with_columns(
        pl.col("disposal_date").alias("_template_date")
    )
    rows = rel.join_asof(
        template.drop("offence_date", "disposal_date"),
        left_on="date",
        right_on="_template_date",
        by="person",
        strategy="backward",
        check_sortedness=False,
    ).filter(pl.col("_template_date").is_not_null() & (pl.col("disposal_date") <= end))
    deaths = pl.DataFrame(sim.deaths.frame())
    if deaths.height:
        died = deaths.select(pl.col("person").cast(pl.Int64), pl.col("date").alias("_died"))
        rows = rows.join(died, on="person", how="left").filter(
            pl.col("_died").is_null() | (pl.col("disposal_date") < pl.col("_died"))
        )
    offs = sim.offences
    code = int(np.flatnonzero(offs.ho_class == BREACH_CLASS)[0])
    breach = rows.with_columns(
        arrest_date=pl.col("offence_date"),
        offence=pl.lit(code),
        disposal_type=pl.lit("CONV"),
        result_code=pl.lit("1015"),
        sentence=pl.lit(0),
        drr=pl.lit(False),
        main=pl.lit(-1),
        is_index=pl.lit(False),
        occasion=pl.lit(-1),
        kind=pl.lit(3),
        backlog=pl.lit(False),
        ho_class=pl.lit(BREACH_CLASS),
        cjs_code=pl.lit(str(offs.cjs_code[code])),
        ogrs3_category=pl.lit(str(offs.category[code])),
        serious=pl.lit(bool(offs.serious[code])),
        seriousness_score=pl.lit(int(offs.score[code])),
    )
    return breach.select(pl.col(c).cast(off.schema[c]) for c in off.columns)


def youth_warnings(sim: object, off: pl.DataFrame) -> pl.DataFrame:
    """Cautions given under 18 before April 2013 recorded as a reprimand (REPR, the first) or a
    final warning (FWRN, later ones), as the PNC holds them."""
    dob = pl.Series(sim.p.dob[off["person"].to_numpy()].astype(np.int64))
    youth = (
        (pl.col("disposal_type") == "CAUT")
        & (pl.col("disposal_date") < YOUTH_WARNINGS_END)
        & ((pl.col("disposal_date") - pl.col("_dob")) < 18 * DAYS_PER_YEAR)
    )
    off = off.with_columns(_dob=dob).with_columns(_youth=youth)
    first = off.filter("_youth").group_by("person").agg(pl.col("disposal_date").min().alias("_f"))
    off = off.join(first, on="person", how="left")
    kind = (
        pl.when(~pl.col("_youth"))
        .then(pl.col("disposal_type"))
        .when(pl.col("disposal_date") == pl.col("_f"))
        .then(pl.lit("REPR"))
        .otherwise(pl.lit("FWRN"))
    )
    return off.with_columns(disposal_type=kind).drop("_dob", "_youth", "_f")


def keep_open_through_short_custody(
    sim: object, fwd: pl.DataFrame, cust: pl.DataFrame
) -> pl.DataFrame:
    """Community candidates (with ``next_custody``, the next reception) whose episode the provider
    keeps open through a short custody spell: ``next_custody`` moves to the reception after it."""
    rng = side_rng(sim, "continuity")
    spells = cust.rename({"c_start": "next_custody", "c_end": "_c_end"})
    fwd = fwd.join(spells, on=["person", "next_custody"], how="left")
    keep = (
        pl.col("next_custody").is_not_null()
        & (pl.col("_c_end") - pl.col("next_custody") <= SHORT_CUSTODY_DAYS)
        & (pl.col("natural_end") > pl.col("_c_end"))
        & pl.Series(rng.random(fwd.height) < KEEP_OPEN_RATE)
    )
    fwd = fwd.with_columns(_keep=keep.fill_null(False))
    after = (
        fwd.filter("_keep")
        .select("person", (pl.col("_c_end") + 1).alias("_from"), pl.int_range(pl.len()).alias("_k"))
        .sort(["person", "_from"])
        .join_asof(
            cust.select("person", "c_start").sort(["person", "c_start"]),
            left_on="_from",
            right_on="c_start",
            by="person",
            strategy="forward",
            check_sortedness=False,
        )
        .sort("_k")
    )
    kept = fwd.filter("_keep").with_columns(next_custody=after["c_start"])
    rest = fwd.filter(~pl.col("_keep"))
    return pl.concat([rest, kept], how="vertical_relaxed").drop("_c_end", "_keep")
