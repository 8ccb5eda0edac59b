{#- The first column of the first row `query` returns (none when it returns no row). -#}
{% macro query_value(query) -%}
    {%- set found = run_query(query) -%}
    {{ return(found.columns[0].values()[0] if found.rows | length else none) }}
{%- endmacro %}
