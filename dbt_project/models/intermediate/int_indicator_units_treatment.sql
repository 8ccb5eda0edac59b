{{ config(materialized='view') }}

-- Indicator units from NDTMS community treatment journeys and people (sub-outcomes 7, 9, 11, 12):
-- one unit per person per period, so every period is placed here (no roll-up from months).
--
-- Periods are identified by their last month x (a month index): a calendar month is x itself, a
-- rolling 12-month period x - 11..x. Each person's state is kept as spans of period ends
-- (int_treatment_journey_spans, int_treatment_episode_spans), counted into periods by running
-- sums of +1 at each span's start and -1 at its end (macro spans_in_periods): the counts of
-- placing every person in every period, without the tens of millions of person-period rows.
-- People with the same period, attributes and flags are counted once: every indicator below
-- reads one row per group instead of one per person.
with journey_groups as (
    {{ spans_in_periods(ref('int_treatment_journey_spans'), 'period_type, la_code, region_code,
        sex, ethnic_group, age_band, is_opiate, is_non_opiate, is_opiate_or_crack, is_effective,
        is_completed') }}
),

people_groups as (
    {{ spans_in_periods(ref('int_treatment_episode_spans'), 'period_type, la_code, region_code,
        sex, ethnic_group, age_band, had_peer_support, referred_family_support,
        started_family_support, lives_with_children, has_parental_responsibility') }}
)

{%- set grouped = {'units': 'units', 'age_band_column': 'age_band'} %}
{{ indicator_units('journey_groups', 'so07_ni40_effective_treatment', flag('is_effective'),
    where='is_opiate_or_crack', **grouped) }}
union all
{{ indicator_units('journey_groups', 'so07_c19a_completion_opiate', flag('is_completed'), where='is_opiate',
    **grouped) }}
union all
{{ indicator_units('journey_groups', 'so07_c19b_completion_non_opiate', flag('is_completed'),
    where='is_non_opiate', **grouped) }}
union all
{{ indicator_units('people_groups', 'so09_peer_support_access', flag('had_peer_support'), **grouped) }}
union all
{{ indicator_units('people_groups', 'so11_family_referral_children_at_home', flag('referred_family_support'),
    where='lives_with_children', **grouped) }}
union all
{{ indicator_units('people_groups', 'so12_family_support_parents', flag('started_family_support'),
    where='has_parental_responsibility', **grouped) }}
