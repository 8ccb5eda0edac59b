-- Indicator units summed for every geography (per the catalogue's geography_types) and breakdown
-- (per its breakdowns), plus the equality-of-access ratio derived from the access rate.
with units as (
    {% for name in ['custody', 'rmdt', 'releases', 'treatment', 'outcomes'] -%}
        select * from {{ ref('int_indicator_units_' ~ name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

catalogue as (
    select
        indicator_id,
        geography_types,
        breakdowns
    from {{ ref('indicator_catalogue') }}
),

geographies as (
    select
        units.*,
        'england' as geography_type,
        'E92000001' as geography_code
    from units
    union all
    select
        units.*,
        'region',
        region_code
    from units
    where region_code is not null
    union all
    select
        units.*,
        'local_authority',
        la_code
    from units
    where la_code is not null
    union all
    select
        units.*,
        'prison',
        prison_code
    from units
    where prison_code is not null
),

breakdowns as (
    select
        geographies.*,
        'none' as breakdown,
        'All' as breakdown_value
    from geographies
    union all
    select
        geographies.*,
        'sex',
        sex
    from geographies
    union all
    select
        geographies.*,
        'ethnic_group',
        ethnic_group
    from geographies
    union all
    select
        geographies.*,
        'age_band',
        age_band
    from geographies
),

aggregated as (
    select
        b.indicator_id,
        b.period_type,
        b.period,
        b.start_index,
        b.end_index,
        b.geography_type,
        b.geography_code,
        b.breakdown,
        b.breakdown_value,
        sum(b.num) as numerator,
        sum(b.den) as denominator,
        sum(b.num_sq) as numerator_squares,
        percentile_cont(0.5) within group (order by b.measure) as median_value,
        count(*) as unit_count
    from breakdowns as b
    inner join catalogue as c
        on b.indicator_id = c.indicator_id
            and position(b.geography_type in c.geography_types) > 0
            and position(b.breakdown in c.breakdowns) > 0
    group by
        b.indicator_id, b.period_type, b.period, b.start_index, b.end_index,
        b.geography_type, b.geography_code, b.breakdown, b.breakdown_value
),

access as (
    select * from aggregated
    where indicator_id = 'so03_treatment_access_with_need'
),

access_ratio as (
    select
        'so03_treatment_access_ratio' as indicator_id,
        grp.period_type,
        grp.period,
        grp.start_index,
        grp.end_index,
        grp.geography_type,
        grp.geography_code,
        grp.breakdown,
        grp.breakdown_value,
        grp.numerator,
        grp.denominator * overall.numerator / overall.denominator as denominator,
        cast(null as double) as numerator_squares,
        cast(null as double) as median_value,
        grp.unit_count
    from access as grp
    inner join access as overall
        on grp.period = overall.period
            and grp.period_type = overall.period_type
            and grp.geography_type = overall.geography_type
            and grp.geography_code = overall.geography_code
            and overall.breakdown = 'none'
    where overall.denominator > 0
)

select * from aggregated
union all
select * from access_ratio
