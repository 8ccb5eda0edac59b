-- Case-mix strata of the scored indicators (seeds/scorecard.csv) for indirect standardisation:
-- numerator and denominator by sex and age band for England, each prison and each local
-- authority, rolling 12-month periods. The publication turns them into observed and expected
-- counts (pipelines/publish/scorecard.py); nothing here is published as it stands.
with cells as (
    select
        cells.indicator_id,
        cells.period,
        cells.prison_code,
        cells.la_code,
        coalesce(cells.sex, 'unknown') as sex,
        coalesce(cells.age_band, 'unknown') as age_band,
        cells.num,
        cells.den
    from {{ ref('int_indicator_cells') }} as cells
    inner join {{ ref('scorecard') }} as scored on cells.indicator_id = scored.indicator_id
    where cells.period_type = 'rolling_12m' and not cells.is_median
),

areas as (
    select
        indicator_id,
        period,
        'england' as geography_type,
        'E92000001' as geography_code,
        sex,
        age_band,
        num,
        den
    from cells
    union all
    select
        indicator_id,
        period,
        'prison' as geography_type,
        prison_code as geography_code,
        sex,
        age_band,
        num,
        den
    from cells
    where prison_code is not null
    union all
    select
        indicator_id,
        period,
        'local_authority' as geography_type,
        la_code as geography_code,
        sex,
        age_band,
        num,
        den
    from cells
    where la_code is not null
)

select
    indicator_id,
    period,
    geography_type,
    geography_code,
    sex,
    age_band,
    cast(sum(num) as double) as numerator,
    cast(sum(den) as double) as denominator
from areas
group by indicator_id, period, geography_type, geography_code, sex, age_band
