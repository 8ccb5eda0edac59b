-- Indicator cells summed for every geography (per the catalogue's geography_types) and breakdown
-- (per its breakdowns), plus the equality-of-access ratio derived from the access rate.
{#- (geography_type, its code column) and (breakdown, its column): every combination is one
    grouping set of a single pass over the cells. -#}
{%- set geographies = [('region', 'region_code'), ('local_authority', 'la_code'),
    ('prison', 'prison_code')] %}
{%- set breakdowns = [('sex', 'sex'), ('ethnic_group', 'ethnic_group'), ('age_band', 'age_band')] %}
{%- set cell_keys = 'indicator_id, is_median, period_type, period, start_index, end_index' %}
-- a median cell stands for unit_count units with the same measure: one copy each for the median
with cells as (
    select
        *,
        0 as copy_number
    from {{ ref('int_indicator_cells') }}
    where not is_median
    union all
    select
        c.*,
        copies.copy_number
    from {{ ref('int_indicator_cells') }} as c,
        range(c.unit_count) as copies (copy_number)
    where c.is_median
),

catalogue as (
    select
        indicator_id,
        geography_types,
        breakdowns
    from {{ ref('indicator_catalogue') }}
),

grouped as (
    select
        indicator_id,
        period_type,
        period,
        start_index,
        end_index,
        case
            {%- for geography_type, column in geographies %}
                when grouping({{ column }}) = 0 then '{{ geography_type }}'
            {%- endfor %}
            else 'england'
        end as geography_type,
        case
            {%- for _, column in geographies %}
                when grouping({{ column }}) = 0 then {{ column }}
            {%- endfor %}
            else 'E92000001'
        end as geography_code,
        case
            {%- for breakdown, column in breakdowns %}
                when grouping({{ column }}) = 0 then '{{ breakdown }}'
            {%- endfor %}
            else 'none'
        end as breakdown,
        case
            {%- for _, column in breakdowns %}
                when grouping({{ column }}) = 0 then {{ column }}
            {%- endfor %}
            else 'All'
        end as breakdown_value,
        cast(sum(num) filter (where copy_number = 0) as double) as numerator,
        cast(sum(den) filter (where copy_number = 0) as double) as denominator,
        cast(sum(num_sq) filter (where copy_number = 0) as double) as numerator_squares,
        quantile_cont(measure, 0.5) filter (where is_median) as median_value,
        sum(unit_count) filter (where copy_number = 0) as unit_count
    from cells
    -- sqlfluff's DuckDB dialect cannot parse GROUPING SETS
    group by grouping sets (  -- noqa: PRS
        {%- for _, geography in [(none, none)] + geographies %}
            {%- set outer = loop %}
            {%- for _, breakdown in [(none, none)] + breakdowns %}
                ({{ cell_keys }}
                {%- if geography %}, {{ geography }}{% endif %}
                {%- if breakdown %}, {{ breakdown }}{% endif %})
                {%- if not (outer.last and loop.last) %},{% endif %}
            {%- endfor %}
        {%- endfor %}
    )
),

aggregated as (
    select grouped.*
    from grouped
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
