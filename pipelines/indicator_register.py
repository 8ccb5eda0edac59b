"""The definitions register (``docs/definitions.md``): for each catalogue indicator, the official
source it follows, numerator, denominator, exclusions, window, maturity and every deliberate
deviation with its reason.

Numerator, denominator, periods and maturity come from the catalogue
(``seeds/indicator_catalogue.csv``); sources, exclusions and deviations from :data:`REGISTER`.
``python -m pipelines.indicator_register`` rewrites the page; ``tests/test_indicator_register.py``
fails when the page, the catalogue and this register disagree.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.catalogue import load_catalogue

log = logging.getLogger(__name__)

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "definitions.md"


@dataclass(frozen=True)
class Entry:
    """What the catalogue does not say: the source followed, exclusions and deviations.
    ``rules`` names the switchable dbt rules (macros/definition_rules.sql) the exclusions use."""

    source: str
    exclusions: str
    deviations: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


# --------------------------------------------------------------------------- shared wording
PATEL = "Patel Report (2010), Outcome Model 2010, sub-outcome {n} suggested measurement"
LOCAL = " - no official statistic with this definition; the project's own measure"
ADULTS = "People under 18 at the event."
TOP = (
    "NDTMS Treatment Outcomes Profile (TOP) items as defined in the NDTMS adult TOP guidance "
    "(OHID, core data set version in force)" + LOCAL
)
TOP_EXCLUSIONS = (
    "Episodes without a review TOP on or after the start TOP; secure-setting episodes; "
    "people under 18 at triage."
)
TOP_CHANGE = (
    "NDTMS reports reliable change (thresholds per substance); this measure counts any "
    "reduction - simpler to explain, and reliable-change thresholds are not public for every "
    "item (assumption A10)."
)
RMDT = (
    "MoJ/HMPPS Annual Digest, mandatory drug testing tables: random MDT positive rate "
    "(traditional drugs and psychoactive substances reported separately since 2017-18)"
)
RMDT_EXCLUSIONS = (
    "Suspicion, risk-assessment and frequent-testing programme tests (REASON other than "
    "RANDOM); spoiled samples."
)
PRISONS_ONE_SEX = "Prisons hold one sex: no personal breakdowns (disclosure and meaning)."
MOJ = (
    "MoJ Proven Reoffending Statistics (quarterly bulletin) and the Guide to Proven Reoffending "
    "Statistics (2019 edition): adults released from custody"
)
COHORT = (
    "Transfers to another prison (not a release; rule `transfers`); deportations (rule "
    "`deportations`); releases of people under 18; second and later releases of a person in "
    "the period. Re-offences: disposals that prove no offence - penalty notices, acquittals "
    "(rule `qualifying_disposals`); breach offences (HO class 195/12, rule `breach_offences`)."
)
COHORT_RULES = ("transfers", "deportations", "qualifying_disposals", "breach_offences")
COHORT_DEVIATIONS = (
    "Cohort from DIR release records rather than NOMIS/Delius (NOMIS is not one of the five "
    "sources; assumption A18); cohorts by month and rolling 12 months instead of MoJ's quarters "
    "(monthly cohorts give earlier trend detection; rolling years match MoJ's annual averages).",
    "One index release per person per period (the first), as MoJ takes the first qualifying "
    "event in its cohort period.",
    "Deported people are excluded: they leave the jurisdiction and cannot be proven to re-offend "
    "in England and Wales (assumption A3).",
    "Offences proven only by a conviction, caution, reprimand or final warning count (MoJ); the "
    "PNC also holds penalty notices and acquittals, which are dropped in `int_offences`.",
    "Breach offences are sanctions for OGRS3 but are not counted as re-offences (MoJ counting "
    "rules).",
)
OHID_C20 = (
    "OHID Public Health Outcomes Framework indicator C20 (formerly 2.16), 'Adults with "
    "substance misuse treatment need who successfully engage in community-based structured "
    "treatment following release from prison' (PHOF 2019-2023 framework; NDTMS secure "
    "setting and community data)"
)
DEATHS_PROXY = (
    "Deaths are NDTMS discharges with reason 87 ('incomplete - died'): deaths of people not in "
    "community treatment are missed. The official measure would use ONS deaths registrations "
    "(General Mortality Register) linked to releases; no mortality feed is among the five "
    "sources. Measured on the demo preset against the simulator's every death: see "
    "'Proxy measured' below."
)
DEATHS_EXCLUSIONS = (
    "Transfers and deportations (rules `transfers`, `deportations`); people under 18; later "
    "releases of a person in the period."
)
NDTMS_JOURNEY = (
    "Community episodes only (secure settings excluded); people under 18 at journey start; "
    "earlier journeys of the person in the period."
)
OASYS = PATEL + " (proxy): OASys section scores, need thresholds as OASys scoring guidance"
OASYS_EXCLUSIONS = (
    "People with one assessment only; people without the need at their first assessment; "
    "people under 18 at the later assessment."
)
OASYS_DEVIATION = (
    "Need re-derived from section scores at the brief's thresholds, not the delivered flag, so "
    "a threshold change is one edit (assumption A9).",
)
PEOPLE_IN_TREATMENT = (
    "People with no community episode open in the period; secure settings; people under 18."
)

REGISTER: dict[str, Entry] = {
    "so01_custody_care_planned": Entry(
        PATEL.format(n=1) + " ('% with drug need at custody triage who receive a care-planned "
        "intervention'); DIR (Drug Interventions Record) TREATMENT_NEED and CARE_PLANNED" + LOCAL,
        "Triages without a treatment need; people under 18 at triage.",
        (
            "A care plan made at triage counts even if no modality started (sub-outcome 3 "
            "counts the modality): the two measures differ by the triages care-planned without "
            "a modality.",
        ),
    ),
    "so01_top_opiate_abstinent_or_reduced": Entry(
        PATEL.format(n=1) + "; " + TOP, TOP_EXCLUSIONS, (TOP_CHANGE,)
    ),
    "so01_top_crack_abstinent_or_reduced": Entry(
        PATEL.format(n=1) + "; " + TOP, TOP_EXCLUSIONS, (TOP_CHANGE,)
    ),
    "so01_top_injecting_stopped": Entry(PATEL.format(n=1) + "; " + TOP, TOP_EXCLUSIONS),
    "so01_top_sharing_stopped": Entry(PATEL.format(n=1) + "; " + TOP, TOP_EXCLUSIONS),
    "so02_rmdt_positive_traditional": Entry(
        RMDT, RMDT_EXCLUSIONS + " Refused samples.", (PRISONS_ONE_SEX,)
    ),
    "so02_rmdt_positive_psychoactive": Entry(
        RMDT, RMDT_EXCLUSIONS + " Refused samples.", (PRISONS_ONE_SEX,)
    ),
    "so02_rmdt_positive_or_refused_traditional": Entry(
        RMDT + "; alternative definition (a refusal counts as a positive)" + LOCAL,
        RMDT_EXCLUSIONS,
        (
            "Published beside the official rate because a refusal is often a concealed "
            "positive (brief).",
            PRISONS_ONE_SEX,
        ),
    ),
    "so02_rmdt_refusal_rate": Entry(RMDT + " (refusals)", RMDT_EXCLUSIONS, (PRISONS_ONE_SEX,)),
    "so03_treatment_access_with_need": Entry(
        PATEL.format(n=3) + "; DIR TREATMENT_NEED and PRISON_MODALITY" + LOCAL,
        "Triages without a treatment need; triages care-planned but without a prison modality "
        "(rule `access_needs_modality`); people under 18 at triage.",
        (),
        ("access_needs_modality",),
    ),
    "so03_treatment_access_ratio": Entry(
        PATEL.format(n=3) + "; indirect standardisation (observed / expected)" + LOCAL,
        "As the access measure (rule `access_needs_modality`).",
        ("Band 0.8-1.25 for flagging is a judgement (assumption A15).",),
        ("access_needs_modality",),
    ),
    "so04_proven_reoffending_rate": Entry(
        MOJ + ", binary proven re-offending rate", COHORT, COHORT_DEVIATIONS, COHORT_RULES
    ),
    "so04_ogrs3_predicted_rate": Entry(
        "OGRS3 (Howard, Francis, Soothill and Humphreys, MoJ Research Summary 7/09, 2009); "
        "coefficients of the MoJ rsr-calculator (`lib/data/coefficients.json`)",
        COHORT + " People with no qualifying PNC sanction up to the release.",
        (
            "Age is the age at the index conviction (OGRS3's 'age at current conviction'), in "
            "whole years from birth year and month (the day of birth stays in `identity`; "
            "assumption A4).",
            "The seed holds the adult age-sex bands only: an index conviction before 18 scores "
            "in the 18-20 band (the cohort is adult at release).",
            "Index offence = the latest custodial disposal up to the release (else the latest "
            "disposal), most serious on the day.",
        ),
        COHORT_RULES,
    ),
    "so04_reoffending_actual_vs_predicted": Entry(
        MOJ + "; actual against OGRS3-predicted (as MoJ's local adult re-offending measure "
        "2010-2013)",
        COHORT + " People with no qualifying PNC sanction up to the release.",
        (
            "95% interval by Byar's approximation to the Poisson interval of the observed count: "
            "each person counts once, so the Poisson assumption holds.",
        ),
        COHORT_RULES,
    ),
    "so04_reoffences_per_100": Entry(
        MOJ + ", frequency (re-offences per offender, x 100)",
        COHORT,
        (
            COHORT_DEVIATIONS[0],
            "95% interval clustered on people: several re-offences come from one person, so the "
            "interval is the normal interval of the mean count per person with the sample "
            "variance over people (a robust, quasi-Poisson-equivalent interval), not Byar's "
            "Poisson interval, which treated every re-offence as independent and was too "
            "narrow. MoJ publishes no interval.",
        ),
        COHORT_RULES,
    ),
    "so04_reoffences_per_reoffender": Entry(
        MOJ + ", frequency (re-offences per re-offender)",
        COHORT + " People with no proven re-offence.",
        (
            "95% interval: normal interval of the mean count per re-offender (sample variance over "
            "people, so clustered on people).",
        ),
        COHORT_RULES,
    ),
    "so04_serious_reoffending_rate": Entry(
        MOJ + "; serious re-offences as MoJ's list of serious offences (Guide, appendix)",
        COHORT,
        (
            "Serious offences flagged in seeds/offence_classification.csv, an approximation of "
            "MoJ's list (assumption A14).",
        ),
        COHORT_RULES,
    ),
    "so04_seriousness_escalation": Entry(
        PATEL.format(n=4) + " ('change from index offence seriousness')" + LOCAL,
        COHORT + " Re-offenders without a known index offence.",
        (
            "Seriousness score 1-10 from seeds/offence_classification.csv, not an official scale "
            "(assumption A14).",
        ),
        COHORT_RULES,
    ),
    "so04_days_to_first_reoffence": Entry(
        MOJ + "; time to first re-offence (Patel's suggested measure)",
        COHORT + " People with no proven re-offence.",
        ("Median rather than mean days: the distribution is skewed towards the first weeks.",),
        COHORT_RULES,
    ),
    "so05_continuity_of_care_21d": Entry(
        OHID_C20,
        "Transfers to another prison (rule `transfers`), deportations (rule `deportations`), "
        "deaths within 21 days of release (rule `deaths_in_window`); people under 18; later "
        "releases of a person in the period. Numerator includes people already engaged in "
        "community treatment on the release day (rule `already_engaged`).",
        (
            "Need = in secure-setting treatment at release (DIR IN_TREATMENT), as C20's "
            "'treatment need' (assumption A5).",
            "Deaths excluded are those NDTMS records (discharge reason 87): no mortality feed is "
            "among the five sources, so a death outside treatment stays in the denominator as "
            "not engaged. Measured on the demo preset: see 'Proxy measured' below.",
        ),
        ("transfers", "deportations", "deaths_in_window", "already_engaged"),
    ),
    "so06_oasys_accommodation_resolved": Entry(
        OASYS.format(n=6), OASYS_EXCLUSIONS, OASYS_DEVIATION
    ),
    "so06_oasys_finance_resolved": Entry(OASYS.format(n=6), OASYS_EXCLUSIONS, OASYS_DEVIATION),
    "so06_top_housing_resolved": Entry(PATEL.format(n=6) + " (proxy); " + TOP, TOP_EXCLUSIONS),
    "so07_ni40_effective_treatment": Entry(
        "National Indicator 40, 'Number of drug users recorded as being in effective treatment' "
        "(National Indicator Set, definitions handbook, CLG 2008; NDTMS effective-treatment rule)",
        NDTMS_JOURNEY + " Journeys still open at the period end but under 12 weeks (84 days) "
        "since triage are not effective (rule `ni40_retention`).",
        (
            "Published as a proportion of opiate and/or crack users in community treatment "
            "(NI 40 was a count), so people retained under 12 weeks at the period end stay in "
            "the denominator as not (yet) effective.",
            "Care-planned discharges are reasons 80-83 (completed, transferred).",
        ),
        ("ni40_retention",),
    ),
    "so07_c19a_completion_opiate": Entry(
        "OHID PHOF C19a (formerly 2.15i), 'Successful completion of drug treatment - opiate "
        "users' (NDTMS)",
        NDTMS_JOURNEY,
        (
            "Re-presentation detected in community NDTMS records only (secure episodes do not "
            "count as re-presenting).",
        ),
    ),
    "so07_c19b_completion_non_opiate": Entry(
        "OHID PHOF C19b (formerly 2.15ii), 'Successful completion of drug treatment - non-opiate "
        "users' (NDTMS)",
        NDTMS_JOURNEY + " Alcohol-only clients (in C19c, not published here).",
        ("Re-presentation detected in community NDTMS records only.",),
    ),
    "so07_top_review_completion": Entry(
        "NDTMS TOP compliance (review due about 6 months after start); "
        + PATEL.format(n=7)
        + LOCAL,
        "Episodes closed before 7 months after their start TOP; secure settings.",
        ("One month's grace after the 6-month due date (assumption A11).",),
    ),
    "so07_mean_evidence_value": Entry(
        "Patel Report (2010), Table 1 'Total Value' per intervention" + LOCAL,
        "None (interventions without a Table 1 code score 0).",
    ),
    "so08_deaths_28d_per_1000": Entry(
        PATEL.format(n=8) + " (proxy)",
        DEATHS_EXCLUSIONS,
        (DEATHS_PROXY,),
        ("transfers", "deportations"),
    ),
    "so08_deaths_12m_per_1000": Entry(
        PATEL.format(n=8) + " (proxy)",
        DEATHS_EXCLUSIONS,
        (DEATHS_PROXY,),
        ("transfers", "deportations"),
    ),
    "so09_peer_support_access": Entry(
        PATEL.format(n=9) + "; NDTMS MODAL RECOV / MUTAID" + LOCAL, PEOPLE_IN_TREATMENT
    ),
    "so10_top_quality_of_life_change": Entry(
        PATEL.format(n=10) + " (proxy); " + TOP, TOP_EXCLUSIONS
    ),
    "so10_oasys_relationships_resolved": Entry(
        OASYS.format(n=10), OASYS_EXCLUSIONS, OASYS_DEVIATION
    ),
    "so11_family_referral_children_at_home": Entry(
        PATEL.format(n=11) + " (proxy); NDTMS PRNTSTAT, CHILDWTH, MODAL FAMSUP" + LOCAL,
        PEOPLE_IN_TREATMENT,
    ),
    "so12_family_support_parents": Entry(
        PATEL.format(n=12) + "; NDTMS PRNTSTAT, MODAL FAMSUP" + LOCAL, PEOPLE_IN_TREATMENT
    ),
    "so13_top_paid_work_change": Entry(PATEL.format(n=13) + " (proxy); " + TOP, TOP_EXCLUSIONS),
    "so13_oasys_ete_resolved": Entry(OASYS.format(n=13), OASYS_EXCLUSIONS, OASYS_DEVIATION),
}


def _window(row: dict) -> str:
    periods = row["period_types"].replace(";", ", ").replace("_", " ")
    return f"periods published: {periods}; geographies: {row['geography_types'].replace(';', ', ')}"


def _maturity(row: dict) -> str:
    lag = int(row["maturity_lag_months"] or 0)
    return "final at the end of the period" if lag == 0 else f"{lag} months after the period ends"


def render(catalogue: pl.DataFrame, measured: str = "") -> str:
    """The register page for ``catalogue`` (every indicator must have a :data:`REGISTER` entry)."""
    lines = [
        "# Definitions register",
        "",
        "Generated by `python -m pipelines.indicator_register` from the catalogue "
        "(`seeds/indicator_catalogue.csv`: numerator, denominator, periods, maturity) and "
        "`pipelines/indicator_register.py` (source, exclusions, deviations); "
        "`tests/test_indicator_register.py` keeps the three in step. Rules in backticks "
        "(`transfers`, ...) are the dbt definition rules a mutation test switches off "
        "(`tests/test_definition_rules.py`): each one moves its indicator on simulated data.",
        "",
    ]
    for row in catalogue.iter_rows(named=True):
        entry = REGISTER[row["indicator_id"]]
        deviations = entry.deviations or ("None.",)
        lines += [
            f"### `{row['indicator_id']}`",
            "",
            f"{row['indicator_name']} (sub-outcome {row['sub_outcome_id']}, "
            f"{'proxy' if row['is_proxy'] else 'direct measure'}; unit {row['unit']})",
            "",
            f"- **Source**: {entry.source.rstrip('.')}.",
            f"- **Numerator**: {row['numerator_definition']}",
            f"- **Denominator**: {row['denominator_definition']}",
            f"- **Exclusions**: {entry.exclusions}",
            f"- **Window**: {_window(row)}",
            f"- **Maturity**: {_maturity(row)}",
            "- **Deviations**:" + "".join(f"\n  - {d}" for d in deviations),
            "",
        ]
    if measured:
        lines.append(measured)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> None:
    """Rewrite docs/definitions.md, keeping its measured section."""
    current = DOC_PATH.read_text() if DOC_PATH.exists() else ""
    measured = (
        current[current.index("## Proxy measured") :] if "## Proxy measured" in current else ""
    )
    DOC_PATH.write_text(render(load_catalogue(), measured))
    log.info("wrote %s", DOC_PATH)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main(sys.argv[1:])
