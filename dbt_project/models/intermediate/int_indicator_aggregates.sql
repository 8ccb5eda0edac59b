-- Indicator cells summed for every geography (per the catalogue's geography_types) and breakdown
-- (per its breakdowns), plus the equality-of-access ratio derived from the access rate.
{#- (geography_type, its code column) and (breakdown, its column): every combination is one
    group of the cells (and of the median cells). -#}
{%- set geographies = [('region', 'region_code'), ('local_authority', 'la_code'),
    ('prison', 'prison_code')] %}
{%- set breakdowns = [('sex', 'sex'), ('ethnic_group', 'ethnic_group'), ('age_band', 'age_band')] %}
{%- set cell_keys = 'indicator_id, is_median, period_type, period, start_index, end_index' %}
-- Sums and medians are grouped apart: a holistic aggregate (the median) in the same pass gave
-- every group of every indicator a median state, and at twice the national population that
-- pass spilled more than the disk held. Only median cells are grouped for the median, each
-- standing for unit_count units with the same measure (one copy per unit).
with sums as (
    {{ indicator_groupings(ref('int_indicator_cells'), cell_keys, geographies, breakdowns,
        'cast(sum(num) as double) as numerator, cast(sum(den) as double) as denominator,
        cast(sum(num_sq) as double) as numerator_squares, sum(unit_count) as unit_count') }}
),

-- (materialised once: each of the sixteen groupings reads it)
median_units as materialized (
    select
        c.*,
        copies.copy_number
    from {{ ref('int_indicator_cells') }} as c,
        range(c.unit_count) as copies (copy_number)
    where c.is_median
),

medians as (
    {{ indicator_groupings('median_units', cell_keys, geographies, breakdowns,
        'quantile_cont(measure, 0.5) as median_value') }}
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
        sums.indicator_id,
        sums.period_type,
        sums.period,
        sums.start_index,
        sums.end_index,
        sums.geography_type,
        sums.geography_code,
        sums.breakdown,
        sums.breakdown_value,
        sums.numerator,
        sums.denominator,
        sums.numerator_squares,
        medians.median_value,
        sums.unit_count
    from sums
    left join medians
        on
            sums.indicator_id = medians.indicator_id
            and sums.period_type = medians.period_type
            and sums.period = medians.period
            and sums.start_index = medians.start_index
            and sums.end_index = medians.end_index
            and sums.geography_type = medians.geography_type
            and sums.geography_code is not distinct from medians.geography_code
            and sums.breakdown = medians.breakdown
            and sums.breakdown_value is not distinct from medians.breakdown_value
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
