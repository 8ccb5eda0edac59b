{% macro as_of_month() -%}
    {#- The build's as-of month: var as_of_month (a hand-run or test build), else the environment's
        OUTCOMES_AS_OF_MONTH (Dagster's runs: a changed --vars would make dbt parse the whole
        project again, a changed environment variable does not), else none. -#}
    {{ return(var('as_of_month') or env_var('OUTCOMES_AS_OF_MONTH', '') or none) }}
{%- endmacro %}
