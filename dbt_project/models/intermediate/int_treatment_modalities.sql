-- NDTMS interventions (modalities) with their episode, person and Patel Table 1 evidence value
-- (interventions without a Table 1 code score 0).
{{ config(**person_config()) }}
select
    m.modality_id,
    m.episode_id,
    ep.person_key,
    ep.setting,
    ep.la_code,
    ep.region_code,
    ep.sex,
    ep.ethnic_group,
    ep.age_at_triage,
    m.modality,
    m.intervention_code,
    coalesce(ev.total_value, 0) as evidence_value,
    m.referral_date,
    m.start_date,
    {{ month_index('m.start_date') }} as start_month_index,
    m.end_date,
    m.exit_reason
from {{ ref('stg_ndtms_modality') }} as m
inner join {{ ref('int_treatment_episodes') }} as ep
    on m.episode_id = ep.episode_id
left join {{ ref('evidence_matrix') }} as ev
    on m.intervention_code = ev.intervention_code
where {{ changed_people_only('ep.person_key') }}
