{#- Byar's approximation to the exact 95% Poisson interval of an observed count, as a count. -#}
{% macro byar_low(observed, z=1.959963984540054) -%}
    case
        when {{ observed }} is null then null
        when {{ observed }} <= 0 then 0.0
        else ({{ observed }}) * power(
            1 - 1 / (9.0 * ({{ observed }})) - {{ z }} / (3 * sqrt({{ observed }})), 3
        )
    end
{%- endmacro %}

{% macro byar_high(observed, z=1.959963984540054) -%}
    case
        when {{ observed }} is null then null
        else ({{ observed }} + 1) * power(
            1 - 1 / (9.0 * ({{ observed }} + 1)) + {{ z }} / (3 * sqrt({{ observed }} + 1)), 3
        )
    end
{%- endmacro %}
