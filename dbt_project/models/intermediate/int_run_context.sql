-- The run's as-of month (macro as_of_month: the var or OUTCOMES_AS_OF_MONTH, else the latest
-- delivery) and first delivered month.
with delivered as (
    {% for table in ['pnc_disposal', 'oasys_assessment', 'dir_triage', 'dir_release', 'ndtms_episode', 'rmdt_test'] -%}
        select delivery_month from {{ ref('stg_' ~ table) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

bounds as (
    select
        min(delivery_month) as first_month,
        {% if as_of_month() -%}
        '{{ as_of_month() }}'
        {%- else -%}
            max(delivery_month)
        {%- endif %} as as_of_month
    from delivered
)

select
    first_month,
    as_of_month,
    {{ month_index_from_label('first_month') }} as first_month_index,
    {{ month_index_from_label('as_of_month') }} as as_of_month_index
from bounds
where as_of_month is not null
