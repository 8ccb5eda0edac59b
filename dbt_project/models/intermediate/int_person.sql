-- One row per person: sex, ethnic group and birth year/month chosen across the person's records
-- (first by source priority PNC > OASys > DIR > NDTMS, then the latest delivery).
{{ config(**person_config()) }}
with ranked as (
    select
        person_key,
        sex_code,
        ethnic_group,
        birth_year,
        birth_month,
        row_number() over (
            partition by person_key
            order by
                case when sex_code in ('M', 'F') then 0 else 1 end, source_priority asc,
                delivery_month desc, record_key asc
        ) as sex_rank,
        row_number() over (
            partition by person_key
            order by
                case when ethnic_group is not null and ethnic_group <> 'Not stated' then 0 else 1 end,
                source_priority asc, delivery_month desc, record_key asc
        ) as ethnic_rank,
        row_number() over (
            partition by person_key
            order by
                case when birth_year is not null then 0 else 1 end, source_priority asc,
                delivery_month desc, record_key asc
        ) as birth_rank
    from {{ ref('int_person_records') }}
    where {{ changed_people_only('person_key') }}
)

select
    person_key,
    max(case when sex_rank = 1 then {{ sex_label('sex_code') }} end) as sex,
    max(case when ethnic_rank = 1 then coalesce(ethnic_group, 'Not stated') end) as ethnic_group,
    max(case when birth_rank = 1 then birth_year end) as birth_year,
    max(case when birth_rank = 1 then birth_month end) as birth_month
from ranked
group by person_key
