-- Releases from custody with need, continuity of care and deaths after release.
select
    cast(rel.release_id as varchar) as release_id,
    cast(rel.person_key as varchar) as person_key,
    cast(rel.release_date as date) as release_date,
    cast({{ month_label('rel.release_month_index') }} as varchar) as release_month,
    cast(rel.prison_code as varchar) as prison_code,
    cast(rel.la_code as varchar) as la_code,
    cast(rel.region_code as varchar) as region_code,
    cast(rel.release_type as varchar) as release_type,
    cast(rel.is_release_to_community as boolean) as is_release_to_community,
    cast(rel.is_deported as boolean) as is_deported,
    cast(rel.age_at_release as integer) as age_at_release,
    cast(rel.has_treatment_need as boolean) as has_treatment_need,
    cast(rel.in_treatment as boolean) as in_treatment_at_release,
    cast(rel.referred as boolean) as referred,
    cast(coc.engaged_within_window as boolean) as engaged_within_21_days,
    cast(coc.days_to_engagement as integer) as days_to_engagement,
    cast(coc.already_engaged as boolean) as already_engaged,
    cast(coc.exclusion_reason as varchar) as continuity_exclusion_reason,
    cast(coc.died_within_28_days as boolean) as died_within_28_days,
    cast(coc.died_within_12_months as boolean) as died_within_12_months
from {{ ref('int_releases') }} as rel
left join {{ ref('int_continuity_of_care') }} as coc
    on rel.release_id = coc.release_id
