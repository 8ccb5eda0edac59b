{{ config(materialized='view') }}

-- Indicator units from change over time: TOP start -> review (sub-outcomes 1, 6, 10, 13) and
-- OASys first -> next assessment (sub-outcomes 6, 10, 13). One unit per review or reassessment,
-- placed in its month only (int_indicator_cells rolls months up into rolling 12-month windows).
with tops as (
    {{ units_in_periods(ref('int_top_change'), 'review_month_index', age='age_at_triage',
        absent=['prison_code'], where='review_date is not null and ' ~ is_adult('age_at_triage'),
        columns=['start_opiate_days', 'review_opiate_days', 'start_crack_days', 'review_crack_days',
            'start_injecting_days', 'review_injecting_days', 'start_sharing', 'review_sharing',
            'start_acute_housing_problem', 'review_acute_housing_problem', 'start_quality_of_life',
            'review_quality_of_life', 'start_paid_work_days', 'review_paid_work_days'],
        period_types=['month']) }}
),

assessments as (
    {{ units_in_periods(ref('int_oasys_needs'), 'assessment_month_index', age='age_at_assessment',
        absent=['prison_code', 'la_code'], where='assessment_seq = 2 and ' ~ is_adult('age_at_assessment'),
        columns=['first_accommodation_need', 'accommodation_need', 'first_finance_need', 'finance_need',
            'first_relationships_need', 'relationships_need', 'first_ete_need', 'ete_need'], period_types=['month']) }}
)

{{ indicator_units('tops', 'so01_top_opiate_abstinent_or_reduced',
    flag('review_opiate_days < start_opiate_days'),
    where='start_opiate_days > 0 and review_opiate_days is not null') }}
union all
{{ indicator_units('tops', 'so01_top_crack_abstinent_or_reduced',
    flag('review_crack_days < start_crack_days'),
    where='start_crack_days > 0 and review_crack_days is not null') }}
union all
{{ indicator_units('tops', 'so01_top_injecting_stopped', flag('review_injecting_days = 0'),
    where='start_injecting_days > 0 and review_injecting_days is not null') }}
union all
{{ indicator_units('tops', 'so01_top_sharing_stopped', flag('not review_sharing'),
    where='start_sharing and review_sharing is not null') }}
union all
{{ indicator_units('tops', 'so06_top_housing_resolved', flag('not review_acute_housing_problem'),
    where='start_acute_housing_problem and review_acute_housing_problem is not null') }}
union all
{{ indicator_units('tops', 'so10_top_quality_of_life_change',
    'review_quality_of_life - start_quality_of_life',
    where='start_quality_of_life is not null and review_quality_of_life is not null',
    num_sq='(review_quality_of_life - start_quality_of_life) * (review_quality_of_life - start_quality_of_life)') }}
union all
{{ indicator_units('tops', 'so13_top_paid_work_change', 'review_paid_work_days - start_paid_work_days',
    where='start_paid_work_days is not null and review_paid_work_days is not null',
    num_sq='(review_paid_work_days - start_paid_work_days) * (review_paid_work_days - start_paid_work_days)') }}
union all
{% for indicator_id, need in [('so06_oasys_accommodation_resolved', 'accommodation'),
    ('so06_oasys_finance_resolved', 'finance'), ('so10_oasys_relationships_resolved', 'relationships'),
    ('so13_oasys_ete_resolved', 'ete')] -%}
{{ indicator_units('assessments', indicator_id, flag('not ' ~ need ~ '_need'),
    where='first_' ~ need ~ '_need and ' ~ need ~ '_need is not null') }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
