{#- Indicator cells summed for every geography and breakdown (see indicator_grouping.yml). -#}
{% macro indicator_groupings(relation, cell_keys, geographies, breakdowns, aggregates) -%}
    {#- One GROUP BY per (geography, breakdown) pair, unioned: DuckDB's GROUPING SETS first
        materialises its input once for all sets (national cells: 18 s against 10 s). -#}
    {%- for geography_type, geography in [('england', none)] + geographies %}
        {%- set outer = loop %}
        {%- for breakdown_name, breakdown in [('none', none)] + breakdowns %}
    select
        indicator_id,
        period_type,
        period,
        start_index,
        end_index,
        '{{ geography_type }}' as geography_type,
        {{ geography or "'E92000001'" }} as geography_code,
        '{{ breakdown_name }}' as breakdown,
        {{ breakdown or "'All'" }} as breakdown_value,
        {{ aggregates }}
    from {{ relation }}
    group by {{ cell_keys }}{{ ', ' ~ geography if geography }}{{ ', ' ~ breakdown if breakdown }}
            {%- if not (outer.last and loop.last) %}
    union all
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}
