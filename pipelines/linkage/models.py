"""The two Splink models (named sources; NDTMS initials) and their trained JSON in the repo.

Models are scored on *profiles* (distinct normalised identity tuples), not on raw records, so a
person's many identical records cost one comparison. The trained JSON keeps Splink's own
settings format; blocking rules are rebuilt at run time so that only pairs involving new
records, not already in one cluster, are scored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import ColumnExpression, SettingsCreator

MODELS_DIR = Path(__file__).parent / "models"
NAMED = "named"
NDTMS = "ndtms"

# Blocking rules (SQL over l./r.), in the spirit of HMPPS person-match.
NAMED_BLOCKING = (
    "l.dob = r.dob and l.pc = r.pc",  # DOB + postcode district
    "l.dob = r.dob and substr(l.forename, 1, 2) = substr(r.forename, 1, 2)"
    " and substr(l.surname, 1, 2) = substr(r.surname, 1, 2)",  # DOB + first letters of names
    "l.dob = r.dob and substr(l.forename, 1, 1) = substr(r.surname, 1, 1)"
    " and substr(l.surname, 1, 1) = substr(r.forename, 1, 1)",  # DOB + swapped names
    "l.forename = r.forename and l.surname = r.surname",  # names (DOB errors)
    "l.surname = r.surname and l.pc = r.pc and year(l.dob) = year(r.dob)",  # names + area
    "l.forename = r.forename and l.pc = r.pc and year(l.dob) = year(r.dob)",  # surname changes
    "l.prison_number = r.prison_number",  # prison number with a DOB error
    "l.pnc = r.pnc",  # exact PNC (already joined deterministically; kept for training)
)
NDTMS_BLOCKING = (
    "l.dob = r.dob and l.sex = r.sex and l.f1 = r.f1",
    "l.dob = r.dob and l.s1 = r.s1",
    "l.dob = r.dob and l.f1 = r.s1 and l.s1 = r.f1",  # swapped initials
    "l.initials = r.initials and l.pc = r.pc and year(l.dob) = year(r.dob)",
    "l.initials = r.initials and l.sex = r.sex and year(l.dob) = year(r.dob)"
    " and day(l.dob) = month(r.dob) and month(l.dob) = day(r.dob)",  # day/month transposed
)

#: Equality keys of the blocking rules (left ; right expressions, ``;``-separated): a month's
#: run sends Splink only the new profiles and the profiles sharing one of these keys with one.
NAMED_KEYS = (
    ("dob;pc", "dob;pc"),
    ("dob;left(forename, 2);left(surname, 2)", "dob;left(forename, 2);left(surname, 2)"),
    ("dob;left(forename, 1);left(surname, 1)", "dob;left(surname, 1);left(forename, 1)"),
    ("forename;surname", "forename;surname"),
    ("surname;pc;year(dob)", "surname;pc;year(dob)"),
    ("forename;pc;year(dob)", "forename;pc;year(dob)"),
    ("prison_number", "prison_number"),
    ("pnc", "pnc"),
)
NDTMS_KEYS = (
    ("dob;sex;f1", "dob;sex;f1"),
    ("dob;s1", "dob;s1"),
    ("dob;f1;s1", "dob;s1;f1"),
    ("initials;pc;year(dob)", "initials;pc;year(dob)"),
    ("initials;sex;year(dob);day(dob);month(dob)", "initials;sex;year(dob);month(dob);day(dob)"),
)

#: Training blocking rules for EM (each leaves the other comparisons free to be estimated).
NAMED_EM_BLOCKING = (
    "l.dob = r.dob",
    "l.forename = r.forename and l.surname = r.surname",
    "l.pnc = r.pnc",
)
NDTMS_EM_BLOCKING = (
    "l.dob = r.dob",
    "l.initials = r.initials and l.pc = r.pc",
)


def _dob_comparison() -> cl.CustomComparison:
    """DOB exact / day-month transposed / one edit / within 1 year / within 5 years / else."""
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(tf_adjustment_column="dob"),
            cll.CustomLevel(
                "year(dob_l) = year(dob_r) and month(dob_l) = day(dob_r)"
                " and day(dob_l) = month(dob_r)",
                label_for_charts="Day and month transposed",
            ),
            cll.DamerauLevenshteinLevel(ColumnExpression("dob").cast_to_string(), 1).configure(
                label_for_charts="One character edit"
            ),
            cll.AbsoluteDateDifferenceLevel(
                "dob", input_is_string=False, threshold=1, metric="year"
            ),
            cll.AbsoluteDateDifferenceLevel(
                "dob", input_is_string=False, threshold=5, metric="year"
            ),
            cll.ElseLevel(),
        ],
    )


def named_settings() -> SettingsCreator:
    """Untrained settings of the named-sources model (PNC, OASys, DIR)."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1e-5,
        comparisons=[
            cl.ForenameSurnameComparison(
                "forename",
                "surname",
                jaro_winkler_thresholds=[0.92, 0.85],
                forename_surname_concat_col_name="full_name",
            ),
            _dob_comparison(),
            cl.ExactMatch("sex"),
            cl.ExactMatch("pnc"),
            cl.ExactMatch("prison_number"),
            cl.ExactMatch("pc").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=list(NAMED_BLOCKING),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )


def ndtms_settings() -> SettingsCreator:
    """Untrained settings of the NDTMS model (initials, DOB, sex, postcode district, LA)."""
    initials = cl.CustomComparison(
        output_column_name="initials",
        comparison_levels=[
            cll.NullLevel("initials"),
            cll.ExactMatchLevel("initials").configure(tf_adjustment_column="initials"),
            cll.ColumnsReversedLevel("f1", "s1", symmetrical=True),
            cll.ExactMatchLevel("s1").configure(label_for_charts="Surname initial only"),
            cll.ExactMatchLevel("f1").configure(label_for_charts="Forename initial only"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1e-5,
        comparisons=[
            initials,
            _dob_comparison(),
            cl.ExactMatch("sex"),
            cl.ExactMatch("pc").configure(term_frequency_adjustments=True),
            cl.ExactMatch("la"),
        ],
        blocking_rules_to_generate_predictions=list(NDTMS_BLOCKING),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )


def model_path(name: str) -> Path:
    return MODELS_DIR / f"{name}.json"


def load_model(name: str) -> dict[str, Any]:
    """The trained Splink settings dict kept in the repo."""
    return json.loads(model_path(name).read_text())


def model_digest(name: str) -> str:
    """Fingerprint of the trained model (a change triggers a full re-scoring)."""
    return hashlib.sha256(model_path(name).read_bytes()).hexdigest()[:16]


def runtime_settings(model: dict[str, Any], rules: tuple[str, ...], extra: str) -> dict:
    """The trained model with its blocking rules restricted by ``extra`` (SQL over l./r.)."""
    settings = dict(model)
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": f"({rule}) and {extra}", "sql_dialect": "duckdb"} for rule in rules
    ]
    settings["linker_uid"] = "outcomes"
    return settings
