{#- The definition rules (exclusions and counting rules, docs/definitions.md) that the
    `disabled_rules` var can switch off. Only the mutation tests switch them off: a rule that can
    be dropped without moving its indicator is not exercised by the data. -#}
{% macro definition_rules() -%}
    {{ return(['qualifying_disposals', 'breach_offences', 'transfers', 'deportations',
        'already_engaged', 'deaths_in_window', 'ni40_retention', 'access_needs_modality']) }}
{%- endmacro %}

{#- True unless `name` is listed in var('disabled_rules'); an unknown name is an error. -#}
{% macro rule_on(name) -%}
    {%- set known = definition_rules() -%}
    {%- if name not in known -%}
        {{ exceptions.raise_compiler_error('unknown definition rule: ' ~ name) }}
    {%- endif -%}
    {%- for disabled in var('disabled_rules') -%}
        {%- if disabled not in known -%}
            {{ exceptions.raise_compiler_error('unknown definition rule in disabled_rules: ' ~ disabled) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(name not in var('disabled_rules')) }}
{%- endmacro %}
