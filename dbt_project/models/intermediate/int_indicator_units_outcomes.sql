-- Indicator units from change over time: TOP start -> review (sub-outcomes 1, 6, 10, 13) and
-- OASys first -> next assessment (sub-outcomes 6, 10, 13).
with tops as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        cast(null as varchar) as prison_code,
        t.la_code,
        t.region_code,
        t.sex,
        t.ethnic_group,
        t.age_at_triage as age,
        t.start_opiate_days,
        t.review_opiate_days,
        t.start_crack_days,
        t.review_crack_days,
        t.start_injecting_days,
        t.review_injecting_days,
        t.start_sharing,
        t.review_sharing,
        t.start_acute_housing_problem,
        t.review_acute_housing_problem,
        t.start_quality_of_life,
        t.review_quality_of_life,
        t.start_paid_work_days,
        t.review_paid_work_days
    from {{ ref('int_top_change') }} as t
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type in ('month', 'rolling_12m')
            and t.review_month_index between periods.start_index and periods.end_index
    where t.review_date is not null
        and {{ is_adult('t.age_at_triage') }}
),

assessments as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        cast(null as varchar) as prison_code,
        cast(null as varchar) as la_code,
        a.region_code,
        a.sex,
        a.ethnic_group,
        a.age_at_assessment as age,
        a.first_accommodation_need,
        a.accommodation_need,
        a.first_finance_need,
        a.finance_need,
        a.first_relationships_need,
        a.relationships_need,
        a.first_ete_need,
        a.ete_need
    from {{ ref('int_oasys_needs') }} as a
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type in ('month', 'rolling_12m')
            and a.assessment_month_index between periods.start_index and periods.end_index
    where a.assessment_seq = 2
        and {{ is_adult('a.age_at_assessment') }}
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
