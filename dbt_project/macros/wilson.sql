{#- Wilson score 95% interval for a proportion num/den, clamped to [0, 1] (null when den is 0). -#}
{% macro wilson_low(num, den, z=1.959963984540054) -%}
    case when {{ den }} > 0 then greatest(0.0,
        (
            ({{ num }}) / ({{ den }}) + {{ z }} * {{ z }} / (2.0 * ({{ den }}))
            - {{ z }} * sqrt(
                greatest(({{ num }}) / ({{ den }}) * (1 - ({{ num }}) / ({{ den }})), 0) / ({{ den }})
                + {{ z }} * {{ z }} / (4.0 * ({{ den }}) * ({{ den }}))
            )
        ) / (1 + {{ z }} * {{ z }} / ({{ den }}))
    ) end
{%- endmacro %}

{% macro wilson_high(num, den, z=1.959963984540054) -%}
    case when {{ den }} > 0 then least(1.0,
        (
            ({{ num }}) / ({{ den }}) + {{ z }} * {{ z }} / (2.0 * ({{ den }}))
            + {{ z }} * sqrt(
                greatest(({{ num }}) / ({{ den }}) * (1 - ({{ num }}) / ({{ den }})), 0) / ({{ den }})
                + {{ z }} * {{ z }} / (4.0 * ({{ den }}) * ({{ den }}))
            )
        ) / (1 + {{ z }} * {{ z }} / ({{ den }}))
    ) end
{%- endmacro %}
