"""Reference data the outcome model rests on: catalogue, Table 1, Table 2, OGRS3, offences."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_catalogue_covers_every_sub_outcome_with_provenance() -> None:
    catalogue = rows("indicator_catalogue")
    subs = {r["sub_outcome_id"]: r for r in rows("sub_outcomes")}
    codes = {r["intervention_code"] for r in rows("evidence_matrix") if r["intervention_code"]}
    assert sorted(subs, key=int) == [str(i) for i in range(1, 14)]
    assert {r["sub_outcome_id"] for r in catalogue} == set(subs)
    assert len({r["indicator_id"] for r in catalogue}) == len(catalogue)
    for r in catalogue:
        assert r["primary_outcome"] == subs[r["sub_outcome_id"]]["primary_outcome"]
        assert r["is_proxy"] in ("true", "false")
        assert (r["is_proxy"] == "true") == bool(r["proxy_reason"]), r["indicator_id"]
        assert set(filter(None, r["evidence_codes"].split(";"))) <= codes, r["indicator_id"]
        themes = [int(t) for t in r["service_user_themes"].split(";") if t]
        assert all(1 <= t <= 45 for t in themes)
        assert r["unit"] in {
            "proportion",
            "rate_per_100",
            "rate_per_1000",
            "mean",
            "median_days",
            "ratio",
        }
    proxies = {int(r["sub_outcome_id"]) for r in catalogue if r["is_proxy"] == "true"}
    assert proxies == {6, 8, 10, 11, 13}


def test_evidence_matrix_is_table_1() -> None:
    table = {r["intervention_code"]: r for r in rows("evidence_matrix")}
    assert len(table) == 28
    assert table["J"]["treatment_type"] == "Opioid substitution"
    assert (table["J"]["reduced_drug_use"], table["J"]["total_value"]) == ("3", "8")
    assert table["G"]["total_value"] == "6" and table["Ba"]["total_value"] == "5"
    for r in table.values():
        parts = [
            int(r[k] or 0)
            for k in ("reduced_drug_use", "reduced_use_prison", "reduced_reoffending")
        ]
        assert sum(parts) == int(r["total_value"]), r
    assert [int(r["theme_number"]) for r in rows("service_user_themes")] == list(range(1, 46))


def test_ogrs3_coefficients_reproduce_the_worked_example() -> None:
    c = {
        (r["term"], r["key"], r["sex"]): float(r["coefficient"]) for r in rows("ogrs3_coefficients")
    }
    x = (
        c[("age_sex", "30-34", "M")]
        + c[("status", "repeat", "")]
        + c[("copas", "copas", "")] * math.log(6 / (10 + 30 - 16))
        + c[("offence", "burglary_domestic", "")]
    )
    p1 = 1 / (1 + math.exp(-(c[("intercept", "p1", "")] + x)))
    p2 = 1 / (1 + math.exp(-(c[("intercept", "p2", "")] + x)))
    assert (round(100 * p1, 1), round(100 * p2, 1)) == (21.1, 35.4)
    categories = {k for (term, k, _) in c if term == "offence"}
    assert len(categories) == 20
    offences = rows("offence_classification")
    assert {r["ogrs3_category"] for r in offences} == categories
    assert all(len(r["ho_class"]) == 6 and r["ho_class"][3] == "/" for r in offences)
    assert {r["serious"] for r in offences} == {"true", "false"}


def test_data_dictionary_is_generated_from_the_yaml() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/gen_data_dictionary.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
