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
-- period. Treatment units arrive placed in every period. An index release (a person's first in the
-- period) arrives once per release cohort and once as a span of rolling windows (period_type
-- 'first_in_windows': the window ends in which it is the first); span cells are summed into every
-- window ending in their span, as month cells are into every window holding their month.
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

release_units as (
    select * from {{ ref('int_indicator_units_releases') }}
),

person_units as (
    select * from release_units
    where period_type <> 'first_in_windows'
    union all
    select * from {{ ref('int_indicator_units_treatment') }}
),

span_units as (
    select * from release_units
    where period_type = 'first_in_windows'
),

event_cells as (
    {{ indicator_cells('event_units', 'medians', keys) }}
),

person_cells as (
    {{ indicator_cells('person_units', 'medians', keys) }}
),

span_cells as (
    {{ indicator_cells('span_units', 'medians', keys) }}
),

rolling_event_cells as (
    {{ cells_in_windows('event_cells', 'cells.start_index', 'cells.start_index + 12') }}
),

rolling_span_cells as (
    {{ cells_in_windows('span_cells', 'cells.start_index', 'cells.end_index + 1') }}
)

select * from event_cells
union all
select * from rolling_event_cells
union all
select * from person_cells
union all
select * from rolling_span_cells
