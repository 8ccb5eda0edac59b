{#- Grouping of indicator cells by geography and breakdown (see indicator_grouping.yml). -#}
{% macro indicator_grouping_columns(geographies, breakdowns) -%}
    indicator_id,
    period_type,
    period,
    start_index,
    end_index,
    {{ indicator_first_grouped(geographies, 'label', 'england') }} as geography_type,
    {{ indicator_first_grouped(geographies, 'column', 'E92000001') }} as geography_code,
    {{ indicator_first_grouped(breakdowns, 'label', 'none') }} as breakdown,
    {{ indicator_first_grouped(breakdowns, 'column', 'All') }} as breakdown_value
{%- endmacro %}

{#- The label (or the value of the column) of the first grouped (label, column) pair, else the
    literal ``otherwise``. -#}
{% macro indicator_first_grouped(pairs, give, otherwise) -%}
    case
        {%- for label, column in pairs %}
        when grouping({{ column }}) = 0 then {{ "'" ~ label ~ "'" if give == 'label' else column }}
        {%- endfor %}
        else '{{ otherwise }}'
    end
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
