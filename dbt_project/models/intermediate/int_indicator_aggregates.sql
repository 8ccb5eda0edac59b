-- Indicator cells summed for every geography (per the catalogue's geography_types) and breakdown
-- (per its breakdowns), plus the equality-of-access ratio derived from the access rate.
{%- set geographies = [('england', "'E92000001'"), ('region', 'region_code'),
    ('local_authority', 'la_code'), ('prison', 'prison_code')] %}
{%- set breakdowns = [('none', "'All'"), ('sex', 'sex'), ('ethnic_group', 'ethnic_group'),
    ('age_band', 'age_band')] %}
with catalogue as (
    select
        indicator_id,
        geography_types,
        breakdowns
    from {{ ref('indicator_catalogue') }}
),

grouped as (
    {% for geography_type, geography_column in geographies -%}
        {%- set outer = loop -%}
        {%- for breakdown, breakdown_column in breakdowns -%}
            {%- set middle = loop -%}
            {%- for median in [false, true] %}
                select
                    indicator_id,
                    period_type,
                    period,
                    start_index,
                    end_index,
                    '{{ geography_type }}' as geography_type,
                    {{ geography_column }} as geography_code,
                    '{{ breakdown }}' as breakdown,
                    {{ breakdown_column }} as breakdown_value,
                    sum(num) as numerator,
                    sum(den) as denominator,
                    sum(num_sq) as numerator_squares,
                    {% if median -%}
                        percentile_cont(0.5) within group (order by measure)
                    {%- else -%}
                        cast(null as double)
                    {%- endif %} as median_value,
                    sum(unit_count) as unit_count
                from {{ ref('int_indicator_cells') }}
                where
                    is_median = {{ 'true' if median else 'false' }}
                    and {{ geography_column }} is not null
                group by
                    indicator_id, period_type, period, start_index, end_index,
                    {{ geography_column }}, {{ breakdown_column }}
                {% if not (outer.last and middle.last and loop.last) %}union all{% endif %}
            {%- endfor %}
        {%- endfor %}
    {%- endfor %}
),

aggregated as (
    select grouped.*
    from grouped
    inner join catalogue
        on
            grouped.indicator_id = catalogue.indicator_id
            and position(grouped.geography_type in catalogue.geography_types) > 0
            and position(grouped.breakdown in catalogue.breakdowns) > 0
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
        on
            grp.period = overall.period
            and grp.period_type = overall.period_type
            and grp.geography_type = overall.geography_type
            and grp.geography_code = overall.geography_code
            and overall.breakdown = 'none'
    where overall.denominator > 0
)

select * from aggregated
union all
select * from access_ratio
