-- OGRS3 inputs for each release to the community, from the PNC history up to the release date:
-- sanction occasions (distinct disposal dates), age at first sanction, the index offence
-- (latest custodial disposal, else latest disposal; most serious on the day), age at release and
-- age at the index conviction (the age OGRS3 scores: its age-sex term and the Copas rate).
{{ config(**person_config()) }}
with releases as (
    select
        rel.release_id,
        rel.person_key,
        rel.release_date,
        rel.sex,
        rel.age_at_release,
        person.birth_year,
        person.birth_month
    from {{ ref('int_releases') }} as rel
    left join {{ ref('int_person') }} as person
        on rel.person_key = person.person_key
    where rel.is_release_to_community and {{ changed_people_only('rel.person_key') }}
),

history as (
    select
        releases.release_id,
        count(distinct offences.disposal_date) as sanction_count,
        min(offences.disposal_date) as first_sanction_date
    from releases
    inner join {{ ref('int_offences') }} as offences
        on releases.person_key = offences.person_key
            and releases.release_date >= offences.disposal_date
    group by releases.release_id
),

index_offence as (
    select
        releases.release_id,
        offences.ogrs3_category,
        offences.ho_class,
        offences.seriousness_score,
        offences.disposal_date,
        row_number() over (
            partition by releases.release_id
            order by
                case when offences.is_custodial then 0 else 1 end,
                offences.disposal_date desc, offences.seriousness_score desc, offences.disposal_id asc
        ) as offence_rank
    from releases
    inner join {{ ref('int_offences') }} as offences
        on releases.person_key = offences.person_key
            and releases.release_date >= offences.disposal_date
)

select
    releases.release_id,
    releases.person_key,
    releases.sex,
    releases.age_at_release,
    history.sanction_count,
    {{ age_in_years('releases.birth_year', 'releases.birth_month', 'history.first_sanction_date') }}
        as age_at_first_sanction,
    {{ age_in_years('releases.birth_year', 'releases.birth_month', 'index_offence.disposal_date') }}
        as age_at_index_conviction,
    index_offence.ogrs3_category as index_ogrs3_category,
    index_offence.ho_class as index_ho_class,
    index_offence.seriousness_score as index_seriousness_score
from releases
inner join history
    on releases.release_id = history.release_id
left join index_offence
    on releases.release_id = index_offence.release_id
        and index_offence.offence_rank = 1
