"""Criminal careers: offences, disposals, custody, releases and deaths, vectorised per event.

The simulation loops over *events* (each active person's next offence or death), never over
people or days: every step handles all active people at once with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipelines.synthetic.effects import release_multiplier
from pipelines.synthetic.excluded_cases import care_planned_without_modality
from pipelines.synthetic.population import DAYS_PER_YEAR, People
from pipelines.synthetic.reference import Places, offences

CUSTODY, SUSPENDED, COMMUNITY, FINE, DISCHARGE, CAUTION = 0, 1, 2, 3, 4, 5
RESULT_CODES = np.array(["1002", "1115", "1116", "1015", "1018", "3000"], dtype=object)
SHORT_SENTENCES = np.array([14, 28, 42, 56, 84, 112, 126, 168, 182, 224, 252, 300, 336])
SHORT_WEIGHTS = np.array([4, 14, 10, 14, 12, 10, 6, 8, 8, 4, 4, 3, 3], dtype=float)
FAR = 10**6


@dataclass
class Params:
    """Behavioural parameters of the simulated world (tuned for the calibration targets)."""

    base_log_rate: float = -1.2  # log offences/year at propensity 0, age 30
    age_slope: float = -0.035
    post_release_shape: float = 0.7  # Weibull shape < 1: hazard highest just after release
    treat_mult: float = 0.65  # hazard multiplier while engaged in community treatment
    ost_mult: float = 0.5  # ... while on opioid substitution
    initial_custody: float = 0.10
    long_sentence_mult: float = 0.15  # hazard after release from a sentence of 12 months or more
    transfer_prob: float = 0.4
    # foreign nationals removed at release: about 5% of releases (Home Office returns of foreign
    # national offenders, 3-5k a year, against MoJ's 55-65k releases a year)
    deported_share: float = 0.8
    early_death_opiate: float = 0.006
    early_death_other: float = 0.0008
    annual_death_opiate: float = 0.008
    annual_death_other: float = 0.002


@dataclass
class Events:
    """Growing column lists of simulated events, concatenated at the end."""

    cols: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **arrays: np.ndarray) -> None:
        for k, v in arrays.items():
            self.cols.setdefault(k, []).append(np.asarray(v))

    def frame(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.array([]) for k, v in self.cols.items()}


@dataclass
class World:
    """Place-level parameters drawn once per seed: the differences indicators should find."""

    prison_quality: np.ndarray  # chance a person with need starts treatment in custody
    prison_continuity: np.ndarray  # multiplier on the region's continuity-of-care rate
    prison_supply: np.ndarray  # drug-supply multiplier for rMDT positivity
    prison_inundation: np.ndarray  # (prisons, 2) month index of short inundations
    region_continuity: dict[str, float]
    la_quality: np.ndarray  # community treatment quality (completion, TOP improvement)
    prison_effect: np.ndarray | None = None  # re-offending rate multiplier (effects.py)


REGION_CONTINUITY = {
    "E12000001": 0.62,
    "E12000002": 0.58,
    "E12000003": 0.5,
    "E12000004": 0.45,
    "E12000005": 0.42,
    "E12000006": 0.4,
    "E12000007": 0.3,
    "E12000008": 0.38,
    "E12000009": 0.43,
}


def make_world(rng: np.random.Generator, places: Places, months: int) -> World:
    """Draw prison and area differences."""
    n_p, n_la = len(places.prison_code), len(places.la_code)
    return World(
        prison_quality=rng.uniform(0.70, 0.95, n_p),
        prison_continuity=rng.uniform(0.85, 1.15, n_p),
        prison_supply=np.exp(rng.normal(0, 0.45, n_p)),
        prison_inundation=rng.integers(0, max(months, 1), (n_p, 2)),
        region_continuity=dict(REGION_CONTINUITY),
        la_quality=rng.uniform(-0.6, 0.6, n_la),
    )


class OffenceSampler:
    """Draws offences from the seed's relative frequencies (drug users tilt to acquisitive)."""

    def __init__(self) -> None:
        table = offences()
        self.ho_class = table["ho_class"].to_numpy().astype(str)
        self.cjs_code = table["cjs_code"].to_numpy().astype(str)
        self.category = table["ogrs3_category"].to_numpy().astype(str)
        self.serious = table["serious"].to_numpy().astype(bool)
        self.score = table["seriousness_score"].to_numpy().astype(int)
        base = table["relative_frequency"].to_numpy().astype(float)
        tilt = np.isin(
            self.category,
            ["theft_non_motor", "drug_possession_supply", "burglary_domestic", "handling"],
        )
        self.cdf = np.cumsum(base) / base.sum()
        user = base * np.where(tilt, 2.5, 1.0)
        self.cdf_user = np.cumsum(user) / user.sum()
        heavy = base * (self.score >= 5)
        self.cdf_serious = np.cumsum(heavy) / heavy.sum()

    def draw(
        self, rng: np.random.Generator, user: np.ndarray, propensity: np.ndarray
    ) -> np.ndarray:
        """Offence indexes; low-propensity offenders commit relatively more serious offences."""
        u = rng.random(len(user))
        a = np.searchsorted(self.cdf, u, side="right")
        b = np.searchsorted(self.cdf_user, u, side="right")
        c = np.searchsorted(self.cdf_serious, u, side="right")
        share = 0.04 + 0.30 / (1 + np.exp(2.0 * propensity))
        pick = np.where(rng.random(len(user)) < share, c, np.where(user, b, a))
        return np.minimum(pick, len(self.cdf) - 1)


