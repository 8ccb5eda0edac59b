-- Releases from custody (DIR release records). TRANSFER (to another prison) is not a release to
-- the community; DEPORTED is kept and flagged. Treatment need: in secure-setting treatment at
-- release, or a triage need on the custody episode the release closes.
select
    rel.release_id,
    rel.record_key,
    coalesce(spine.person_key, rel.record_key) as person_key,
    rel.release_date,
    {{ month_index('rel.release_date') }} as release_month_index,
    rel.prison_code,
    prison.region_code as prison_region_code,
    rel.release_type,
    {% if rule_on('transfers') %}rel.release_type <> 'TRANSFER'{% else %}true{% endif %} as is_release_to_community,
    {% if rule_on('deportations') %}rel.release_type = 'DEPORTED'{% else %}false{% endif %} as is_deported,
    rel.in_treatment,
    coalesce(triage.treatment_need, false) as triage_need,
    rel.in_treatment or coalesce(triage.treatment_need, false) as has_treatment_need,
    rel.referred,
    rel.referral_la_code as la_code,
    la.region_code as la_region_code,
    coalesce(la.region_code, prison.region_code) as region_code,
    person.sex,
    person.ethnic_group,
    {{ age_in_years('person.birth_year', 'person.birth_month', 'rel.release_date') }} as age_at_release
from {{ ref('stg_dir_release') }} as rel
left join {{ ref('stg_linkage_spine') }} as spine
    on spine.record_source = 'dir_release'
        and rel.record_key = spine.record_key
left join {{ ref('int_person') }} as person
    on coalesce(spine.person_key, rel.record_key) = person.person_key
left join {{ ref('stg_dir_triage') }} as triage
    on rel.dir_id = triage.dir_id
left join {{ ref('int_prisons') }} as prison
    on rel.prison_code = prison.prison_code
left join {{ ref('int_local_authorities') }} as la
    on rel.referral_la_code = la.la_code
