{#- Substance codes (DIR / NDTMS) in the opiate group and crack: read from seeds/drug_groups.csv
    at compile time would tie parsing to the seed, so the NDTMS hierarchy is declared here and
    checked against the seed by the test on int_drug_codes. -#}
{% macro opiate_codes() -%}('HER', 'MET', 'BUP'){%- endmacro %}
{% macro crack_codes() -%}('CRA'){%- endmacro %}
{% macro alcohol_codes() -%}('ALC'){%- endmacro %}
