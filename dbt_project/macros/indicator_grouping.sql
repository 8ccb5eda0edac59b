{#- Grouping of indicator cells by geography and breakdown (see indicator_grouping.yml). -#}
{% macro indicator_grouping_columns(geographies, breakdowns) -%}
    indicator_id,
    period_type,
    period,
    start_index,
    end_index,
    case
        {%- for geography_type, column in geographies %}
        when grouping({{ column }}) = 0 then '{{ geography_type }}'
        {%- endfor %}
        else 'england'
    end as geography_type,
    case
        {%- for _, column in geographies %}
        when grouping({{ column }}) = 0 then {{ column }}
        {%- endfor %}
        else 'E92000001'
    end as geography_code,
    case
        {%- for breakdown, column in breakdowns %}
        when grouping({{ column }}) = 0 then '{{ breakdown }}'
        {%- endfor %}
        else 'none'
    end as breakdown,
    case
        {%- for _, column in breakdowns %}
        when grouping({{ column }}) = 0 then {{ column }}
        {%- endfor %}
        else 'All'
    end as breakdown_value
{%- endmacro %}

{% macro indicator_grouping_sets(cell_keys, geographies, breakdowns) -%}
    grouping sets (
        {%- for _, geography in [(none, none)] + geographies %}
            {%- set outer = loop %}
            {%- for _, breakdown in [(none, none)] + breakdowns %}
        ({{ cell_keys }}
                {%- if geography %}, {{ geography }}{% endif %}
                {%- if breakdown %}, {{ breakdown }}{% endif %})
                {%- if not (outer.last and loop.last) %},{% endif %}
            {%- endfor %}
        {%- endfor %}
    )
{%- endmacro %}
