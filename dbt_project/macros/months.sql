{#- Month arithmetic on an integer month index (year * 12 + month - 1): portable across engines. -#}
{% macro month_index(date_expr) -%}
    (extract(year from {{ date_expr }}) * 12 + extract(month from {{ date_expr }}) - 1)
{%- endmacro %}

{% macro month_index_from_label(label_expr) -%}
    (cast(substr({{ label_expr }}, 1, 4) as integer) * 12 + cast(substr({{ label_expr }}, 6, 2) as integer) - 1)
{%- endmacro %}

{#- 'YYYY-MM' label of a month index. -#}
{% macro month_label(index_expr) -%}
    (
        cast(cast(floor(({{ index_expr }}) / 12) as integer) as varchar)
        || '-'
        || lpad(cast(cast(({{ index_expr }}) - floor(({{ index_expr }}) / 12) * 12 + 1 as integer) as varchar), 2, '0')
    )
{%- endmacro %}

{#- Whole years between a birth year/month and a date. Only year and month of birth leave the
    identity schema, so a birthday is taken as the 16th of the birth month (null if unknown). -#}
{% macro age_in_years(birth_year, birth_month, date_expr) -%}
    cast(floor((
        {{ month_index(date_expr) }} - ({{ birth_year }} * 12 + coalesce({{ birth_month }}, 7) - 1)
        - case when extract(day from {{ date_expr }}) < 16 then 1 else 0 end
    ) / 12.0) as integer)
{%- endmacro %}

{% macro age_band(age_expr) -%}
    case
        when {{ age_expr }} is null then 'Unknown'
        when {{ age_expr }} < 18 then 'Unknown'
        when {{ age_expr }} < 25 then '18-24'
        when {{ age_expr }} < 30 then '25-29'
        when {{ age_expr }} < 40 then '30-39'
        when {{ age_expr }} < 50 then '40-49'
        else '50+'
    end
{%- endmacro %}

{#- Period label for a period type and its first/last month indexes. -#}
{% macro period_label(period_type, start_index, end_index) -%}
    case {{ period_type }}
        when 'month' then {{ month_label(end_index) }}
        when 'release_cohort' then 'cohort ' || {{ month_label(end_index) }}
        else {{ month_label(start_index) }} || '/' || {{ month_label(end_index) }}
    end
{%- endmacro %}

{#- First day of the month with this index, as a DATE. -#}
{% macro month_start(index_expr) -%}
    cast({{ month_label(index_expr) }} || '-01' as date)
{%- endmacro %}

{#- Month index standing for "still open" (later than any period's last month). -#}
{% macro open_month_index() -%}
    2147483647
{%- endmacro %}
