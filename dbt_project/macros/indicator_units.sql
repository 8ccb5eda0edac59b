{#- One indicator's unit rows (people or events with their numerator/denominator contribution),
    selected from a CTE carrying: period_type, period, start_index, end_index, prison_code,
    la_code, region_code, sex, ethnic_group, age. Aggregated by int_indicator_aggregates. -#}
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
