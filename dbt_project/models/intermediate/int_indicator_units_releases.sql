{{ config(materialized='view') }}

-- Indicator units from releases (sub-outcomes 4, 5 and 8): one index release per person per
-- period (the first in the period), adults released to the community, deportations excluded.
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
        {{ units_in_periods(ref(model), 'release_month_index', age='age_at_release', columns=columns,
            where='not is_deported and ' ~ is_adult('age_at_release') ~ ' and ' ~ condition,
            first_per_person='release_date, release_id', period_types=['release_cohort', 'rolling_12m']) }}
    ){% if not loop.last %},{% endif %}
{% endfor %}

-- Each base row feeds several indicators: a base is grouped once for all of them (tens of
-- millions of unit rows otherwise), so a row here stands for the units of one indicator sharing
-- a period and breakdown (unit_count of them); the median's units keep their measure. Counts
-- carry squares: their interval is clustered on people (int_indicator_values).
{{ indicator_unit_sums('reoffending', [
    {'id': 'so04_proven_reoffending_rate', 'num': flag('is_reoffender')},
    {'id': 'so04_ogrs3_predicted_rate', 'num': 'ogrs3_p1', 'where': 'ogrs3_p1 is not null',
        'num_sq': 'ogrs3_p1 * ogrs3_p1'},
    {'id': 'so04_reoffending_actual_vs_predicted', 'num': flag('is_reoffender'), 'den': 'ogrs3_p1',
        'where': 'ogrs3_p1 is not null'},
    {'id': 'so04_reoffences_per_100', 'num': 'reoffence_count',
        'num_sq': 'reoffence_count * reoffence_count'},
    {'id': 'so04_reoffences_per_reoffender', 'num': 'reoffence_count', 'where': 'is_reoffender',
        'num_sq': 'reoffence_count * reoffence_count'},
    {'id': 'so04_serious_reoffending_rate', 'num': flag('has_serious_reoffence')},
    {'id': 'so04_seriousness_escalation', 'num': flag('seriousness_change > 0'),
        'where': 'is_reoffender and seriousness_change is not null'},
]) }}
union all
{{ indicator_units('reoffending', 'so04_days_to_first_reoffence', 'null',
    where='is_reoffender', measure='days_to_first_reoffence') }}
union all
{{ indicator_unit_sums('treated', [
    {'id': 'so05_continuity_of_care_21d', 'num': flag('engaged_within_window'),
        'where': 'exclusion_reason is null'},
]) }}
union all
{{ indicator_unit_sums('need', [
    {'id': 'so08_deaths_28d_per_1000', 'num': flag('died_within_28_days')},
    {'id': 'so08_deaths_12m_per_1000', 'num': flag('died_within_12_months')},
]) }}
