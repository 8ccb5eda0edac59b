{{ config(materialized='view') }}

-- Indicator units from releases (sub-outcomes 4, 5 and 8): one index release per person per
-- period (the first in the period), adults released to the community, deportations excluded.
-- Release cohorts come as periods; rolling 12-month windows as one 'first_in_windows' row per
-- release naming the window ends where it is the index release (int_indicator_cells places them).
{%- set care_columns = ['engaged_within_window', 'exclusion_reason', 'died_within_28_days',
    'died_within_12_months'] %}
{#- Index releases by CTE: model, condition, columns the units read. -#}
{%- set index_releases = [
    ('reoffending', 'int_reoffending', 'true', ['is_reoffender', 'ogrs3_p1', 'reoffence_count',
        'has_serious_reoffence', 'seriousness_change', 'days_to_first_reoffence']),
    ('need', 'int_continuity_of_care', 'true', care_columns),
    ('treated', 'int_continuity_of_care', 'in_treatment', care_columns)] %}
with
{% for cte, model, condition, columns in index_releases %}
    {{ cte }} as (
        {{ first_per_person_in_periods(ref(model), 'src.release_month_index', 'src.release_date, src.release_id',
            age='age_at_release', columns=columns,
            where='not src.is_deported and ' ~ is_adult('src.age_at_release') ~ ' and ' ~ condition) }}
    ){% if not loop.last %},{% endif %}
{% endfor %}

{{ indicator_units('reoffending', 'so04_proven_reoffending_rate', flag('is_reoffender')) }}
union all
{{ indicator_units('reoffending', 'so04_ogrs3_predicted_rate', 'ogrs3_p1',
    where='ogrs3_p1 is not null', num_sq='ogrs3_p1 * ogrs3_p1') }}
union all
{{ indicator_units('reoffending', 'so04_reoffending_actual_vs_predicted', flag('is_reoffender'),
    den='ogrs3_p1', where='ogrs3_p1 is not null') }}
union all
-- with squares: the interval is clustered on people (int_indicator_values)
{{ indicator_units('reoffending', 'so04_reoffences_per_100', 'reoffence_count',
    num_sq='reoffence_count * reoffence_count') }}
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
