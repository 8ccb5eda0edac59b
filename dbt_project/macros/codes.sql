{#- Standard display values for the breakdowns in docs/indicator-table.md. -#}
{% macro sex_label(code) -%}
    case upper(trim({{ code }})) when 'M' then 'Male' when 'F' then 'Female' else 'Unknown' end
{%- endmacro %}

{% macro clean_code(expr) -%}
    nullif(upper(trim(cast({{ expr }} as varchar))), '')
{%- endmacro %}

{#- Rank of each delivered version of an id, 1 = latest delivery (then latest file and row). -#}
{% macro version_rank(id_columns) -%}
    row_number() over (
        partition by {{ id_columns | join(', ') }}
        order by _delivery_month desc, _source_file desc, _row_number desc
    )
{%- endmacro %}

{#- Only deliveries up to the run's as-of month (so re-running an old month ignores later data). -#}
{% macro delivered_by_as_of() -%}
    {%- if var('as_of_month') -%}
    where _delivery_month <= '{{ var("as_of_month") }}'
    {%- endif -%}
{%- endmacro %}
