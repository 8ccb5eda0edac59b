"""Reference data shared with dbt: the top-level ``seeds/`` CSV files, plus the name pools."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"

#: Region code -> short key used for simulator parameters.
REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
LONDON = "E12000007"

#: PNC 18+1 ethnicity code -> NDTMS ethnicity code.
PNC_TO_NDTMS_ETHNIC = {
    "W1": "A", "W2": "B", "W3": "C", "W4": "C", "W9": "C",
    "M1": "D", "M2": "E", "M3": "F", "M9": "G",
    "A1": "H", "A2": "J", "A3": "K", "A4": "R", "A9": "L",
    "B1": "M", "B2": "N", "B9": "P",
    "O1": "R", "O2": "S", "O9": "S", "NS": "Z",
}  # fmt: skip

#: Share of each PNC ethnicity code among simulated people (outside London, in London).
ETHNICITY_WEIGHTS = {
    "W1": (0.80, 0.42), "W2": (0.01, 0.02), "W3": (0.01, 0.01), "W4": (0.002, 0.005),
    "W9": (0.03, 0.09), "M1": (0.02, 0.04), "M2": (0.005, 0.015), "M3": (0.006, 0.01),
    "M9": (0.006, 0.02), "A1": (0.01, 0.03), "A2": (0.03, 0.04), "A3": (0.005, 0.03),
    "A4": (0.002, 0.005), "A9": (0.006, 0.03), "B1": (0.02, 0.09), "B2": (0.015, 0.09),
    "B9": (0.006, 0.04), "O1": (0.001, 0.002), "O2": (0.003, 0.01), "O9": (0.007, 0.03),
    "NS": (0.02, 0.02),
}  # fmt: skip

ETHNIC_GROUP = {
    "W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "O": "Other", "N": "Not stated",
}  # fmt: skip


def ethnic_group(code: str) -> str:
    """5+1 group of a PNC ethnicity code (O1 Chinese counts as Asian, as in the seed)."""
    return "Asian" if code == "O1" else ETHNIC_GROUP[code[0]]


@cache
def seed(name: str) -> pl.DataFrame:
    """A seed CSV as a polars frame (all columns as read with inference)."""
    return pl.read_csv(SEEDS_DIR / f"{name}.csv", infer_schema_length=10_000)


@dataclass(frozen=True)
class Places:
    """Local authorities, their postcode districts, and prisons, as numpy-friendly arrays."""

    la_code: np.ndarray
    la_region: np.ndarray
    la_weight: np.ndarray
    pc_district: np.ndarray
    pc_la_index: np.ndarray
    prison_code: np.ndarray
    prison_region: np.ndarray
    prison_female: np.ndarray
    prison_local: np.ndarray
    prison_capacity: np.ndarray


@cache
def places() -> Places:
    """Load the local authority, postcode district and prison seeds."""
    las = seed("local_authorities")
    pcs = seed("postcode_districts")
    prisons = seed("prisons")
    la_codes = las["la_code"].to_numpy().astype(str)
    index = {c: i for i, c in enumerate(la_codes)}
    weight = las["population_thousands"].to_numpy().astype(float)
    return Places(
        la_code=la_codes,
        la_region=las["region_code"].to_numpy().astype(str),
        la_weight=weight / weight.sum(),
        pc_district=pcs["postcode_district"].to_numpy().astype(str),
        pc_la_index=np.array([index[c] for c in pcs["la_code"].to_list()]),
        prison_code=prisons["prison_code"].to_numpy().astype(str),
        prison_region=prisons["region_code"].to_numpy().astype(str),
        prison_female=(prisons["population_sex"] == "female").to_numpy(),
        prison_local=(prisons["prison_type"] == "local").to_numpy(),
        prison_capacity=prisons["capacity"].to_numpy().astype(float),
    )


@cache
def offences() -> pl.DataFrame:
    """Offence classification seed with a sampling weight."""
    return seed("offence_classification")


NICKNAMES = {
    "WILLIAM": "BILL", "ROBERT": "BOB", "RICHARD": "DICK", "JAMES": "JIM", "JOHN": "JACK",
    "MICHAEL": "MIKE", "THOMAS": "TOM", "CHRISTOPHER": "CHRIS", "ANTHONY": "TONY",
    "DANIEL": "DAN", "DAVID": "DAVE", "JOSEPH": "JOE", "MATTHEW": "MATT", "NICHOLAS": "NICK",
    "STEVEN": "STEVE", "STEPHEN": "STEVE", "ANDREW": "ANDY", "EDWARD": "TED", "PETER": "PETE",
    "SAMUEL": "SAM", "BENJAMIN": "BEN", "ALEXANDER": "ALEX", "JONATHAN": "JON",
    "TIMOTHY": "TIM", "KENNETH": "KEN", "RONALD": "RON", "GERALD": "GERRY", "PATRICK": "PAT",
    "CHARLES": "CHARLIE", "HENRY": "HARRY", "FREDERICK": "FRED", "DOUGLAS": "DOUG",
    "GARETH": "GAZ", "GARY": "GAZ", "LEONARD": "LEN", "TERENCE": "TERRY", "RAYMOND": "RAY",
    "ELIZABETH": "LIZ", "MARGARET": "MAGGIE", "KATHERINE": "KATE", "CATHERINE": "CATH",
    "JENNIFER": "JENNY", "REBECCA": "BECKY", "SAMANTHA": "SAM", "VICTORIA": "VICKY",
    "CHRISTINE": "CHRIS", "SUSAN": "SUE", "DEBORAH": "DEBBIE", "PATRICIA": "PAT",
    "JACQUELINE": "JACKIE", "ALEXANDRA": "ALEX", "JESSICA": "JESS", "ABIGAIL": "ABBIE",
    "KIMBERLEY": "KIM", "NATALIE": "NAT", "ELEANOR": "ELLIE", "LOUISE": "LOU",
}  # fmt: skip

#: Names with characters outside ASCII (all encodable in cp1252, as DIR requires).
ACCENTED_FORENAMES_F = ["Zoë", "Chloé", "Renée", "Noémie", "Anaïs", "Siân", "Léa"]
ACCENTED_FORENAMES_M = ["José", "Noël", "Jérôme", "André", "Rónán", "Seán", "Zoltán"]
ACCENTED_SURNAMES = ["Müller", "Núñez", "Lefèvre", "Ó Briain", "Søndergaard", "Peña", "Gómez"]
COMPOUND_SURNAMES = ["Smith-Jones", "Taylor-Wood", "Hughes-Davies", "Lloyd-Evans", "O'Neill"]


@dataclass(frozen=True)
class NamePools:
    """Upper-case name pools sampled once from faker (seeded) and then drawn with numpy."""

    male: np.ndarray
    female: np.ndarray
    surname_white: np.ndarray
    surname_asian: np.ndarray
    surname_other: np.ndarray


@cache
def name_pools(seed_value: int, size: int = 4000) -> NamePools:
    """Draw name pools from faker's en_GB (and en_IE / en_IN) providers, deterministically."""
    from faker import Faker

    gb = Faker("en_GB")
    gb.seed_instance(seed_value)
    ie = Faker("en_IE")
    ie.seed_instance(seed_value + 1)
    india = Faker("en_IN")
    india.seed_instance(seed_value + 2)

    def pool(fn, n: int, extra: list[str]) -> np.ndarray:
        names = [fn() for _ in range(n)] + extra * max(1, n // 400)
        return np.array([s.upper() for s in names], dtype=object)

    return NamePools(
        male=pool(gb.first_name_male, size, ACCENTED_FORENAMES_M),
        female=pool(gb.first_name_female, size, ACCENTED_FORENAMES_F),
        surname_white=pool(
            lambda: gb.last_name() if gb.random.random() < 0.8 else ie.last_name(),
            size,
            ACCENTED_SURNAMES + COMPOUND_SURNAMES,
        ),
        surname_asian=pool(india.last_name, size // 2, []),
        surname_other=pool(gb.last_name, size // 2, ACCENTED_SURNAMES),
    )
