-- Indicator units from DIR custody triage: care-planned interventions for people with a need
-- (sub-outcome 1) and treatment access with need (sub-outcome 3).
with base as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        episodes.prison_code,
        cast(null as varchar) as la_code,
        prisons.region_code,
        episodes.sex,
        episodes.ethnic_group,
        episodes.age_at_reception as age,
        episodes.care_planned,
        episodes.received_prison_modality
    from {{ ref('int_custody_episodes') }} as episodes
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type in ('month', 'rolling_12m')
            and episodes.reception_month_index between periods.start_index and periods.end_index
    left join {{ ref('int_prisons') }} as prisons
        on episodes.prison_code = prisons.prison_code
    where episodes.treatment_need
        and {{ is_adult('episodes.age_at_reception') }}
)

{{ indicator_units('base', 'so01_custody_care_planned', flag('care_planned')) }}
union all
{{ indicator_units('base', 'so03_treatment_access_with_need', flag('received_prison_modality')) }}
