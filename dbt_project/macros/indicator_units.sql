{#- The rows of a source placed in every reporting period their month falls in, with the
    breakdown attributes under the names indicator_units reads (see indicator_units.yml). -#}
{% macro units_in_periods(relation, month_index_expr, columns=[], age=none, absent=[], where='true',
    period_types=['month', 'rolling_12m']) -%}
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        {{- unit_columns(columns, age, absent) }}
    from {{ relation }} as src
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type in ('{{ period_types | join("', '") }}')
            and {{ month_index_expr }} between periods.start_index and periods.end_index
    where {{ where }}
{%- endmacro %}

{#- The select items every unit row carries after its period: the breakdown attributes of `src`
    (null where absent), the carried columns and the age. -#}
{% macro unit_columns(columns=[], age=none, absent=[]) -%}
    {%- for attribute in ['prison_code', 'la_code', 'region_code', 'sex', 'ethnic_group'] %}
        {{ 'cast(null as varchar)' if attribute in absent else 'src.' ~ attribute }} as {{ attribute }},
    {%- endfor %}
    {%- for column in columns %}
        {{ column }},
    {%- endfor %}
        {{ 'src.' ~ age if age else 'cast(null as integer)' }} as age
{%- endmacro %}

{#- Each person's first row per release cohort and per rolling 12-month window, without placing
    rows in every window (see indicator_units.yml): cohort rows, and one 'first_in_windows' row per
    row giving the span of window ends (start_index..end_index) in which it is the first. -#}
{% macro first_per_person_in_periods(relation, month_index_expr, order_by, columns=[], age=none,
    where='true') -%}
    {%- set selected = unit_columns(columns, age) %}
    with ordered as (
        select
            src.*,
            {{ month_index_expr }} as unit_month,
            lag({{ month_index_expr }}) over (
                partition by src.person_key order by {{ order_by }}
            ) as previous_month
        from {{ relation }} as src
        where {{ where }} and {{ month_index_expr }} is not null
    ),

    -- a row is first in a period holding its month unless the person's previous row is there too:
    -- never when both fall in one month; in the window ending in month m (m - 11 .. m) when
    -- m <= month + 11 and the previous row's month is before m - 11
    firsts as (
        select
            *,
            greatest(unit_month, coalesce(previous_month + 12, unit_month)) as first_window_end
        from ordered
        where previous_month is null or previous_month < unit_month
    )

    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        {{- selected }}
    from firsts as src
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type = 'release_cohort' and src.unit_month = periods.start_index
    union all
    select
        'first_in_windows' as period_type,
        cast(null as varchar) as period,
        src.first_window_end as start_index,
        src.unit_month + 11 as end_index,
        {{- selected }}
    from firsts as src
{%- endmacro %}

{#- One indicator's unit rows (people or events with their numerator/denominator contribution),
    selected from a CTE carrying: period_type, period, start_index, end_index, prison_code,
    la_code, region_code, sex, ethnic_group, age (as units_in_periods writes them). A base whose
    rows each stand for `units` identical units (grouped before the indicators are taken) passes
    units='its count column' (and age_band_column when grouped by age band rather than age): num,
    den and num_sq are then that many units' sums. Aggregated by
    int_indicator_cells. -#}
{% macro indicator_units(base, indicator_id, num, den='1', where='true', num_sq='null', measure='null',
    units='1', age_band_column=none) -%}
    select
        '{{ indicator_id }}' as indicator_id,
        period_type,
        period,
        start_index,
        end_index,
        prison_code,
        la_code,
        region_code,
        coalesce(sex, 'Unknown') as sex,
        coalesce(ethnic_group, 'Not stated') as ethnic_group,
        {{ age_band_column or age_band('age') }} as age_band,
        {#- one unit's contribution as the exact decimal the cells sum, times the units it stands
            for (multiplying the double first would round large counts when cast) #}
        cast(cast({{ num }} as double) as decimal(38, 18)) * {{ units }} as num,
        cast(cast({{ den }} as double) as decimal(38, 18)) * {{ units }} as den,
        cast(cast({{ num_sq }} as double) as decimal(38, 18)) * {{ units }} as num_sq,
        cast({{ measure }} as double) as measure,
        cast({{ units }} as bigint) as unit_count
    from {{ base }}
    where {{ where }}
{%- endmacro %}

{#- 1.0 / 0.0 from a boolean (portable). -#}
{% macro flag(expr) -%}
    case when {{ expr }} then 1.0 else 0.0 end
{%- endmacro %}

{#- Adults only; people of unknown age are kept (shown under age band 'Unknown'). -#}
{% macro is_adult(age_expr) -%}
    ({{ age_expr }} is null or {{ age_expr }} >= 18)
{%- endmacro %}

{#- Units of a relation summed into cells by `keys` (a comma-separated list naming every breakdown
    column, is_median and measure): the measure is kept only for median indicators (listed in
    the `medians` relation); sums are exact decimals. -#}
{% macro indicator_cells(units, medians, keys) -%}
    select
        {{ keys }},
        {#- exact decimal sums: DuckDB's parallel sum of doubles varies in the last bit from run to run #}
        sum(cast(num as decimal(38, 18))) as num,
        sum(cast(den as decimal(38, 18))) as den,
        sum(cast(num_sq as decimal(38, 18))) as num_sq,
        cast(sum(unit_count) as bigint) as unit_count
    from (
        select
            units.* exclude (measure),
            {{ medians }}.indicator_id is not null as is_median,
            case when {{ medians }}.indicator_id is not null then units.measure end as measure
        from {{ units }} as units
        left join {{ medians }} on units.indicator_id = {{ medians }}.indicator_id
    ) as flagged
    group by {{ keys }}
{%- endmacro %}

{#- Cells summed into every rolling 12-month window (int_periods) ending in their span
    (`span_start` <= the window's last month < `span_end`, over `cells`): each cell adds its sums
    at its span's start and takes them away at its end, and running totals in order of the window
    end give each window's sums, one row per window and breakdowns holding any unit (the counts
    of joining every cell to every window it falls in, without those rows). -#}
{% macro cells_in_windows(cells, span_start, span_end) -%}
    {%- set keys = 'indicator_id, prison_code, la_code, region_code, sex, ethnic_group, age_band,
        is_median, measure' %}
    select
        totals.indicator_id,
        windows.period_type,
        windows.period,
        windows.start_index,
        windows.end_index,
        {%- for attribute in keys.split(',')[1:] %}
        totals.{{ attribute | trim }},
        {%- endfor %}
        totals.num,
        totals.den,
        totals.num_sq,
        cast(totals.unit_count as bigint) as unit_count
    from (
        select
            {{ keys }},
            x,
            sum(sum(num)) over running as num,
            sum(sum(den)) over running as den,
            sum(sum(num_sq)) over running as num_sq,
            sum(sum(unit_count)) over running as unit_count,
            lead(x) over running as next_x
        from (
            select
                {{ keys }},
                unnest([{{ span_start }}, {{ span_end }}]) as x,
                unnest([num, -num]) as num,
                unnest([den, -den]) as den,
                unnest([num_sq, -num_sq]) as num_sq,
                unnest([unit_count, -unit_count]) as unit_count
            from {{ cells }} as cells
        ) as deltas
        group by {{ keys }}, x
        window running as (partition by {{ keys }} order by x)
    ) as totals
    inner join {{ ref('int_periods') }} as windows
        on windows.period_type = 'rolling_12m'
            and windows.end_index >= totals.x
            and windows.end_index < totals.next_x
    where totals.unit_count > 0
{%- endmacro %}

{#- Rows of `spans` (one per person and span: span_start <= x < span_end, x a period's last
    month index, and the `keys` columns, period_type among them) counted into every period of
    their type ending in their span (int_periods), one row per period and keys (`units`): +1 at
    each span's start, -1 at its end, summed in order of x within the keys. -#}
{% macro spans_in_periods(spans, keys) -%}
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        cast(null as varchar) as prison_code,
        counts.* exclude (period_type, x, next_x, units),
        cast(counts.units as bigint) as units
    from (
        select
            {{ keys }},
            x,
            sum(sum(delta)) over (partition by {{ keys }} order by x) as units,
            lead(x) over (partition by {{ keys }} order by x) as next_x
        from (
            select
                {{ keys }},
                unnest([span_start, span_end]) as x,
                unnest([1, -1]) as delta
            from {{ spans }}
        ) as deltas
        group by {{ keys }}, x
    ) as counts
    inner join {{ ref('int_periods') }} as periods
        on counts.period_type = periods.period_type
            and periods.end_index >= counts.x
            and periods.end_index < counts.next_x
    where counts.units > 0
{%- endmacro %}
