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
        unit,
        geography_types,
        breakdowns
    from {{ ref('indicator_catalogue') }}
),

{%- set geographies = {'england': none, 'region': 'region_code', 'local_authority': 'la_code', 'prison': 'prison_code'} -%}
{%- set breakdowns = {'none': none, 'sex': 'sex', 'ethnic_group': 'ethnic_group', 'age_band': 'age_band'} -%}
-- Every geography x breakdown in one pass (standard SQL grouping sets).
grouped as (
    select
        indicator_id,
        period_type,
        period,
        start_index,
        end_index,
        case
            when grouping(region_code) = 0 then 'region'
            when grouping(la_code) = 0 then 'local_authority'
            when grouping(prison_code) = 0 then 'prison'
            else 'england'
        end as geography_type,
        case
            when grouping(region_code) = 0 then region_code
            when grouping(la_code) = 0 then la_code
            when grouping(prison_code) = 0 then prison_code
            else 'E92000001'
        end as geography_code,
        case
            when grouping(sex) = 0 then 'sex'
            when grouping(ethnic_group) = 0 then 'ethnic_group'
            when grouping(age_band) = 0 then 'age_band'
            else 'none'
        end as breakdown,
        case
            when grouping(sex) = 0 then sex
            when grouping(ethnic_group) = 0 then ethnic_group
            when grouping(age_band) = 0 then age_band
            else 'All'
        end as breakdown_value,
        sum(num) as numerator,
        sum(den) as denominator,
        sum(num_sq) as numerator_squares,
        cast(null as double) as median_value,
        count(*) as unit_count
    from units
    group by grouping sets (
        {%- for geo_column in geographies.values() %}
        {%- set geo_loop = loop %}
        {%- for breakdown_column in breakdowns.values() %}
        (
            indicator_id, period_type, period, start_index, end_index
            {%- if geo_column %}, {{ geo_column }}{% endif %}
            {%- if breakdown_column %}, {{ breakdown_column }}{% endif %}
        ){% if not (geo_loop.last and loop.last) %},{% endif %}
        {%- endfor %}
        {%- endfor %}
    )
),

-- Medians (ordered-set aggregates are costly) only over the median indicators' units.
grouped_medians as (
    select
        indicator_id,
        period_type,
        period,
        start_index,
        end_index,
        case
            when grouping(region_code) = 0 then 'region'
            when grouping(la_code) = 0 then 'local_authority'
            when grouping(prison_code) = 0 then 'prison'
            else 'england'
        end as geography_type,
        case
            when grouping(region_code) = 0 then region_code
            when grouping(la_code) = 0 then la_code
            when grouping(prison_code) = 0 then prison_code
            else 'E92000001'
        end as geography_code,
        case
            when grouping(sex) = 0 then 'sex'
            when grouping(ethnic_group) = 0 then 'ethnic_group'
            when grouping(age_band) = 0 then 'age_band'
            else 'none'
        end as breakdown,
        case
            when grouping(sex) = 0 then sex
            when grouping(ethnic_group) = 0 then ethnic_group
            when grouping(age_band) = 0 then age_band
            else 'All'
        end as breakdown_value,
        sum(num) as numerator,
        sum(den) as denominator,
        sum(num_sq) as numerator_squares,
        percentile_cont(0.5) within group (order by measure) as median_value,
        count(*) as unit_count
    from units
    where indicator_id in (select indicator_id from catalogue where unit = 'median_days')
    group by grouping sets (
        {%- for geo_column in geographies.values() %}
        {%- set geo_loop = loop %}
        {%- for breakdown_column in breakdowns.values() %}
        (
            indicator_id, period_type, period, start_index, end_index
            {%- if geo_column %}, {{ geo_column }}{% endif %}
            {%- if breakdown_column %}, {{ breakdown_column }}{% endif %}
        ){% if not (geo_loop.last and loop.last) %},{% endif %}
        {%- endfor %}
        {%- endfor %}
    )
),

aggregated as (
    select grouped.* replace (medians.median_value as median_value)
    from grouped
    left join grouped_medians as medians
        on
            grouped.indicator_id = medians.indicator_id
            and grouped.period = medians.period
            and grouped.geography_type = medians.geography_type
            and grouped.geography_code = medians.geography_code
            and grouped.breakdown = medians.breakdown
            and grouped.breakdown_value = medians.breakdown_value
    inner join catalogue
        on
            grouped.indicator_id = catalogue.indicator_id
            and position(grouped.geography_type in catalogue.geography_types) > 0
            and position(grouped.breakdown in catalogue.breakdowns) > 0
    where grouped.geography_code is not null
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
