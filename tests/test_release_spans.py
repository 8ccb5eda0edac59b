"""Index releases arrive as spans of rolling windows (``first_per_person_in_periods``); the cells
they give must equal the definition: rank each person's releases inside every release cohort and
rolling 12-month window and count the first. Checked on the demo warehouse, which holds people
released more than once within a year."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

#: (indicator, model, condition on the ranked releases, numerator flag, unit filter after ranking)
INDICATORS = [
    ("so04_proven_reoffending_rate", "int_reoffending", "true", "is_reoffender", "true"),
    (
        "so05_continuity_of_care_21d",
        "int_continuity_of_care",
        "in_treatment",
        "engaged_within_window",
        "exclusion_reason is null",
    ),
]

RANKED = """
    with releases as (
        select * from main_intermediate.{model}
        where not is_deported and (age_at_release is null or age_at_release >= 18)
            and {condition}
    )

    select
        p.period_type,
        p.period,
        r.*,
        row_number() over (
            partition by p.period_type, p.period, r.person_key
            order by r.release_date, r.release_id
        ) as person_rank
    from releases as r
    inner join main_intermediate.int_periods as p
        on p.period_type in ('release_cohort', 'rolling_12m')
            and r.release_month_index between p.start_index and p.end_index
"""


def _by_definition(con, model: str, condition: str, flag: str, unit_filter: str) -> set:
    ranked = RANKED.format(model=model, condition=condition)
    return set(
        con.execute(
            f"""
            select period_type, period, count(*), count(*) filter (where {flag})
            from ({ranked}) as ranked
            where person_rank = 1 and {unit_filter}
            group by all
            """
        ).fetchall()
    )


def _from_cells(con, indicator: str) -> set:
    return set(
        con.execute(
            """
            select period_type, period, cast(sum(den) as bigint), cast(sum(num) as bigint)
            from main_intermediate.int_indicator_cells
            where indicator_id = ? and period_type in ('release_cohort', 'rolling_12m')
            group by all
            """,
            [indicator],
        ).fetchall()
    )


@pytest.mark.parametrize(("indicator", "model", "condition", "flag", "unit_filter"), INDICATORS)
def test_release_cells_equal_ranking_in_every_window(
    demo_warehouse: Path, indicator: str, model: str, condition: str, flag: str, unit_filter: str
) -> None:
    with duckdb.connect(str(demo_warehouse / "warehouse.duckdb"), read_only=True) as con:
        repeats = con.execute(
            f"select count(*) from ({RANKED.format(model=model, condition=condition)}) as ranked "
            "where person_rank = 2 and period_type = 'rolling_12m'"
        ).fetchall()[0][0]
        expected = _by_definition(con, model, condition, flag, unit_filter)
        cells = _from_cells(con, indicator)
    assert repeats > 0, "no one released twice within a window: the test would prove nothing"
    assert {p[0] for p in expected} == {"release_cohort", "rolling_12m"}
    assert cells == expected
