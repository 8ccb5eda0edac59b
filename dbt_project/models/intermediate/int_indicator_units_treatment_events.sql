{{ config(materialized='view') }}

-- Indicator units from NDTMS community treatment events (sub-outcome 7), placed in their month
-- only: an event counts once in every period containing its month, so int_indicator_cells rolls
-- the month cells up into rolling 12-month windows.
with modalities as (
    {{ units_in_periods(ref('int_treatment_modalities'), 'start_month_index', age='age_at_triage',
        absent=['prison_code'], columns=['evidence_value'], period_types=['month']) }}
),

-- Community TOP episodes by the month their 7-month review fell due.
tops_due as (
    select
        *,
        {{ dbt.dateadd('month', 7, 'start_date') }} as due_date
    from {{ ref('int_top_change') }}
    where setting = 'COMMUNITY'
),

reviews_due as (
    {{ units_in_periods('tops_due', month_index('due_date'), age='age_at_triage', absent=['prison_code'],
        columns=['review_date is not null and review_date <= due_date as reviewed_by_due_date'],
        where='discharge_date is null or discharge_date >= due_date', period_types=['month']) }}
)

{{ indicator_units('reviews_due', 'so07_top_review_completion', flag('reviewed_by_due_date')) }}
union all
{{ indicator_units('modalities', 'so07_mean_evidence_value', 'evidence_value',
    num_sq='evidence_value * evidence_value') }}
