{{ config(materialized='view') }}

-- Indicator units from DIR custody triage: care-planned interventions for people with a need
-- (sub-outcome 1) and treatment access with need (sub-outcome 3). One unit per reception, placed in
-- its month only (int_indicator_cells rolls months up into rolling 12-month windows).
with with_need as (
    select
        episodes.*,
        prisons.region_code
    from {{ ref('int_custody_episodes') }} as episodes
    left join {{ ref('int_prisons') }} as prisons
        on episodes.prison_code = prisons.prison_code
    where episodes.treatment_need
        and {{ is_adult('episodes.age_at_reception') }}
),

base as (
    {{ units_in_periods('with_need', 'reception_month_index', age='age_at_reception', absent=['la_code'],
        columns=['care_planned', 'received_prison_modality'], period_types=['month']) }}
)

{{ indicator_units('base', 'so01_custody_care_planned', flag('care_planned')) }}
union all
{{ indicator_units('base', 'so03_treatment_access_with_need', flag('received_prison_modality')) }}
