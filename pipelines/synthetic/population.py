"""People: true identities and drug-use, offending, family and work profiles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.synthetic.reference import (
    ETHNICITY_WEIGHTS,
    LONDON,
    NamePools,
    Places,
    ethnic_group,
)

DAYS_PER_YEAR = 365.25


@dataclass
class People:
    """Column arrays, one element per person (index = person number)."""

    n: int
    person_id: np.ndarray
    male: np.ndarray
    dob: np.ndarray
    forename: np.ndarray
    middle: np.ndarray
    surname: np.ndarray
    alt_surname: np.ndarray
    ethnicity: np.ndarray
    la: np.ndarray
    postcode: np.ndarray
    offender: np.ndarray
    propensity: np.ndarray
    opiate: np.ndarray
    crack: np.ndarray
    cocaine: np.ndarray
    cannabis: np.ndarray
    benzo: np.ndarray
    alcohol: np.ndarray
    injecting: np.ndarray  # 0 never, 1 previous, 2 current
    sharing: np.ndarray
    foreign: np.ndarray
    parent: np.ndarray
    children_with: np.ndarray
    parental_responsibility: np.ndarray
    employed: np.ndarray
    age_first_sanction: np.ndarray  # years; NaN for no sanction before the simulation
    prison_number: np.ndarray
    crn: np.ndarray
    offender_pk: np.ndarray
    needs: np.ndarray  # (n, 10) latent OASys section levels

    @property
    def drug_user(self) -> np.ndarray:
        return self.opiate | self.crack | self.cocaine | self.cannabis | self.benzo

    @property
    def sex(self) -> np.ndarray:
        return np.where(self.male, "M", "F")


def _letters(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    codes = rng.integers(0, 26, size=(n, k)) + ord("A")
    return codes.astype(np.uint8).view(f"S{k}").ravel().astype(str)


def unique_prison_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct prison numbers ``A1234BC`` (one per person for life)."""
    code = rng.choice(26 * 10_000 * 676, size=n, replace=False)
    first, rest = np.divmod(code, 10_000 * 676)
    digits, last = np.divmod(rest, 676)
    a = (first + ord("A")).astype(np.uint8).view("S1").astype(str)
    b = (last // 26 + ord("A")).astype(np.uint8).view("S1").astype(str)
    c = (last % 26 + ord("A")).astype(np.uint8).view("S1").astype(str)
    out = np.char.add(np.char.add(a, np.char.zfill(digits.astype(str), 4)), np.char.add(b, c))
    return out.astype(object)


def make_people(
    rng: np.random.Generator,
    n: int,
    sim_start: int,
    places: Places,
    names: NamePools,
    first: int = 0,
    prison_number: np.ndarray | None = None,
    offender_pk: np.ndarray | None = None,
) -> People:
    """Draw ``n`` people (numbered from ``first``); three quarters offenders, the rest clients.

    ``prison_number`` and ``offender_pk`` come from the whole run so that they stay unique when
    a large population is simulated in chunks.
    """
    offender = rng.random(n) < 0.75
    male = np.where(offender, rng.random(n) < 0.92, rng.random(n) < 0.70)
    age = 18 + rng.gamma(2.2, 6.5, n)
    age = np.where(offender, age, 20 + rng.gamma(3.0, 5.5, n))
    age = np.clip(age, 17.5, 75)
    dob = (sim_start - age * DAYS_PER_YEAR).astype(np.int32)

    la = rng.choice(len(places.la_code), size=n, p=places.la_weight)
    pc_by_la = [np.flatnonzero(places.pc_la_index == i) for i in range(len(places.la_code))]
    pick = rng.random(n)
    postcode = np.array(
        [
            places.pc_district[pc_by_la[i][int(u * len(pc_by_la[i]))]]
            for i, u in zip(la, pick, strict=True)
        ],
        dtype=object,
    )
    london = places.la_region[la] == LONDON
    codes = np.array(list(ETHNICITY_WEIGHTS), dtype=object)
    w_out = np.array([v[0] for v in ETHNICITY_WEIGHTS.values()])
    w_in = np.array([v[1] for v in ETHNICITY_WEIGHTS.values()])
    eth = np.where(
        london,
        rng.choice(codes, size=n, p=w_in / w_in.sum()),
        rng.choice(codes, size=n, p=w_out / w_out.sum()),
    )

    forename = np.where(
        male, rng.choice(names.male, size=n), rng.choice(names.female, size=n)
    ).astype(object)
    middle = np.where(
        rng.random(n) < 0.55,
        np.where(male, rng.choice(names.male, size=n), rng.choice(names.female, size=n)),
        "",
    ).astype(object)
    group = np.array([ethnic_group(e) for e in eth])
    surname = np.where(
        group == "Asian",
        rng.choice(names.surname_asian, size=n),
        np.where(
            group == "White",
            rng.choice(names.surname_white, size=n),
            rng.choice(names.surname_other, size=n),
        ),
    ).astype(object)
    alt_surname = rng.choice(names.surname_white, size=n).astype(object)

    treat = ~offender
    opiate = rng.random(n) < np.where(offender, 0.30, 0.46)
    crack = rng.random(n) < np.where(opiate, 0.60, np.where(offender, 0.10, 0.08))
    cocaine = rng.random(n) < np.where(offender, 0.18, 0.20)
    cannabis = rng.random(n) < np.where(offender, 0.40, 0.30)
    benzo = rng.random(n) < np.where(opiate, 0.20, 0.04)
    alcohol = rng.random(n) < np.where(offender, 0.22, 0.35)
    # treatment clients all have some problem use
    none = treat & ~(opiate | crack | cocaine | cannabis | benzo | alcohol)
    alcohol = alcohol | (none & (rng.random(n) < 0.5))
    cannabis = cannabis | (none & ~alcohol)
    u = rng.random(n)
    injecting = np.where(opiate, np.where(u < 0.33, 2, np.where(u < 0.55, 1, 0)), 0)
    injecting = np.where(~opiate & (crack | cocaine) & (u < 0.03), 2, injecting).astype(np.int8)
    sharing = (injecting == 2) & (rng.random(n) < 0.25)

    propensity = rng.normal(0, 1.0, n) + 0.55 * opiate + 0.45 * crack + 0.15 * cocaine
    propensity = np.where(offender, propensity, rng.normal(-3.2, 0.6, n))

    parent = rng.random(n) < np.where(male, 0.45, 0.60)
    lives_with = parent & (rng.random(n) < np.where(male, 0.30, 0.55))
    children_with = np.where(lives_with, 1 + rng.poisson(0.7, n), 0).astype(np.int8)
    parental_responsibility = parent & (lives_with | (rng.random(n) < 0.35))
    employed = rng.random(n) < np.where(offender, 0.18, 0.35)
    foreign = offender & (rng.random(n) < 0.07)

    # offenders: most have a criminal history that started before the simulated period
    first_age = 14 + rng.gamma(1.6, 3.0, n)
    has_history = offender & (rng.random(n) < 0.85) & (first_age < age - 0.5)
    age_first = np.where(has_history, first_age, np.nan)

    if prison_number is None:
        prison_number = unique_prison_numbers(rng, n)
    if offender_pk is None:
        offender_pk = rng.permutation(n)
    number = np.arange(first, first + n)
    crn = np.char.add(_letters(rng, n, 1), np.char.zfill(number.astype(str), 6)).astype(object)
    # latent OASys section levels (accommodation, ete, finance, relationships, lifestyle,
    # drugs, alcohol, emotional, thinking, attitudes), 0-8 scale before noise
    base = rng.normal(0, 1, (n, 10))
    risk = propensity[:, None] * 0.6
    needs = np.stack(
        [
            2.0 + base[:, 0] + risk[:, 0],
            3.0 + base[:, 1] + 2.0 * ~employed,
            2.0 + base[:, 2] + risk[:, 0] * 0.5,
            2.0 + base[:, 3],
            2.5 + base[:, 4] + risk[:, 0],
            np.where(opiate | crack, 5.5, np.where(cocaine | cannabis | benzo, 2.5, 0.3))
            + base[:, 5] * 0.8,
            np.where(alcohol, 5.0, 1.0) + base[:, 6],
            2.5 + base[:, 7],
            3.0 + base[:, 8] + risk[:, 0],
            2.0 + base[:, 9] + risk[:, 0],
        ],
        axis=1,
    )
    person_id = np.char.add("P", np.char.zfill((number + 1).astype(str), 7)).astype(object)
    return People(
        n=n,
        person_id=person_id,
        male=male,
        dob=dob,
        forename=forename,
        middle=middle,
        surname=surname,
        alt_surname=alt_surname,
        ethnicity=eth.astype(object),
        la=la,
        postcode=postcode,
        offender=offender,
        propensity=propensity,
        opiate=opiate,
        crack=crack,
        cocaine=cocaine,
        cannabis=cannabis,
        benzo=benzo,
        alcohol=alcohol,
        injecting=injecting,
        sharing=sharing,
        foreign=foreign,
        parent=parent,
        children_with=children_with,
        parental_responsibility=parental_responsibility,
        employed=employed,
        age_first_sanction=age_first,
        prison_number=prison_number,
        crn=crn,
        offender_pk=np.asarray(offender_pk),
        needs=needs,
    )
