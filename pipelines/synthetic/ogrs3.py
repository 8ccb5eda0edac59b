"""OGRS3 (Offender Group Reconviction Scale v3) from ``seeds/ogrs3_coefficients.csv``.

x = AgeSex + Status + copas * ln(N / (10 + age_at_conviction - age_at_first_sanction))
+ OffenceCategory; p1 = logistic(intercept_p1 + x), p2 = logistic(intercept_p2 + x).
Ages under 18 use the 18-20 band (the seed holds adult bands only).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from pipelines.synthetic.reference import seed


@cache
def _coefficients() -> dict:
    rows = seed("ogrs3_coefficients").to_dicts()
    coef = {(r["term"], r["key"], r["sex"] or ""): float(r["coefficient"]) for r in rows}
    bands = {
        sex: sorted(
            (int(r["age_min"]), int(r["age_max"]), float(r["coefficient"]))
            for r in rows
            if r["term"] == "age_sex" and r["sex"] == sex
        )
        for sex in ("M", "F")
    }
    return {"coef": coef, "bands": bands}


def ogrs3(
    age: np.ndarray,
    sex: np.ndarray,
    sanctions: np.ndarray,
    age_first: np.ndarray,
    category: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One- and two-year OGRS3 probabilities (vectorised over offenders).

    ``age`` is the age at the current conviction, ``sanctions`` the number of sanction
    occasions including the current one, ``age_first`` the age at the first sanction,
    ``category`` the OGRS3 offence category of the index offence (seed keys).
    """
    c = _coefficients()
    coef, bands = c["coef"], c["bands"]
    age = np.asarray(age, dtype=float)
    sex = np.asarray(sex).astype(str)
    n = np.maximum(np.asarray(sanctions, dtype=float), 1)
    age_sex = np.zeros(len(age))
    for s in ("M", "F"):
        for lo, hi, value in bands[s]:
            lo_ = -1 if lo == 18 else lo
            age_sex[(sex == s) & (np.floor(age) >= lo_) & (np.floor(age) <= hi)] = value
    status = np.where(n > 1, coef[("status", "repeat", "")], coef[("status", "first", "")])
    span = np.maximum(10 + np.floor(age) - np.floor(np.asarray(age_first, dtype=float)), 1)
    copas = coef[("copas", "copas", "")] * np.log(n / span)
    cats = np.asarray(category).astype(str)
    offence = np.array([coef[("offence", k, "")] for k in cats]) if len(cats) else np.zeros(0)
    x = age_sex + status + copas + offence
    p1 = 1 / (1 + np.exp(-(coef[("intercept", "p1", "")] + x)))
    p2 = 1 / (1 + np.exp(-(coef[("intercept", "p2", "")] + x)))
    return p1, p2
