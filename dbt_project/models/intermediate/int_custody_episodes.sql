-- Custody episodes: each reception triage (DIR) with the release record that closes it (if any).
with triage as (
    select
        t.*,
        coalesce(spine.person_key, t.record_key) as person_key
    from {{ ref('stg_dir_triage') }} as t
    left join {{ ref('stg_linkage_spine') }} as spine
        on spine.record_source = 'dir_triage'
            and t.record_key = spine.record_key
),

closing_release as (
    select
        dir_id,
        release_id,
        release_date,
        release_type,
        row_number() over (partition by dir_id order by release_date, release_id) as release_rank
    from {{ ref('stg_dir_release') }}
    where dir_id is not null
)

select
    triage.dir_id,
    triage.person_key,
    triage.prison_code,
    triage.triage_date as reception_date,
    {{ month_index('triage.triage_date') }} as reception_month_index,
    {{ age_in_years('person.birth_year', 'person.birth_month', 'triage.triage_date') }} as age_at_reception,
    person.sex,
    person.ethnic_group,
    triage.treatment_need,
    triage.care_planned,
    triage.prison_modality,
    {% if rule_on('access_needs_modality') %}triage.prison_modality is not null{% else %}coalesce(triage.care_planned, false){% endif %}
        as received_prison_modality,
    triage.injecting_status,
    triage.substance_1,
    triage.planned_release_date,
    closing_release.release_id,
    closing_release.release_date,
    closing_release.release_type,
    {{ dbt.datediff('triage.triage_date', 'closing_release.release_date', 'day') }}         as days_in_custody
from triage
left join {{ ref('int_person') }} as person
    on triage.person_key = person.person_key
left join closing_release
    on triage.dir_id = closing_release.dir_id
        and closing_release.release_rank = 1
