-- OASys needs over time: every assessment in person order, with the person's previous and
-- first assessment's needs, so changes between assessments can be measured.
{{ config(**person_config()) }}
with assessments as (
    select
        a.*,
        coalesce(spine.person_key, a.record_key) as person_key
    from {{ ref('stg_oasys_assessment') }} as a
    left join {{ ref('stg_linkage_spine') }} as spine
        on spine.record_source = 'oasys'
            and a.record_key = spine.record_key
    where {{ changed_people_only('coalesce(spine.person_key, a.record_key)') }}
),

ordered as (
    select
        *,
        row_number() over (partition by person_key order by assessment_date, assessment_id) as assessment_seq
    from assessments
)

select
    ordered.assessment_id,
    ordered.person_key,
    ordered.assessment_seq,
    ordered.assessment_type,
    ordered.assessment_date,
    {{ month_index('ordered.assessment_date') }} as assessment_month_index,
    ordered.establishment_code,
    ordered.probation_region as region_code,
    person.sex,
    person.ethnic_group,
    {{ age_in_years('person.birth_year', 'person.birth_month', 'ordered.assessment_date') }} as age_at_assessment,
    {% for need in ['accommodation', 'ete', 'finance', 'relationships', 'lifestyle', 'drugs', 'alcohol',
        'emotional_wellbeing', 'thinking_behaviour', 'attitudes'] -%}
        ordered.{{ need }}_score,
        ordered.{{ need }}_need,
        first_value(ordered.{{ need }}_need) over (
            partition by ordered.person_key order by ordered.assessment_seq
            rows between unbounded preceding and unbounded following
        ) as first_{{ need }}_need,
    {% endfor -%}
    ordered.ogrs3_p1_recorded,
    ordered.ogrs3_p2_recorded
from ordered
left join {{ ref('int_person') }} as person
    on ordered.person_key = person.person_key