def choose_disposal(
    rng: np.random.Generator, score: np.ndarray, serious: np.ndarray, priors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Disposal type and custody/suspended sentence length in days."""
    n = len(score)
    p = np.clip(priors, 0, 25)
    logit = -2.3 + 0.13 * p + 0.45 * (score - 3) + 1.5 * serious
    p_cust = 1 / (1 + np.exp(-logit))
    p_caut = np.where(p < 2, 0.40, 0.03) * (1 - serious) * (score <= 3)
    u = rng.random(n)
    rest = rng.choice([SUSPENDED, COMMUNITY, FINE, DISCHARGE], size=n, p=[0.25, 0.35, 0.27, 0.13])
    kind = np.where(u < p_cust, CUSTODY, np.where(u < p_cust + p_caut, CAUTION, rest))
    short = rng.choice(SHORT_SENTENCES, size=n, p=SHORT_WEIGHTS / SHORT_WEIGHTS.sum())
    long_ = np.clip(rng.lognormal(np.log(700 + 120 * np.maximum(score - 5, 0)), 0.5, n), 366, 5000)
    p_long = np.where(score <= 3, 0.06, np.where(score <= 5, 0.35, 0.9))
    sentence = np.where(rng.random(n) < p_long, long_, short).astype(np.int32)
    sentence = np.where(kind == SUSPENDED, np.minimum(sentence, 700), sentence)
    sentence = np.where((kind == CUSTODY) | (kind == SUSPENDED), sentence, 0)
    return kind.astype(np.int8), sentence


def hazard_time(
    rng: np.random.Generator,
    rate: np.ndarray,
    shape: np.ndarray,
    e1: np.ndarray,
    e2: np.ndarray,
    mult: np.ndarray,
) -> np.ndarray:
    """Years to the next event for a Weibull hazard, multiplied by ``mult`` on ``[e1, e2)``."""
    g = rng.exponential(1.0, len(rate))
    e1 = np.minimum(e1, 200.0)
    e2 = np.minimum(np.maximum(e2, e1), 200.0)
    h1 = (rate * e1) ** shape
    he2 = (rate * e2) ** shape
    h2 = h1 + mult * (he2 - h1)
    x_a = g ** (1 / shape) / rate
    x_b = np.maximum((g - h1) / mult + h1, 0) ** (1 / shape) / rate
    x_c = np.maximum((g - h2) + he2, 0) ** (1 / shape) / rate
    return np.where(g <= h1, x_a, np.where(g <= h2, x_b, x_c))


def _pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row, with probability proportional to the row's weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def episode_course(
    rng: np.random.Generator, opiate: np.ndarray, quality: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Natural length (days) and discharge reason of a community treatment episode."""
    n = len(opiate)
    length = np.where(
        opiate, rng.lognormal(np.log(380), 0.8, n), rng.lognormal(np.log(150), 0.7, n)
    )
    p_done = np.where(opiate, 0.27, 0.67) + 0.12 * quality
    u = rng.random(n)
    other = rng.choice(np.array([84, 85, 86, 82]), size=n, p=[0.68, 0.1, 0.05, 0.17])
    done = np.where(rng.random(n) < 0.6, 80, 81)
    reason = np.where(u < p_done, done, other)
    return np.maximum(length, 14).astype(np.int32), reason.astype(np.int16)


class CareerSim:
    """Runs the event loop and records offences, custody, treatment candidates and deaths."""

    def __init__(
        self,
        rng: np.random.Generator,
        people: People,
        places: Places,
        world: World,
        sim_start: int,
        end: int,
        params: Params | None = None,
        chunk: int = 0,
        serials: np.ndarray | None = None,
    ) -> None:
        self.rng, self.p, self.places, self.world = rng, people, places, world
        self.chunk = chunk
        #: distinct 7-digit PNC serial numbers reserved for this chunk
        self.serials = (
            serials
            if serials is not None
            else rng.choice(10_000_000, 2 * people.n + 20, replace=False)
        )
        self.sim_start, self.end = sim_start, end
        self.params = params or Params()
        self.offences = OffenceSampler()
        self.occasions = Events()  # sanction occasions (disposals)
        self.offence_rows = Events()  # offences within occasions
        self.segments = Events()  # custody segments (one prison each)
        self.triages = Events()
        self.secure = Events()  # secure-setting treatment episodes
        self.releases = Events()  # DIR release records: transfers and final releases
        self.community = Events()  # community treatment episodes (criminal-justice routes)
        self.deaths = Events()
        self.destinations = Events()  # destination local authority of final releases
        self.n_occ = 0
        self.n_spell = 0
        self.n_release = 0
        self.sanctions = np.zeros(people.n, dtype=np.int32)
        self.age_first = people.age_first_sanction.copy()
        self.release_effect = np.ones(people.n)  # effects.py: set at release, 1 when off

    # ---------------------------------------------------------------- history before the start
    def backlog(self) -> np.ndarray:
        """Sanctions before the simulated period; returns initial custody receptions (or -1)."""
        rng, p, prm = self.rng, self.p, self.params
        has = ~np.isnan(p.age_first_sanction)
        idx = np.flatnonzero(has)
        first = (p.dob[idx] + p.age_first_sanction[idx] * DAYS_PER_YEAR).astype(np.int64)
        years = np.maximum((self.sim_start - first) / DAYS_PER_YEAR, 0.1)
        rate = np.exp(prm.base_log_rate + p.propensity[idx] - 0.6) * 0.55
        count = 1 + rng.poisson(np.minimum(rate * years, 60))
        in_custody = rng.random(len(idx)) < prm.initial_custody * np.exp(0.5 * p.propensity[idx])
        served = np.where(
            rng.random(len(idx)) < 0.5,
            rng.choice(SHORT_SENTENCES, len(idx)) // 2,
            rng.integers(180, 1500, len(idx)),
        )
        elapsed = (rng.random(len(idx)) * served).astype(np.int64)
        reception = np.where(in_custody, self.sim_start - elapsed, -1)
        last = np.where(in_custody, np.maximum(reception, first), self.sim_start - 1)
        # occasions: the first at ``first``, the rest spread up to ``last``
        person = np.repeat(idx, count)
        k = np.concatenate([np.arange(c) for c in count]) if len(count) else np.zeros(0, int)
        lo, hi = np.repeat(first, count), np.repeat(last, count)
        when = lo + (rng.random(len(person)) * np.maximum(hi - lo, 0)).astype(np.int64)
        when = np.where(k == 0, lo, when)
        is_last = np.repeat(in_custody, count) & (k == np.repeat(count - 1, count))
        when = np.where(is_last, np.repeat(reception, count), when)
        order = np.lexsort((when, person))
        person, when, is_last = person[order], when[order], is_last[order]
        n_prior = np.concatenate([np.arange(c) for c in count])  # after sort by (person, when)
        kind, sentence, n_off, main = self._draw(person, n_prior)
        kind = np.where(is_last, CUSTODY, kind).astype(np.int8)
        sentence = np.where(is_last, np.repeat(served, count)[order] * 2, sentence)
        lag = np.where(
            kind == CAUTION,
            1 + rng.integers(0, 30, len(person)),
            20 + rng.gamma(2, 35, len(person)),
        )
        offence_day = when - lag.astype(np.int64)
        self._record(person, when, kind, sentence, n_off, main, True, offence_day, offence_day - 90)
        np.add.at(self.sanctions, person, 1)
        # people in custody when the simulation starts
        rec = np.full(p.n, -1, dtype=np.int64)
        rec[idx[in_custody]] = reception[in_custody]
        self._initial_served = np.zeros(p.n, dtype=np.int64)
        self._initial_served[idx] = served
        return rec

    def _draw(
        self, person: np.ndarray, priors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Disposal kind, sentence, number of offences and main offence of new occasions."""
        rng = self.rng
        n_off = 1 + rng.poisson(0.3, len(person))
        main = self.offences.draw(rng, self.p.drug_user[person], self.p.propensity[person])
        kind, sentence = choose_disposal(
            rng, self.offences.score[main], self.offences.serious[main], priors
        )
        return kind, sentence, n_off, main

    def _record(
        self,
        person: np.ndarray,
        disposal: np.ndarray,
        kind: np.ndarray,
        sentence: np.ndarray,
        n_off: np.ndarray,
        main: np.ndarray,
        backlog: bool,
        offence_day: np.ndarray,
        free_from: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Record occasions and their offences; returns occasion ids and DRR flags."""
        rng, p = self.rng, self.p
        n = len(person)
        occ = self.n_occ + np.arange(n)
        self.n_occ += n
        drr = (kind == COMMUNITY) & p.drug_user[person] & (rng.random(n) < 0.5)
        self.occasions.add(
            occasion=occ,
            person=person,
            disposal_date=disposal,
            kind=kind,
            sentence=sentence,
            drr=drr,
            main=main,
            backlog=np.full(n, backlog),
        )
        rep = np.repeat(np.arange(n), n_off)
        first = np.zeros(len(rep), dtype=bool)
        if n:
            first[np.concatenate([[0], np.cumsum(n_off)[:-1]])] = True
        extra = self.offences.draw(rng, p.drug_user[person[rep]], p.propensity[person[rep]])
        code = np.where(first, main[rep], extra)
        room = np.clip(offence_day[rep] - free_from[rep] - 1, 0, 60)
        day = offence_day[rep] - np.where(first, 0, (rng.random(len(rep)) * room).astype(np.int64))
        summons = (kind[rep] != CAUTION) & (rng.random(len(rep)) < 0.2)
        arrest = np.where(
            summons, -(10**9), np.minimum(day + rng.integers(0, 4, len(rep)), disposal[rep])
        )
        self.offence_rows.add(
            occasion=occ[rep],
            person=person[rep],
            offence_date=day,
            arrest_date=arrest,
            offence=code,
            backlog=np.full(len(rep), backlog),
        )
        return occ, drr

    # ---------------------------------------------------------------------------- custody
    def _prisons(self, person: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
        pl_, p = self.places, self.p
        region = pl_.la_region[p.la[person]]
        same_region = region[:, None] == pl_.prison_region[None, :]
        sex_ok = (~p.male[person])[:, None] == pl_.prison_female[None, :]
        w = pl_.prison_capacity[None, :] * sex_ok
        if exclude is None:
            w = (
                w
                * np.where(same_region, 1.0, 0.02)
                * np.where(pl_.prison_local, 1.0, 0.05)[None, :]
            )
        else:
            w = w * np.where(same_region, 1.0, 0.3) * np.where(pl_.prison_local, 0.4, 1.0)[None, :]
            w[np.arange(len(person)), exclude] = 0
            w[w.sum(axis=1) == 0] = (pl_.prison_capacity[None, :] * sex_ok)[w.sum(axis=1) == 0]
        return _pick(self.rng, w)

    def custody(
        self,
        person: np.ndarray,
        reception: np.ndarray,
        served: np.ndarray,
        sentence: np.ndarray,
        occasion: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """Receptions, transfers, DIR triage, secure treatment and the release of a batch."""
        rng, p, w, prm = self.rng, self.p, self.world, self.params
        n = len(person)
        spell = self.n_spell + np.arange(n)
        self.n_spell += n
        release = reception + served
        u = rng.random(n)
        rtype = np.where(
            p.foreign[person] & (u < prm.deported_share),
            "DEPORTED",
            np.where(u > 0.92, "END_OF_SENTENCE", "CONDITIONAL"),
        ).astype(object)
        p1 = self._prisons(person)
        transfer = (served > 90) & (rng.random(n) < prm.transfer_prob)
        t_day = reception + (rng.uniform(0.15, 0.6, n) * served).astype(np.int64)
        p2 = self._prisons(person, exclude=p1)
        user = p.opiate[person] | p.crack[person]
        other = p.cocaine[person] | p.cannabis[person] | p.benzo[person]
        p_need = np.where(user, 0.93, np.where(other, 0.45, np.where(p.alcohol[person], 0.5, 0.03)))
        need = rng.random(n) < p_need
        out: dict[str, np.ndarray] = {}
        for seg in (0, 1):
            m = np.ones(n, dtype=bool) if seg == 0 else transfer
            idx = np.flatnonzero(m)
            start = np.where(seg == 0, reception, t_day)[idx]
            end = np.where((seg == 0) & transfer, t_day, release)[idx]
            prison = np.where(seg == 0, p1, p2)[idx]
            final = ~((seg == 0) & transfer[idx])
            kind = np.where(final, rtype[idx], "TRANSFER").astype(object)
            length = end - start
            triage = start + np.minimum(rng.integers(0, 3, len(idx)), np.maximum(length, 0))
            dir_id = self.n_release + np.arange(len(idx))  # shared numbering for triage/release
            self.n_release += len(idx)
            starts = need[idx] & (rng.random(len(idx)) < w.prison_quality[prison])
            t_start = triage + rng.integers(0, 8, len(idx))
            starts &= t_start < end
            opi = p.opiate[person[idx]]
            ost = starts & opi & (rng.random(len(idx)) < 0.8)
            psy = starts & (~ost | (rng.random(len(idx)) < 0.5))
            nat = np.where(
                ost,
                rng.lognormal(np.log(420), 0.6, len(idx)),
                rng.lognormal(np.log(90), 0.6, len(idx)),
            )
            nat_end = t_start + nat.astype(np.int64)
            nat_reason = np.where(
                rng.random(len(idx)) < np.where(ost, 0.35, 0.75),
                np.where(rng.random(len(idx)) < 0.6, 80, 81),
                np.where(rng.random(len(idx)) < 0.7, 84, 85),
            )
            closed = nat_end < end
            ep_end = np.where(closed, nat_end, end)
            reason = np.where(closed, nat_reason, np.where(final, 82, 83))
            open_at_end = starts & ~closed
            self.segments.add(
                person=person[idx],
                spell=spell[idx],
                prison=prison,
                start=start,
                end=end,
                end_type=kind,
                occasion=occasion[idx],
                sentence=sentence[idx],
                reception=reception[idx],
            )
            self.triages.add(
                dir_id=dir_id,
                person=person[idx],
                spell=spell[idx],
                prison=prison,
                date=triage,
                need=need[idx],
                care_planned=care_planned_without_modality(self, need[idx], starts),
                ost=ost,
                psy=psy,
                planned_release=release[idx],
                end=end,
            )
            s = np.flatnonzero(starts)
            self.secure.add(
                person=person[idx][s],
                prison=prison[s],
                start=t_start[s],
                end=ep_end[s],
                reason=reason[s],
                ost=ost[s],
                psy=psy[s],
                submod=(ost & open_at_end)[s],
            )
            self.releases.add(
                release_id=dir_id,
                dir_id=dir_id,
                person=person[idx],
                spell=spell[idx],
                prison=prison,
                date=end,
                release_type=kind,
                in_treatment=open_at_end,
                ost=ost & open_at_end,
                need=need[idx],
                sentence=sentence[idx],
                reception=reception[idx],
                occasion=occasion[idx],
            )
            if seg == 0:
                out = {
                    "in_treatment": np.zeros(n, bool),
                    "ost": np.zeros(n, bool),
                    "prison": p1.copy(),
                    "release_id": np.zeros(n, np.int64),
                }
            out["in_treatment"][idx[final]] = open_at_end[final]
            out["ost"][idx[final]] = (ost & open_at_end)[final]
            out["prison"][idx[final]] = prison[final]
            out["release_id"][idx[final]] = dir_id[final]
        out |= {"release": release, "release_type": rtype, "need": need}
        return out

    def engagement(self, person: np.ndarray, rel: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Community treatment after release (continuity of care) and its hazard effect."""
        rng, p, w, pl_ = self.rng, self.p, self.world, self.places
        n = len(person)
        la = p.la[person].copy()
        move = rng.random(n) < 0.05
        la[move] = rng.integers(0, len(pl_.la_code), move.sum())
        region = pl_.la_region[la]
        q = np.array([w.region_continuity[r] for r in region]) * w.prison_continuity[rel["prison"]]
        p21 = np.clip(q + 0.06 * rel["ost"] - 0.03, 0.03, 0.95)
        u = rng.random(n)
        intreat = rel["in_treatment"]
        delay = np.where(
            u < p21,
            (rng.random(n) ** 1.6 * 22).astype(np.int64),
            np.where(u < p21 + (1 - p21) * 0.25, 22 + rng.integers(0, 100, n), -1),
        )
        delay_need = np.where(rng.random(n) < 0.12, rng.integers(0, 120, n), -1)
        delay = np.where(intreat, delay, np.where(rel["need"], delay_need, -1))
        to_community = rel["release_type"] != "DEPORTED"
        engaged = (delay >= 0) & to_community
        start = rel["release"] + np.maximum(delay, 0)
        opi = p.opiate[person]
        length, reason = episode_course(rng, opi, w.la_quality[la])
        ost = opi & (rng.random(n) < np.where(rel["ost"], 0.9, 0.6))
        e = np.flatnonzero(engaged)
        rfls = np.where(rng.random(n) < 0.7, "PRISON", "CJIT").astype(object)
        self.community.add(
            person=person[e],
            la=la[e],
            start=start[e],
            natural_end=start[e] + length[e],
            reason=reason[e],
            ost=ost[e],
            rfls=rfls[e],
            release_id=rel["release_id"][e],
            origin=np.full(len(e), "release", dtype=object),
        )
        return {
            "la": la,
            "eng_start": np.where(engaged, start, FAR),
            "eng_end": np.where(engaged, start + length, FAR),
            "mult": np.where(ost, self.params.ost_mult, self.params.treat_mult),
            "to_community": to_community,
        }

    # ---------------------------------------------------------------------------- event loop
    def run(self) -> None:
        """Simulate every person from the start of the simulated period to the window's end."""
        rng, p, prm = self.rng, self.p, self.params
        n = p.n
        reception0 = self.backlog()
        t = np.full(n, self.sim_start, dtype=np.int64)
        alive = np.ones(n, dtype=bool)
        post_release = np.zeros(n, dtype=bool)
        eng_start = np.full(n, FAR, dtype=np.int64)
        eng_end = np.full(n, FAR, dtype=np.int64)
        mult = np.ones(n)
        early_protect = np.zeros(n, dtype=bool)
        long_served = np.zeros(n, dtype=bool)
        # initial custody population
        c = np.flatnonzero(reception0 >= 0)
        if len(c):
            served = self._initial_served[c]
            occ = np.full(len(c), -1, dtype=np.int64)
            rel = self.custody(c, reception0[c], served, served * 2, occ)
            long_served[c] = served * 2 >= 365
            self._after_release(
                c, rel, t, post_release, eng_start, eng_end, mult, early_protect, alive
            )
        step = 0
        while True:
            act = np.flatnonzero(alive & (t < self.end))
            if len(act) == 0 or step > 400:
                break
            step += 1
            age = (t[act] - p.dob[act]) / DAYS_PER_YEAR
            rate = np.exp(prm.base_log_rate + p.propensity[act] + prm.age_slope * (age - 30))
            rate = rate * np.where(
                post_release[act] & long_served[act], prm.long_sentence_mult, 1.0
            )
            if self.world.prison_effect is not None:
                rate = rate * np.where(post_release[act], self.release_effect[act], 1.0)
            shape = np.where(post_release[act], prm.post_release_shape, 1.0)
            e1 = np.maximum(eng_start[act] - t[act], 0) / DAYS_PER_YEAR
            e2 = np.maximum(eng_end[act] - t[act], 0) / DAYS_PER_YEAR
            x = hazard_time(rng, rate, shape, e1, e2, mult[act])
            off = t[act] + np.maximum(np.ceil(x * DAYS_PER_YEAR), 1).astype(np.int64)
            opi = p.opiate[act]
            p_early = np.where(opi, prm.early_death_opiate, prm.early_death_other)
            p_early = np.where(early_protect[act], p_early * 0.4, p_early) * post_release[act]
            early = np.where(
                rng.random(len(act)) < p_early, t[act] + rng.integers(1, 29, len(act)), FAR
            )
            annual = np.where(opi, prm.annual_death_opiate, prm.annual_death_other)
            late = t[act] + np.ceil(rng.exponential(1 / annual) * DAYS_PER_YEAR).astype(np.int64)
            death = np.minimum(early, late)
            dies = (death < off) & (death <= self.end)
            d_idx = act[dies]
            self.deaths.add(
                person=d_idx,
                date=death[dies],
                drug_related=(early[dies] <= late[dies])
                | (opi[dies] & (rng.random(dies.sum()) < 0.5)),
            )
            alive[d_idx] = False
            t[d_idx] = death[dies]
            go = ~dies & (off <= self.end)
            t[act[~dies & ~go]] = self.end
            a = act[go]
            off = off[go]
            kind, sentence, n_off, main = self._draw(a, self.sanctions[a])
            lag = np.where(
                kind == CAUTION, 1 + rng.integers(0, 30, len(a)), 20 + rng.gamma(2, 35, len(a))
            ).astype(np.int64)
            disposal = off + lag
            proven = disposal <= self.end
            a, off, disposal = a[proven], off[proven], disposal[proven]
            kind, sentence, n_off, main = (
                kind[proven],
                sentence[proven],
                n_off[proven],
                main[proven],
            )
            t[act[go][~proven]] = self.end
            occ, drr = self._record(a, disposal, kind, sentence, n_off, main, False, off, t[a])
            self.sanctions[a] += 1
            new_first = np.isnan(self.age_first[a])
            self.age_first[a[new_first]] = (
                disposal[new_first] - p.dob[a[new_first]]
            ) / DAYS_PER_YEAR
            cust = kind == CUSTODY
            ci = a[cust]
            if len(ci):
                served = np.ceil(sentence[cust] / 2).astype(np.int64)
                rel = self.custody(ci, disposal[cust], served, sentence[cust], occ[cust])
                long_served[ci] = sentence[cust] >= 365
                self._after_release(
                    ci, rel, t, post_release, eng_start, eng_end, mult, early_protect, alive
                )
            nc = a[~cust]
            t[nc] = disposal[~cust]
            post_release[nc] = False
            # criminal-justice routes into community treatment: DRR and CJIT referrals
            user = p.drug_user[nc] | p.alcohol[nc]
            drr_n = drr[~cust]
            cjit = user & ~drr_n & (rng.random(len(nc)) < 0.08)
            goes = (drr_n & (rng.random(len(nc)) < 0.75)) | cjit
            start = disposal[~cust] + rng.integers(2, 28, len(nc))
            length, reason = episode_course(rng, p.opiate[nc], self.world.la_quality[p.la[nc]])
            ost = p.opiate[nc] & (rng.random(len(nc)) < 0.6)
            g = np.flatnonzero(goes)
            self.community.add(
                person=nc[g],
                la=p.la[nc][g],
                start=start[g],
                natural_end=start[g] + length[g],
                reason=reason[g],
                ost=ost[g],
                rfls=np.where(drr_n, "PROBATION", "CJIT")[g].astype(object),
                release_id=np.full(len(g), -1, dtype=np.int64),
                origin=np.where(drr_n, "drr", "cjit")[g].astype(object),
            )
            eng_start[nc] = np.where(goes, start, FAR)
            eng_end[nc] = np.where(goes, start + length, FAR)
            mult[nc] = np.where(ost, prm.ost_mult, prm.treat_mult)
            early_protect[nc] = False

    def _after_release(
        self, person, rel, t, post_release, eng_start, eng_end, mult, early_protect, alive
    ) -> None:
        eng = self.engagement(person, rel)
        effect = release_multiplier(self.world, rel["prison"])
        if effect is not None:
            self.release_effect[person] = effect
        t[person] = rel["release"]
        post_release[person] = True
        eng_start[person] = eng["eng_start"]
        eng_end[person] = eng["eng_end"]
        mult[person] = eng["mult"]
        early_protect[person] = (eng["eng_start"] - rel["release"] <= 7) & (eng["mult"] < 1)
        # deported people leave the jurisdiction
        gone = ~eng["to_community"]
        alive[person[gone]] = False
        self.destinations.add(release_id=rel["release_id"], la=eng["la"])
