"""Retrain the two Splink models on a warehouse's identity records and save them in the repo.

u by random sampling (fixed seed), m by expectation maximisation on blocked pairs, the prior
from deterministic rules. Run explicitly (``scripts/train_linkage.py``), never by the pipeline.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator

from pipelines.linkage import models
from pipelines.linkage.profiles import named_profiles, ndtms_profiles, prepare

log = logging.getLogger(__name__)

SEED = 20100


def _train_one(
    profiles: pa.Table,
    settings: SettingsCreator,
    prior_rules: list[str],
    prior_recall: float,
    em_rules: tuple[str, ...],
    out: Path,
    max_pairs: float,
) -> dict:
    # one thread: DuckDB's seeded sampling is repeatable only single-threaded
    con = duckdb.connect(config={"threads": 1})
    try:
        sdf = DuckDBAPI(connection=con).register(profiles, table_name="lk_train")
        linker = Linker(sdf, settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            prior_rules, recall=prior_recall
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=SEED)
        for rule in em_rules:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        model = linker.misc.save_model_to_json()
    finally:
        con.close()
    model.pop("linker_uid", None)
    out.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n")
    return model


def train(
    con: duckdb.DuckDBPyConnection,
    month: str,
    out_dir: Path = models.MODELS_DIR,
    max_pairs: float = 2e7,
) -> dict[str, int]:
    """Train both models on identity records up to ``month``; write JSON to ``out_dir``."""
    prepare(con, month)
    named = named_profiles(con)
    ndtms = ndtms_profiles(con)
    out_dir.mkdir(parents=True, exist_ok=True)
    _train_one(
        named,
        models.named_settings(),
        ["l.pnc = r.pnc", "l.full_name = r.full_name and l.dob = r.dob"],
        0.8,
        models.NAMED_EM_BLOCKING,
        out_dir / f"{models.NAMED}.json",
        max_pairs,
    )
    _train_one(
        ndtms,
        models.ndtms_settings(),
        ["l.initials = r.initials and l.dob = r.dob and l.sex = r.sex and l.pc = r.pc"],
        0.6,
        models.NDTMS_EM_BLOCKING,
        out_dir / f"{models.NDTMS}.json",
        max_pairs,
    )
    meta = {
        models.NAMED: {"profiles": named.num_rows},
        models.NDTMS: {"profiles": ndtms.num_rows},
        "trained_on_month": month,
    }
    (out_dir / "training.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    log.info("trained linkage models on %s", meta)
    return {models.NAMED: named.num_rows, models.NDTMS: ndtms.num_rows}
