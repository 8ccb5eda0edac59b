-- Reporting periods from the first delivered month to the as-of month: calendar months,
-- monthly release cohorts and rolling 12-month windows (only windows fully inside the data).
with digits as (
    select 0 as d
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9
),

offsets as (
    select hundreds.d * 100 + tens.d * 10 + units.d as month_offset
    from digits as hundreds
    cross join digits as tens
    cross join digits as units
),

months as (
    select ctx.first_month_index + offsets.month_offset as month_index
    from {{ ref('int_run_context') }} as ctx
    inner join offsets
        on ctx.first_month_index + offsets.month_offset <= ctx.as_of_month_index
),

typed as (
    select
        'month' as period_type,
        month_index as start_index,
        month_index as end_index
    from months
    union all
    select
        'release_cohort' as period_type,
        month_index as start_index,
        month_index as end_index
    from months
    union all
    select
        'rolling_12m' as period_type,
        month_index - 11 as start_index,
        month_index as end_index
    from months
    where month_index - 11 >= (select ctx.first_month_index from {{ ref('int_run_context') }} as ctx)
)

select
    period_type,
    {{ period_label('period_type', 'start_index', 'end_index') }} as period,
    start_index,
    end_index
from typed
