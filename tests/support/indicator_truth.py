# ruff: noqa: E501 (long lines are SQL inside strings)
"""Indicator accuracy: each indicator's published England headline recomputed from the
simulator's ``truth/`` (true people and events, no linkage, no dbt).

The comparison reads what a release contains (``indicators.parquet``: rounded, disclosure
controlled): for each indicator, the latest mature England ``none`` row of its preferred period
type, against the same definition over the same period in ``truth/``. Used by
``tests/test_indicator_accuracy.py`` and ``scripts/accuracy_report.py``. The pipeline itself
never reads ``truth/``. Definitions mirror the catalogue (``seeds/indicator_catalogue.csv``) but
are written independently here, in plain SQL over the truth Parquet files, and follow the
official sources where the simulator knows more than the warehouse can (docs/definitions.md):
continuity of care excludes every death within the window (the warehouse sees only deaths NDTMS
recorded).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipelines.publish.disclosure import COUNT_COLUMNS
from pipelines.publish.tables import VALUE_DECIMALS

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
TRUTH_TABLES = (
    "people",
    "releases",
    "offences",
    "triages",
    "tests",
    "treatment_episodes",
    "modalities",
    "tops",
    "assessments",
    "deaths",
)
#: Tolerances of the acceptance test: proportions in percentage points, the rest relative
#: (each plus half a unit of the last published decimal).
PROPORTION_TOLERANCE = 0.01
RELATIVE_TOLERANCE = 0.02
PREFERRED_PERIOD_TYPES = ("rolling_12m", "release_cohort", "month")
#: MoJ proven re-offending: disposals that prove an offence (convictions, cautions, reprimands,
#: final warnings); breach offences are sanctions but not re-offences.
QUALIFYING_DISPOSALS = "('CONV', 'CAUT', 'REPR', 'FWRN')"
BREACH_CLASSES = "('195/12')"
#: Decimals published per unit (value, in display units: proportions as percentages).
PUBLISHED_DECIMALS = VALUE_DECIMALS
#: Indicators whose counts come from one source joined on deterministic keys (DIR, rMDT, PNC
#: by their own identifiers; NDTMS TOPs within an episode): no probabilistic linkage can move
#: a person in or out, so their published counts must equal truth exactly.
EXACT_COUNTS = frozenset(
    {
        "so01_custody_care_planned",
        "so01_top_opiate_abstinent_or_reduced",
        "so01_top_crack_abstinent_or_reduced",
        "so01_top_injecting_stopped",
        "so01_top_sharing_stopped",
        "so02_rmdt_positive_traditional",
        "so02_rmdt_positive_psychoactive",
        "so02_rmdt_positive_or_refused_traditional",
        "so02_rmdt_refusal_rate",
        "so03_treatment_access_with_need",
        "so03_treatment_access_ratio",
        "so04_proven_reoffending_rate",
        "so04_reoffences_per_100",
        "so04_reoffences_per_reoffender",
        "so04_serious_reoffending_rate",
        "so04_days_to_first_reoffence",
        "so06_top_housing_resolved",
        "so07_top_review_completion",
        "so07_mean_evidence_value",
        "so10_top_quality_of_life_change",
        "so13_top_paid_work_change",
    }
)


@dataclass(frozen=True)
class Comparison:
    """One indicator's published England headline and truth for the same period."""

    indicator_id: str
    sub_outcome_id: int
    unit: str
    period: str
    symbol: str | None
    published: float | None
    truth: float | None
    published_counts: tuple[float | None, float | None] = (None, None)
    truth_counts: tuple[float | None, float | None] = (None, None)
    min_denominator: float = 10.0

    @property
    def error(self) -> float | None:
        if self.published is None or self.truth is None:
            return None
        if self.unit == "proportion":
            return abs(self.published - self.truth)
        if not self.truth:
            return 0.0 if self.published == self.truth else math.inf
        return abs(self.published - self.truth) / abs(self.truth)

    @property
    def tolerance(self) -> float:
        """The tolerance plus half a unit of the last published decimal."""
        half = 0.5 * 10.0 ** -PUBLISHED_DECIMALS[self.unit]
        if self.unit == "proportion":
            return PROPORTION_TOLERANCE + half / 100
        return RELATIVE_TOLERANCE + (half / abs(self.truth) if self.truth else 0.0)

    @property
    def within(self) -> bool:
        return self.error is not None and self.error <= self.tolerance

    @property
    def counts_exact(self) -> bool | None:
        """Published count columns equal truth (None when the indicator is not held to it)."""
        if self.indicator_id not in EXACT_COUNTS or self.published is None:
            return None
        return all(
            self.published_counts[i] == self.truth_counts[i]
            for i, column in enumerate(("numerator", "denominator"))
            if column in COUNT_COLUMNS[self.unit]
        )

    @property
    def withheld_for_own_counts(self) -> bool:
        """Withheld, and truth agrees: a count of 1-4 ([c]) or a denominator below the
        indicator's minimum ([u])."""
        if self.symbol == "[u]":
            return self.truth_counts[1] is not None and self.truth_counts[1] < self.min_denominator
        if self.symbol != "[c]":
            return False
        counts = [
            self.truth_counts[i]
            for i, column in enumerate(("numerator", "denominator"))
            if column in COUNT_COLUMNS[self.unit]
        ]
        return any(c is not None and 1 <= c <= 4 for c in counts)

    @property
    def accepted(self) -> bool:
        """Within tolerance (counts exact where held to it), or withheld for its own counts."""
        if self.withheld_for_own_counts:
            return True
        return self.within and self.counts_exact is not False


