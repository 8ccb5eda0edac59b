-- NDTMS treatment episodes in custody and the community, with the drug group and outcome.
select
    cast(episode_id as varchar) as episode_id,
    cast(person_key as varchar) as person_key,
    cast(setting as varchar) as setting,
    cast(prison_code as varchar) as prison_code,
    cast(la_code as varchar) as la_code,
    cast(referral_source as varchar) as referral_source,
    cast(triage_date as date) as triage_date,
    cast(care_plan_date as date) as care_plan_date,
    cast(discharge_date as date) as discharge_date,
    cast(discharge_reason as varchar) as discharge_reason,
    cast(is_opiate as boolean) as is_opiate,
    cast(is_crack as boolean) as is_crack,
    cast(on_substitute_medication_at_exit as boolean) as on_substitute_medication_at_exit,
    cast(age_at_triage as integer) as age_at_triage
from {{ ref('int_treatment_episodes') }}
