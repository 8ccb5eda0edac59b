-- Indicator units from releases (sub-outcomes 4, 5 and 8): one index release per person per
-- period (the first in the period), adults released to the community, deportations excluded.
with reoffending_in_period as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        r.*,
        row_number() over (
            partition by periods.period_type, periods.period, r.person_key
            order by r.release_date, r.release_id
        ) as release_rank
    from {{ ref('int_reoffending') }} as r
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type in ('release_cohort', 'rolling_12m')
            and r.release_month_index between periods.start_index and periods.end_index
    where not r.is_deported
        and {{ is_adult('r.age_at_release') }}
),

reoffending as (
    select
        *,
        age_at_release as age
    from reoffending_in_period
    where release_rank = 1
),

{% for cte, condition in [('need', 'true'), ('treated', 'c.in_treatment')] %}
    {{ cte }}_in_period as (
        select
            periods.period_type,
            periods.period,
            periods.start_index,
            periods.end_index,
            c.*,
            row_number() over (
                partition by periods.period_type, periods.period, c.person_key
                order by c.release_date, c.release_id
            ) as release_rank
        from {{ ref('int_continuity_of_care') }} as c
        inner join {{ ref('int_periods') }} as periods
            on periods.period_type in ('release_cohort', 'rolling_12m')
                and c.release_month_index between periods.start_index and periods.end_index
        where not c.is_deported
            and {{ is_adult('c.age_at_release') }}
            and {{ condition }}
    ),

    {{ cte }} as (
        select
            *,
            age_at_release as age
        from {{ cte }}_in_period
        where release_rank = 1
    ){% if loop.first %},{% endif %}
{% endfor %}

{{ indicator_units('reoffending', 'so04_proven_reoffending_rate', flag('is_reoffender')) }}
union all
{{ indicator_units('reoffending', 'so04_ogrs3_predicted_rate', 'ogrs3_p1',
    where='ogrs3_p1 is not null', num_sq='ogrs3_p1 * ogrs3_p1') }}
union all
{{ indicator_units('reoffending', 'so04_reoffending_actual_vs_predicted', flag('is_reoffender'),
    den='ogrs3_p1', where='ogrs3_p1 is not null') }}
union all
{{ indicator_units('reoffending', 'so04_reoffences_per_100', 'reoffence_count') }}
union all
{{ indicator_units('reoffending', 'so04_reoffences_per_reoffender', 'reoffence_count',
    where='is_reoffender', num_sq='reoffence_count * reoffence_count') }}
union all
{{ indicator_units('reoffending', 'so04_serious_reoffending_rate', flag('has_serious_reoffence')) }}
union all
{{ indicator_units('reoffending', 'so04_seriousness_escalation', flag('seriousness_change > 0'),
    where='is_reoffender and seriousness_change is not null') }}
union all
{{ indicator_units('reoffending', 'so04_days_to_first_reoffence', 'null',
    where='is_reoffender', measure='days_to_first_reoffence') }}
union all
{{ indicator_units('treated', 'so05_continuity_of_care_21d', flag('engaged_within_window'),
    where='exclusion_reason is null') }}
union all
{{ indicator_units('need', 'so08_deaths_28d_per_1000', flag('died_within_28_days')) }}
union all
{{ indicator_units('need', 'so08_deaths_12m_per_1000', flag('died_within_12_months')) }}
