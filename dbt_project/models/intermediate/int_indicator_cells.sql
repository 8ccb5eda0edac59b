-- Indicator units pre-aggregated by every attribute the marts break down by (indicator, period,
-- prison, local authority, region, sex, ethnic group, age band). Units of median indicators stay
-- one per row (a median cannot be pre-aggregated).
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
)

select
    {{ cell_keys | join(', ') }},
    false as is_median,
    cast(null as double) as measure,
    sum(num) as num,
    sum(den) as den,
    sum(num_sq) as num_sq,
    count(*) as unit_count
from units
where indicator_id not in (select medians.indicator_id from medians)
group by {{ cell_keys | join(', ') }}
union all
select
    {{ cell_keys | join(', ') }},
    true as is_median,
    measure,
    num,
    den,
    num_sq,
    1 as unit_count
from units
where indicator_id in (select medians.indicator_id from medians)
