-- Indicator units pre-aggregated by every attribute the marts break down by (indicator, period,
-- prison, local authority, region, sex, ethnic group, age band). Units of median indicators are
-- grouped by their measure too, unit_count saying how many units share it, so the exact median
-- can still be taken (int_indicator_aggregates expands them). Sums are exact decimals, so a
-- rebuild gives the same values to the last bit, and summing cells equals summing their units.
--
-- Event units (one per test, reception, review...) count once in every period containing their
-- month: they arrive as month units only, are aggregated into month cells, and the rolling 12-month
-- cells are sums of twelve month cells (12 times fewer rows to aggregate than placing each unit in
-- every window). Person units (one per person per period: releases, treatment journeys) differ by
-- period and arrive already placed in every period.
{%- set keys = 'indicator_id, period_type, period, start_index, end_index, prison_code, la_code,
    region_code, sex, ethnic_group, age_band, is_median, measure' %}
with medians as (
    select indicator_id from {{ ref('indicator_catalogue') }}
    where unit = 'median_days'
),

event_units as (
    select * from {{ ref('int_indicator_units_custody') }}
    union all
    select * from {{ ref('int_indicator_units_rmdt') }}
    union all
    select * from {{ ref('int_indicator_units_outcomes') }}
    union all
    select * from {{ ref('int_indicator_units_treatment_events') }}
),

person_units as (
    select * from {{ ref('int_indicator_units_releases') }}
    union all
    select * from {{ ref('int_indicator_units_treatment') }}
),

event_cells as (
    {{ indicator_cells('event_units', 'medians', keys) }}
),

person_cells as (
    {{ indicator_cells('person_units', 'medians', keys) }}
),

rolling_event_cells as (
    select
        cells.indicator_id,
        windows.period_type,
        windows.period,
        windows.start_index,
        windows.end_index,
        cells.prison_code,
        cells.la_code,
        cells.region_code,
        cells.sex,
        cells.ethnic_group,
        cells.age_band,
        cells.is_median,
        cells.measure,
        sum(cells.num) as num,
        sum(cells.den) as den,
        sum(cells.num_sq) as num_sq,
        cast(sum(cells.unit_count) as bigint) as unit_count
    from event_cells as cells
    inner join {{ ref('int_periods') }} as windows
        on
            windows.period_type = 'rolling_12m'
            and cells.start_index between windows.start_index and windows.end_index
    group by
        cells.indicator_id, windows.period_type, windows.period, windows.start_index, windows.end_index,
        cells.prison_code, cells.la_code, cells.region_code, cells.sex, cells.ethnic_group, cells.age_band,
        cells.is_median, cells.measure
)

select * from event_cells
union all
select * from rolling_event_cells
union all
select * from person_cells
