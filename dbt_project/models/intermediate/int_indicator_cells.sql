-- Indicator units pre-aggregated by every attribute the marts break down by (indicator, period,
-- prison, local authority, region, sex, ethnic group, age band) in one pass over the unit views
-- (never written out: at national scale they are ~190M rows). Units of median indicators are
-- grouped by their measure too, unit_count saying how many units share it, so the exact median
-- can still be taken (int_indicator_aggregates expands them). Sums are exact decimals, so a
-- rebuild gives the same values to the last bit.
{%- set cell_keys = ['indicator_id', 'period_type', 'period', 'start_index', 'end_index', 'prison_code',
    'la_code', 'region_code', 'sex', 'ethnic_group', 'age_band'] %}
with units as (
    {% for name in ['custody', 'rmdt', 'releases', 'treatment', 'outcomes'] -%}
        select * from {{ ref('int_indicator_units_' ~ name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

medians as (
    select indicator_id from {{ ref('indicator_catalogue') }}
    where unit = 'median_days'
),

flagged as (
    select
        units.*,
        medians.indicator_id is not null as is_median
    from units
    left join medians on units.indicator_id = medians.indicator_id
)

select
    {{ cell_keys | join(', ') }},
    is_median,
    case when is_median then measure end as measure,
    {#- exact decimal sums: DuckDB's parallel sum of doubles varies in the last bit from run to run #}
    sum(cast(num as decimal(38, 18))) as num,
    sum(cast(den as decimal(38, 18))) as den,
    sum(cast(num_sq as decimal(38, 18))) as num_sq,
    count(*) as unit_count
from flagged
group by {{ cell_keys | join(', ') }}, is_median, case when is_median then measure end