def catalogue() -> list[dict[str, str]]:
    """The indicator catalogue seed rows."""
    with open(SEEDS / "indicator_catalogue.csv", newline="") as f:
        return list(csv.DictReader(f))


def _month_start(label: str) -> date:
    return date(int(label[:4]), int(label[5:7]), 1)


def _month_after(label: str) -> date:
    year, month = int(label[:4]), int(label[5:7])
    return date(year + month // 12, month % 12 + 1, 1)


def period_bounds(period: str) -> tuple[date, date]:
    """First day and the day after the last day of a period label."""
    label = period.removeprefix("cohort ")
    first, _, last = label.partition("/")
    return _month_start(first), _month_after(last or first)


def _connect_truth(truth_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in TRUTH_TABLES:
        con.execute(
            f"create view t_{name} as select * from read_parquet('{truth_dir / name}.parquet')"
        )
    con.execute(
        f"create table evidence as select * from read_csv('{SEEDS / 'evidence_matrix.csv'}', "
        "all_varchar = true)"
    )
    return con


def _age(dob: str, at: str) -> str:
    """Whole years between two date expressions."""
    return f"date_diff('year', {dob}, {at}) - case when strftime({at}, '%m%d') < strftime({dob}, '%m%d') then 1 else 0 end"


def _ogrs3_sql() -> str:
    """OGRS3 p1 as SQL over columns sex, age (at the index conviction), n, age_first, category
    (independent of dbt); the seed's adult bands only, so under 18 scores in the 18-20 band."""
    with open(SEEDS / "ogrs3_coefficients.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    coef = {(r["term"], r["key"], r["sex"]): float(r["coefficient"]) for r in rows}
    bands = " ".join(
        f"when sex = '{r['sex']}' and greatest(age, 18) between {r['age_min']} and {r['age_max']} then {r['coefficient']}"
        for r in rows
        if r["term"] == "age_sex"
    )
    offences = " ".join(
        f"when '{r['key']}' then {r['coefficient']}" for r in rows if r["term"] == "offence"
    )
    x = (
        f"(case {bands} end) + (case when n <= 1 then {coef[('status', 'first', '')]} "
        f"else {coef[('status', 'repeat', '')]} end) + {coef[('copas', 'copas', '')]} "
        f"* ln(n / (10.0 + age - least(age_first, age))) + coalesce(case category {offences} end, 0)"
    )
    return f"1 / (1 + exp(-({coef[('intercept', 'p1', '')]} + {x})))"


def _releases_sql(ws: str, we: str) -> str:
    """Index releases (first per person) of adults released to the community in the window."""
    return f"""
        select * from (
            select r.*, p.sex, p.dob,
                row_number() over (partition by r.person_id order by r.release_date, r.release_id) as rk
            from t_releases as r join t_people as p using (person_id)
            where r.release_type not in ('TRANSFER', 'DEPORTED')
                and r.release_date >= {ws} and r.release_date < {we}
                and {_age("p.dob", "r.release_date")} >= 18
        ) where rk = 1"""


def truth_values(truth_dir: Path, periods: dict[str, tuple[str, str]]) -> dict[str, tuple]:
    """(numerator, denominator, value) per indicator for its period, from ``truth/`` only."""
    con = _connect_truth(truth_dir)
    out: dict[str, tuple] = {}
    for indicator_id, (_, period) in periods.items():
        start, after = period_bounds(period)
        ws, we = f"date '{start}'", f"date '{after}'"
        sql = _truth_sql(indicator_id, ws, we)
        if sql is None:
            continue
        num, den, value = con.execute(sql).fetchall()[0]
        out[indicator_id] = (num, den, value)
    con.close()
    return out


def _proportion(cte: str, num: str, den_where: str = "true") -> str:
    return (
        f"with u as ({cte}) select sum(case when {num} then 1 else 0 end), count(*), "
        f"avg(case when {num} then 1.0 else 0.0 end) from u where {den_where}"
    )


def _mean(cte: str, expr: str, where: str = "true") -> str:
    return f"with u as ({cte}) select sum({expr}), count(*), avg({expr}) from u where {where}"


def _truth_sql(ind: str, ws: str, we: str) -> str | None:
    triages = f"""
        select t.*, t.ost or t.psy as modality from t_triages as t join t_people as p using (person_id)
        where t.treatment_need and t.triage_date >= {ws} and t.triage_date < {we}
            and {_age("p.dob", "t.triage_date")} >= 18"""
    tests = f"""
        select *, status = 'TESTED' and (opiates or cannabis or cocaine or benzodiazepines
            or buprenorphine) as pos_trad, status = 'TESTED' and psychoactive as pos_ps
        from t_tests where reason = 'RANDOM' and test_date >= {ws} and test_date < {we}"""
    if ind == "so01_custody_care_planned":
        return _proportion(triages, "care_planned")
    if ind == "so03_treatment_access_with_need":
        return _proportion(triages, "modality")
    if ind == "so03_treatment_access_ratio":
        return f"with u as ({triages}) select count(*) filter (where modality), count(*) filter (where modality), 1.0 from u"
    if ind == "so02_rmdt_positive_traditional":
        return _proportion(tests, "pos_trad", "status = 'TESTED'")
    if ind == "so02_rmdt_positive_psychoactive":
        return _proportion(tests, "pos_ps", "status = 'TESTED'")
    if ind == "so02_rmdt_positive_or_refused_traditional":
        return _proportion(
            tests, "pos_trad or status = 'REFUSED'", "status in ('TESTED', 'REFUSED')"
        )
    if ind == "so02_rmdt_refusal_rate":
        return _proportion(tests, "status = 'REFUSED'")
    if ind.startswith("so04_"):
        return _reoffending_sql(ind, ws, we)
    if ind.startswith(("so05_", "so08_")):
        return _release_need_sql(ind, ws, we)
    if ind.startswith("so07_") or ind in {
        "so09_peer_support_access",
        "so11_family_referral_children_at_home",
        "so12_family_support_parents",
    }:
        return _treatment_sql(ind, ws, we)
    if "_top_" in ind:
        return _top_sql(ind, ws, we)
    if "_oasys_" in ind:
        return _oasys_sql(ind, ws, we)
    return None


def _reoffending_sql(ind: str, ws: str, we: str) -> str:
    base = _reoffending_units(ws, we)
    return {
        "so04_proven_reoffending_rate": f"{base} select sum((k > 0)::int), count(*), avg((k > 0)::int) from u",
        "so04_ogrs3_predicted_rate": f"{base} select sum(p1), count(p1), avg(p1) from u",
        "so04_reoffending_actual_vs_predicted": f"{base} select sum((k > 0)::int), sum(p1), sum((k > 0)::int) / sum(p1) from u where p1 is not null",
        "so04_reoffences_per_100": f"{base} select sum(k), count(*), 100.0 * sum(k) / count(*) from u",
        "so04_reoffences_per_reoffender": f"{base} select sum(k), count(*), avg(k) from u where k > 0",
        "so04_serious_reoffending_rate": f"{base} select sum(serious::int), count(*), avg(serious::int) from u",
        "so04_seriousness_escalation": f"{base} select sum((change > 0)::int), count(change), avg((change > 0)::int) from u where k > 0 and change is not null",
        "so04_days_to_first_reoffence": f"{base} select null, count(*), quantile_cont(days, 0.5) from u where k > 0",
    }[ind]


def _reoffending_units(ws: str, we: str) -> str:
    """CTE chain ending in ``u``: one row per index release with outcome and OGRS3 p1."""
    return f"""
        with cohort as ({_releases_sql(ws, we)}),
        proven as (
            select * from t_offences
            where disposal_date is not null and disposal_type in {QUALIFYING_DISPOSALS}
        ),
        history as (
            select c.release_id, count(distinct o.disposal_date) as n, min(o.disposal_date) as first_date
            from cohort as c join proven as o
                on c.person_id = o.person_id and o.disposal_date <= c.release_date
            group by c.release_id
        ),
        idx as (
            select * from (
                select c.release_id, o.ogrs3_category as category, o.seriousness_score,
                    o.disposal_date as index_date,
                    row_number() over (partition by c.release_id order by (o.result_code = '1002') desc,
                        o.disposal_date desc, o.seriousness_score desc, o.offence_id) as rk
                from cohort as c join proven as o
                    on c.person_id = o.person_id and o.disposal_date <= c.release_date
            ) where rk = 1
        ),
        re as (
            select c.release_id, count(*) as k, min(o.offence_date - c.release_date) as days,
                bool_or(o.serious) as serious, max(o.seriousness_score) as max_seriousness
            from cohort as c join proven as o
                on c.person_id = o.person_id and o.offence_date >= c.release_date
                and o.offence_date < c.release_date + interval 12 month
                and o.disposal_date < c.release_date + interval 18 month
                and o.ho_class not in {BREACH_CLASSES}
            group by c.release_id
        ),
        inputs as (
            select c.release_id, c.sex, {_age("c.dob", "c.release_date")} as age_at_release,
                {_age("c.dob", "i.index_date")} as age, h.n,
                {_age("c.dob", "h.first_date")} as age_first, coalesce(i.category, 'other') as category,
                i.seriousness_score as index_seriousness
            from cohort as c
            left join history as h using (release_id)
            left join idx as i using (release_id)
        ),
        u as (
            select inputs.release_id, coalesce(re.k, 0) as k, re.days, coalesce(re.serious, false) as serious,
                re.max_seriousness - inputs.index_seriousness as change,
                case when inputs.n >= 1 and inputs.age_at_release >= 18 then {_ogrs3_sql()} end as p1
            from inputs left join re using (release_id)
        )"""


def deaths_proxy_gap(truth_dir: Path, period: str) -> dict[str, tuple[float, float]]:
    """What the NDTMS-only deaths leave out, from ``truth/`` over ``period``: per indicator
    (value with deaths NDTMS recorded, value with every death). For the deaths proxies that is
    the rate per 1,000; for continuity of care (C20), the rate excluding recorded deaths only
    (as the warehouse can) and excluding every death in the window (the official rule)."""
    start, after = period_bounds(period)
    ws, we = f"date '{start}'", f"date '{after}'"
    con = _connect_truth(truth_dir)
    out = {}
    for ind in ("so08_deaths_28d_per_1000", "so08_deaths_12m_per_1000"):
        recorded = con.execute(_release_need_sql(ind, ws, we)).fetchone()[2]
        every = con.execute(_release_need_sql(ind, ws, we, every_death=True)).fetchone()[2]
        out[ind] = (float(recorded), float(every))
    c20 = "so05_continuity_of_care_21d"
    recorded = con.execute(_release_need_sql(c20, ws, we, every_death=False)).fetchone()[2]
    every = con.execute(_release_need_sql(c20, ws, we)).fetchone()[2]
    out[c20] = (float(recorded), float(every))
    con.close()
    return out


def _release_need_sql(ind: str, ws: str, we: str, every_death: bool | None = None) -> str:
    """Continuity of care and deaths after release. Deaths: continuity of care excludes every
    death in the window (C20) and the deaths proxies count NDTMS-recorded deaths, unless
    ``every_death`` says otherwise (used to measure the proxies)."""
    treated = ind.startswith("so05_")
    if every_death is None:
        every_death = treated
    need = (
        "r.in_treatment_at_release"
        if treated
        else "(r.in_treatment_at_release or r.treatment_need)"
    )
    base = f"""
        with cohort as (
            select * from (
                select r.*, row_number() over (partition by r.person_id order by r.release_date, r.release_id) as rk
                from t_releases as r join t_people as p using (person_id)
                where r.release_type not in ('TRANSFER', 'DEPORTED') and {need}
                    and r.release_date >= {ws} and r.release_date < {we}
                    and {_age("p.dob", "r.release_date")} >= 18
            ) where rk = 1
        ),
        recorded_deaths as (
            select person_id, min(death_date) as death_date from t_deaths where in_treatment group by 1
        ),
        all_deaths as (select person_id, min(death_date) as death_date from t_deaths group by 1),
        counted_deaths as (select * from {"all_deaths" if every_death else "recorded_deaths"}),
        u as (
            select c.release_id,
                exists (
                    select 1 from t_treatment_episodes as e
                    where e.person_id = c.person_id and e.setting = 'COMMUNITY' and (
                        (e.triage_date >= c.release_date and e.triage_date <= c.release_date + 21)
                        or (e.triage_date < c.release_date
                            and (e.discharge_date is null or e.discharge_date >= c.release_date)))
                ) as engaged,
                d.death_date - c.release_date as days_to_death,
                d.death_date < c.release_date + interval 12 month as died_12m
            from cohort as c
            left join counted_deaths as d on d.person_id = c.person_id and d.death_date >= c.release_date
        )"""
    if treated:
        # OHID C20 excludes deaths within the window, recorded in treatment or not
        return (
            f"{base} select sum(engaged::int), count(*), avg(engaged::int) from u "
            "where days_to_death is null or days_to_death > 21"
        )
    if ind == "so08_deaths_28d_per_1000":
        flag = "coalesce(days_to_death <= 28, false)"
    else:
        flag = "coalesce(died_12m, false)"
    return f"{base} select sum({flag}::int), count(*), 1000.0 * avg({flag}::int) from u"


def _treatment_sql(ind: str, ws: str, we: str) -> str:
    episodes = """
        select e.*, p.dob, p.children_living_with > 0 as with_children, p.parent,
            e.drug_group in ('non_opiate', 'non_opiate_and_alcohol') as non_opiate_episode
        from t_treatment_episodes as e join t_people as p using (person_id)
        where e.setting = 'COMMUNITY'"""
    if ind in {
        "so07_ni40_effective_treatment",
        "so07_c19a_completion_opiate",
        "so07_c19b_completion_non_opiate",
    }:
        journeys = f"""
            with ep as ({episodes}),
            flagged as (
                select *, case when prev_end is null or date_diff('day', prev_end, triage_date) + 1 > 21
                    then 1 else 0 end as new_journey
                from (
                    select *, max(coalesce(discharge_date, date '9999-12-31')) over (
                        partition by person_id order by triage_date, episode_id
                        rows between unbounded preceding and 1 preceding) as prev_end
                    from ep
                )
            ),
            numbered as (
                select *, sum(new_journey) over (partition by person_id order by triage_date, episode_id
                    rows between unbounded preceding and current row) as seq
                from flagged
            ),
            journeys as (
                select person_id, seq, min(triage_date) as js,
                    case when count(discharge_date) = count(*) then max(discharge_date) end as je,
                    arg_max(discharge_reason, coalesce(discharge_date, date '9999-12-31')) as reason,
                    arg_max(submod, coalesce(discharge_date, date '9999-12-31')) as submod,
                    bool_or(opiate) as opiate, bool_or(crack) as crack,
                    bool_or(non_opiate_episode) as non_opiate_any,
                    min({_age("dob", "triage_date")}) as age
                from numbered group by person_id, seq
            ),
            nexts as (
                select *, lead(js) over (partition by person_id order by seq) as next_start from journeys
            ),
            active as (
                select * from (
                    select *, row_number() over (partition by person_id order by js desc, seq desc) as rk
                    from nexts where js < {we} and (je is null or je >= {ws})
                ) where rk = 1 and age >= 18
            ),
            u as (
                select *,
                    case when je is null or je >= {we} then date_diff('day', js, {we}) >= 84
                        else date_diff('day', js, je) >= 84 or reason in (80, 81, 82, 83)
                    end as effective,
                    je is not null and je >= {ws} and je < {we} and reason in (80, 81)
                        and not (opiate and coalesce(submod, false))
                        and not coalesce(next_start < je + interval 6 month, false) as completed
                from active
            )"""
        if ind == "so07_ni40_effective_treatment":
            return f"{journeys} select sum(effective::int), count(*), avg(effective::int) from u where opiate or crack"
        where = (
            "opiate" if ind == "so07_c19a_completion_opiate" else "not opiate and non_opiate_any"
        )
        return f"{journeys} select sum(completed::int), count(*), avg(completed::int) from u where {where}"
    if ind == "so07_mean_evidence_value":
        return f"""
            select sum(coalesce(ev.total_value::int, 0)), count(*), avg(coalesce(ev.total_value::int, 0))
            from t_modalities as m left join evidence as ev on m.intcode = ev.intervention_code
            where m.start_date >= {ws} and m.start_date < {we}"""
    if ind == "so07_top_review_completion":
        return f"""
            with starts as (
                select episode_id, min(top_date) as sd from t_tops where stage = 'S' group by 1
            ),
            reviews as (
                select t.episode_id, min(t.top_date) as rd
                from t_tops as t join starts as s using (episode_id)
                where t.stage = 'R' and t.top_date >= s.sd group by 1
            ),
            u as (
                select s.episode_id, s.sd + interval 7 month as due, r.rd,
                    r.rd is not null and r.rd <= s.sd + interval 7 month as done
                from starts as s join t_treatment_episodes as e using (episode_id)
                left join reviews as r using (episode_id)
                where e.setting = 'COMMUNITY'
                    and (e.discharge_date is null or e.discharge_date >= s.sd + interval 7 month)
            )
            select sum(done::int), count(*), avg(done::int) from u where due >= {ws} and due < {we}"""
    people = f"""
        with ep as (
            select * from ({episodes}) where triage_date < {we} and (discharge_date is null or discharge_date >= {ws})
        ),
        mods as (
            select m.person_id,
                bool_or(m.modality in ('RECOV', 'MUTAID') and m.start_date >= {ws} and m.start_date < {we}) as peer,
                bool_or(m.modality = 'FAMSUP' and m.referral_date >= {ws} and m.referral_date < {we}) as fam_ref,
                bool_or(m.modality = 'FAMSUP' and m.start_date >= {ws} and m.start_date < {we}) as fam_start
            from t_modalities as m join ep using (episode_id) group by 1
        ),
        u as (
            select ep.person_id, arg_max({_age("dob", "triage_date")}, triage_date) as age,
                bool_or(with_children) as with_children, bool_or(parent) as parent,
                coalesce(any_value(mods.peer), false) as peer,
                coalesce(any_value(mods.fam_ref), false) as fam_ref,
                coalesce(any_value(mods.fam_start), false) as fam_start
            from ep left join mods using (person_id) group by ep.person_id
        )"""
    if ind == "so09_peer_support_access":
        return f"{people} select sum(peer::int), count(*), avg(peer::int) from u where age >= 18"
    if ind == "so11_family_referral_children_at_home":
        return f"{people} select sum(fam_ref::int), count(*), avg(fam_ref::int) from u where age >= 18 and with_children"
    return f"{people} select sum(fam_start::int), count(*), avg(fam_start::int) from u where age >= 18 and parent"


def _top_sql(ind: str, ws: str, we: str) -> str:
    base = f"""
        with starts as (
            select * from (
                select *, row_number() over (partition by episode_id order by top_date, top_id) as rk
                from t_tops where stage = 'S'
            ) where rk = 1
        ),
        reviews as (
            select * from (
                select t.*, row_number() over (partition by t.episode_id order by t.top_date, t.top_id) as rk
                from t_tops as t join starts as s on t.episode_id = s.episode_id and t.top_date >= s.top_date
                where t.stage = 'R'
            ) where rk = 1
        ),
        u as (
            select s.opiuse as s_opi, r.opiuse as r_opi, s.crause as s_cra, r.crause as r_cra,
                s.ivdrguse as s_inj, r.ivdrguse as r_inj, s.sharing as s_sh, r.sharing as r_sh,
                s.acuthpblm as s_h, r.acuthpblm as r_h, r.quallife - s.quallife as qol,
                r.pwork - s.pwork as work
            from starts as s
            join reviews as r using (episode_id)
            join t_treatment_episodes as e using (episode_id)
            join t_people as p on p.person_id = e.person_id
            where r.top_date >= {ws} and r.top_date < {we} and {_age("p.dob", "e.triage_date")} >= 18
        )"""
    return {
        "so01_top_opiate_abstinent_or_reduced": f"{base} select sum((r_opi < s_opi)::int), count(*), avg((r_opi < s_opi)::int) from u where s_opi > 0",
        "so01_top_crack_abstinent_or_reduced": f"{base} select sum((r_cra < s_cra)::int), count(*), avg((r_cra < s_cra)::int) from u where s_cra > 0",
        "so01_top_injecting_stopped": f"{base} select sum((r_inj = 0)::int), count(*), avg((r_inj = 0)::int) from u where s_inj > 0",
        "so01_top_sharing_stopped": f"{base} select sum((not r_sh)::int), count(*), avg((not r_sh)::int) from u where s_sh",
        "so06_top_housing_resolved": f"{base} select sum((not r_h)::int), count(*), avg((not r_h)::int) from u where s_h",
        "so10_top_quality_of_life_change": f"{base} select sum(qol), count(qol), avg(qol) from u",
        "so13_top_paid_work_change": f"{base} select sum(work), count(work), avg(work) from u",
    }[ind]


#: OASys section and need threshold of each OASys indicator.
_OASYS = {
    "so06_oasys_accommodation_resolved": ("accommodation", 2),
    "so06_oasys_finance_resolved": ("finance", 2),
    "so10_oasys_relationships_resolved": ("relationships", 2),
    "so13_oasys_ete_resolved": ("ete", 3),
}


def _oasys_sql(ind: str, ws: str, we: str) -> str:
    section, threshold = _OASYS[ind]
    return f"""
        with ordered as (
            select a.*, p.dob, row_number() over (partition by a.person_id
                order by a.assessment_date, a.assessment_id) as seq
            from t_assessments as a join t_people as p using (person_id)
        ),
        u as (
            select f.{section}_score >= {threshold} as first_need, n.{section}_score >= {threshold} as need
            from ordered as f join ordered as n on f.person_id = n.person_id and f.seq = 1 and n.seq = 2
            where n.assessment_date >= {ws} and n.assessment_date < {we}
                and {_age("n.dob", "n.assessment_date")} >= 18
        )
        select sum((not need)::int), count(*), avg((not need)::int) from u where first_need"""


def release_headlines(release: Path) -> dict[str, dict]:
    """Per indicator, the release's latest mature England ``none`` row of its preferred period
    type, with the value back in indicator units (percentages as proportions)."""
    frame = pl.read_parquet(release / "indicators.parquet").filter(
        (pl.col("geography_type") == "england")
        & (pl.col("breakdown") == "none")
        & (pl.col("status") != "not_yet_mature")
    )
    out: dict[str, dict] = {}
    for (indicator_id,), rows in frame.group_by("indicator_id"):
        present = set(rows["period_type"])
        period_type = next(t for t in PREFERRED_PERIOD_TYPES if t in present)
        rows = rows.filter(pl.col("period_type") == period_type)
        row = rows.filter(pl.col("period") == rows["period"].max()).row(0, named=True)
        if row["unit"] == "percentage" and row["value"] is not None:
            row["value"] /= 100
        out[indicator_id] = row
    return out


def compare(release: Path, truth_dir: Path) -> list[Comparison]:
    """Each catalogue indicator's published England headline (see :func:`release_headlines`)
    beside the truth for the same period."""
    headlines = release_headlines(release)
    periods = {ind: (row["period_type"], row["period"]) for ind, row in headlines.items()}
    truth = truth_values(truth_dir, periods)
    out = []
    for entry in catalogue():
        ind = entry["indicator_id"]
        pub = headlines.get(ind, {})
        tru = truth.get(ind, (None, None, None))
        out.append(
            Comparison(
                indicator_id=ind,
                sub_outcome_id=int(entry["sub_outcome_id"]),
                unit=entry["unit"],
                period=pub.get("period", ""),
                symbol=pub.get("symbol"),
                published=pub.get("value"),
                truth=float(tru[2]) if tru[2] is not None else None,
                published_counts=(pub.get("numerator"), pub.get("denominator")),
                truth_counts=tuple(float(v) if v is not None else None for v in tru[:2]),
                min_denominator=float(entry["min_denominator"] or 10),
            )
        )
    return out


def markdown_table(comparisons: list[Comparison]) -> str:
    """The truth-vs-published table as Markdown."""
    lines = [
        "| indicator | sub-outcome | unit | period | published | truth | error | tolerance | counts | accepted |",
        "|---|---:|---|---|---:|---:|---:|---:|---|---|",
    ]
    for c in comparisons:

        def fmt(v: float | None, unit: str = c.unit, symbol: str | None = c.symbol) -> str:
            if v is None:
                return symbol or "-"
            return f"{100 * v:.2f}%" if unit == "proportion" else f"{v:.3f}"

        if c.error is None:
            err = "-"
        elif c.unit == "proportion":
            err = f"{100 * c.error:.2f} pp"
        else:
            err = f"{100 * c.error:.2f}%"
        tol = (
            f"{100 * c.tolerance:.2f} pp" if c.unit == "proportion" else f"{100 * c.tolerance:.1f}%"
        )
        counts = {None: "-", True: "exact", False: "DIFFER"}[c.counts_exact]
        if c.withheld_for_own_counts:
            counts = f"withheld {c.symbol}: own counts"
        lines.append(
            f"| `{c.indicator_id}` | {c.sub_outcome_id} | {c.unit} | {c.period} | "
            f"{fmt(c.published)} | {fmt(c.truth)} | {err} | {tol} | {counts} | "
            f"{'yes' if c.accepted else 'NO'} |"
        )
    return "\n".join(lines)


def publish_from_warehouse(warehouse: Path, out: Path) -> Path:
    """Build the release of a warehouse's run month into ``out`` (as the release asset does,
    without Dagster) and return its folder."""
    from pipelines.catalogue import load_catalogue
    from pipelines.publish.assets import warehouse_frames
    from pipelines.publish.release import ReleaseInputs, publish_release
    from pipelines.publish.scope import load_scope, resolve_scope

    catalogue, scope = load_catalogue(), load_scope()
    slices = resolve_scope(scope, catalogue["indicator_id"].to_list())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        indicators, geography, manifest = warehouse_frames(con, slices)
        (month,) = con.execute(
            "select as_of_month from main_intermediate.int_run_context"
        ).fetchone()
    inputs = ReleaseInputs(month, indicators, catalogue, geography, manifest, scope=scope)
    return publish_release(out, inputs)


#: Groups of the equality-of-access ratio: breakdown -> SQL of the group over truth triages
#: with their person's columns (age at triage from the true date of birth).
ACCESS_GROUPS = {
    "sex": "case sex when 'F' then 'Female' when 'M' then 'Male' end",
    "ethnic_group": "ethnic_group",
    "age_band": "case when age < 25 then '18-24' when age < 30 then '25-29' when age < 40 "
    "then '30-39' when age < 50 then '40-49' else '50+' end",
}


def access_ratio_truth(truth_dir: Path, period: str) -> dict[tuple[str, str], tuple]:
    """England's equality-of-access ratio per group in ``period`` from ``truth/``: (breakdown,
    group) -> (observed, expected, ratio), where observed = adult triages with need in the group
    that got a prison modality and expected = the group's triages x the overall rate."""
    start, after = period_bounds(period)
    con = _connect_truth(truth_dir)
    con.execute(
        f"""create view access as
        select t.ost or t.psy as modality, p.*, {_age("p.dob", "t.triage_date")} as age
        from t_triages as t join t_people as p using (person_id)
        where t.treatment_need and t.triage_date >= date '{start}'
            and t.triage_date < date '{after}'
            and {_age("p.dob", "t.triage_date")} >= 18"""
    ).fetchall()
    (rate,) = con.execute("select avg(modality::int::double) from access").fetchone()
    out = {}
    for breakdown, group in ACCESS_GROUPS.items():
        rows = con.execute(
            f"select {group} as g, count(*) filter (where modality), count(*) from access group by g"
        ).fetchall()
        out |= {(breakdown, g): (obs, n * rate, obs / (n * rate)) for g, obs, n in rows}
    con.close()
    return out
