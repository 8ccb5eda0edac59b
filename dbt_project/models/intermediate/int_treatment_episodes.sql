-- NDTMS treatment episodes in custody (SECURE) and the community, with the person, the client's
-- local authority and family circumstances, and the drug group (NDTMS hierarchy: any opiate ->
-- opiate; otherwise non-opiate).
{{ config(**person_config()) }}
with episodes as (
    select
        ep.*,
        coalesce(spine.person_key, ep.record_key) as person_key
    from {{ ref('stg_ndtms_episode') }} as ep
    left join {{ ref('stg_linkage_spine') }} as spine
        on spine.record_source = 'ndtms'
            and ep.record_key = spine.record_key
    where {{ changed_people_only('coalesce(spine.person_key, ep.record_key)') }}
)

select
    episodes.episode_id,
    episodes.person_key,
    episodes.setting,
    episodes.prison_code,
    episodes.referral_source,
    episodes.triage_date,
    {{ month_index('episodes.triage_date') }} as triage_month_index,
    episodes.care_plan_date,
    episodes.discharge_date,
    episodes.discharge_reason,
    episodes.on_substitute_medication_at_exit,
    episodes.drug_1,
    episodes.drug_2,
    episodes.drug_3,
    (
        coalesce(episodes.drug_1 in {{ opiate_codes() }}, false)
        or coalesce(episodes.drug_2 in {{ opiate_codes() }}, false)
        or coalesce(episodes.drug_3 in {{ opiate_codes() }}, false)
    ) as is_opiate,
    (
        coalesce(episodes.drug_1 in {{ crack_codes() }}, false)
        or coalesce(episodes.drug_2 in {{ crack_codes() }}, false)
        or coalesce(episodes.drug_3 in {{ crack_codes() }}, false)
    ) as is_crack,
    (
        coalesce(episodes.drug_1 not in {{ opiate_codes() }} and episodes.drug_1 not in {{ alcohol_codes() }}, false)
        or coalesce(episodes.drug_2 not in {{ opiate_codes() }} and episodes.drug_2 not in {{ alcohol_codes() }}, false)
        or coalesce(episodes.drug_3 not in {{ opiate_codes() }} and episodes.drug_3 not in {{ alcohol_codes() }}, false)
    ) as has_non_opiate_drug,
    episodes.discharge_reason = '87' as died_in_treatment,
    client.la_code,
    la.region_code,
    client.parental_status,
    client.children_living_with,
    client.parental_status = '11' or coalesce(client.children_living_with, 0) > 0 as lives_with_children,
    client.parental_status in ('11', '12') as has_parental_responsibility,
    person.sex,
    person.ethnic_group,
    {{ age_in_years('person.birth_year', 'person.birth_month', 'episodes.triage_date') }} as age_at_triage
from episodes
left join {{ ref('stg_ndtms_client') }} as client
    on episodes.record_key = client.record_key
left join {{ ref('int_local_authorities') }} as la
    on client.la_code = la.la_code
left join {{ ref('int_person') }} as person
    on episodes.person_key = person.person_key
