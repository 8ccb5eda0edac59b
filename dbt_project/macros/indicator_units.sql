{#- The rows of a source placed in every reporting period their month falls in, with the
    breakdown attributes under the names indicator_units reads (see indicator_units.yml). -#}
{% macro units_in_periods(relation, month_index_expr, columns=[], age=none, absent=[], where='true',
    first_per_person=none, period_types=['month', 'rolling_12m']) -%}
    {%- if first_per_person %}
    select * from (
    {%- endif %}
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        {%- for attribute in ['prison_code', 'la_code', 'region_code', 'sex', 'ethnic_group'] %}
        {{ 'cast(null as varchar)' if attribute in absent else 'src.' ~ attribute }} as {{ attribute }},
        {%- endfor %}
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        {%- if first_per_person %}
        row_number() over (
            partition by periods.period_type, periods.period, src.person_key
            order by {{ first_per_person }}
        ) as person_rank,
        {%- endif %}
        {{ 'src.' ~ age if age else 'cast(null as integer)' }} as age
    from {{ relation }} as src
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type in ('{{ period_types | join("', '") }}')
            and {{ month_index_expr }} between periods.start_index and periods.end_index
    where {{ where }}
    {%- if first_per_person %}
    ) as ranked
    where person_rank = 1
    {%- endif %}
{%- endmacro %}

{#- One indicator's unit rows (people or events with their numerator/denominator contribution),
    selected from a CTE carrying: period_type, period, start_index, end_index, prison_code,
    la_code, region_code, sex, ethnic_group, age (as units_in_periods writes them). Aggregated by
    int_indicator_cells. -#}
{% macro indicator_units(base, indicator_id, num, den='1', where='true', num_sq='null', measure='null') -%}
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
        {{ age_band('age') }} as age_band,
        cast({{ num }} as double) as num,
        cast({{ den }} as double) as den,
        cast({{ num_sq }} as double) as num_sq,
        cast({{ measure }} as double) as measure
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
