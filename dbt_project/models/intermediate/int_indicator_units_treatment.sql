{{ config(materialized='view') }}
{%- set retained_12_weeks = dbt.datediff('journey_start', 'period_after', 'day') ~ ' >= '
    ~ var('effective_treatment_days') %}

-- Indicator units from NDTMS community treatment journeys and people (sub-outcomes 7, 9, 11, 12):
-- one unit per person per period, so every period is placed here (no roll-up from months).
with periods as (
    select
        *,
        {{ month_start('start_index') }} as period_start,
        {{ month_start('end_index + 1') }} as period_after
    from {{ ref('int_periods') }}
),

-- Community journeys numbered by start (then the person's journey number): of a person's journeys
-- active in a period, the latest is the one with the highest number.
numbered_journeys as (
    select
        *,
        row_number() over (order by journey_start, journey_seq) as journey_order,
        -- a small integer per person: grouping by it is far cheaper than by the 64-character key
        dense_rank() over (order by person_key) as person_number
    from {{ ref('int_treatment_journeys') }}
),

-- Latest community journey of each person active in each rolling 12-month period.
latest_journeys as (
    select
        periods.start_index,
        periods.end_index,
        j.person_number,
        any_value(periods.period) as period,
        any_value(periods.period_start) as period_start,
        any_value(periods.period_after) as period_after,
        max(j.journey_order) as latest_journey_order
    from numbered_journeys as j
    inner join periods
        on periods.period_type = 'rolling_12m'
            and j.journey_start < periods.period_after
            and (j.journey_end is null or j.journey_end >= periods.period_start)
    group by periods.start_index, periods.end_index, j.person_number
),

journeys as (
    select
        'rolling_12m' as period_type,
        latest.period,
        latest.start_index,
        latest.end_index,
        latest.period_after,
        j.*,
        j.journey_end is null or j.journey_end >= latest.period_after as still_in_treatment,
        j.journey_end is not null
        and j.journey_end >= latest.period_start
        and j.journey_end < latest.period_after as ended_in_period
    from latest_journeys as latest
    inner join numbered_journeys as j
        on latest.latest_journey_order = j.journey_order
    where {{ is_adult('j.age_at_start') }}
),

-- Journeys with the same period, breakdown attributes and outcome flags, counted once (every
-- indicator below then reads one row per group instead of one per person).
journey_groups as (
    select
        period_type,
        period,
        start_index,
        end_index,
        cast(null as varchar) as prison_code,
        la_code,
        region_code,
        sex,
        ethnic_group,
        {{ age_band('age_at_start') }} as age_band,
        is_opiate,
        is_non_opiate,
        is_opiate_or_crack,
        -- NI 40: retained 12 weeks (still in treatment at the period end only once 84 days have
        -- passed since triage), or discharged 84+ days after triage, or discharged earlier in a
        -- care-planned way
        case
            when still_in_treatment
                then {{ retained_12_weeks if rule_on('ni40_retention') else 'true' }}
            else {{ dbt.datediff('journey_start', 'journey_end', 'day') }} >= {{ var('effective_treatment_days') }}
                or end_reason in ('80', '81', '82', '83')
        end as is_effective,
        ended_in_period and completed_successfully and not represented_within_window as is_completed,
        count(*) as units
    from journeys
    group by all
),

-- People with a community episode, numbered: grouping and joining by the number is far cheaper
-- than by the 64-character key.
community_people as (
    select
        person_key,
        row_number() over (order by person_key) as person_number
    from (
        select distinct person_key from {{ ref('int_treatment_episodes') }}
        where setting = 'COMMUNITY'
    ) as people
),

-- Community episodes numbered in triage order (then episode id): of a person's episodes open in a
-- period, the latest is the one with the highest number.
community_episodes as (
    select
        episode_id,
        person_key,
        triage_date,
        discharge_date,
        la_code,
        region_code,
        sex,
        ethnic_group,
        age_at_triage,
        lives_with_children,
        has_parental_responsibility,
        row_number() over (order by triage_date, episode_id) as episode_order
    from {{ ref('int_treatment_episodes') }}
    where setting = 'COMMUNITY'
),

-- People with a community episode open at some time in each month or rolling period.
episodes_in_period as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        people.person_number,
        ep.episode_order,
        ep.lives_with_children,
        ep.has_parental_responsibility
    from community_episodes as ep
    inner join community_people as people on ep.person_key = people.person_key
    inner join periods
        on periods.period_type in ('month', 'rolling_12m')
            and ep.triage_date < periods.period_after
            and (ep.discharge_date is null or ep.discharge_date >= periods.period_start)
),

-- Peer and family support interventions of community episodes, by the period they fell in.
modalities_in_period as (
    select
        periods.start_index,
        periods.end_index,
        people.person_number,
        max(case when m.modality in ('RECOV', 'MUTAID') and m.start_date >= periods.period_start
                and m.start_date < periods.period_after then 1
            else 0
        end) as had_peer_support,
        max(case when m.modality = 'FAMSUP' and m.referral_date >= periods.period_start
                and m.referral_date < periods.period_after then 1
            else 0
        end) as referred_family_support,
        max(case when m.modality = 'FAMSUP' and m.start_date >= periods.period_start
                and m.start_date < periods.period_after then 1
            else 0
        end) as started_family_support
    from {{ ref('int_treatment_modalities') }} as m
    inner join community_people as people on m.person_key = people.person_key
    inner join periods
        on
            periods.period_type in ('month', 'rolling_12m')
            and (
                (m.start_date >= periods.period_start and m.start_date < periods.period_after)
                or (m.referral_date >= periods.period_start and m.referral_date < periods.period_after)
            )
    where m.setting = 'COMMUNITY'
        and m.modality in ('RECOV', 'MUTAID', 'FAMSUP')
    group by periods.start_index, periods.end_index, people.person_number
),

-- Each person's latest episode in each period, and whether any of their episodes open in it
-- recorded children living with them or parental responsibility.
people_in_period as (
    select
        start_index,
        end_index,
        person_number,
        -- the period's first and last month identify it: its type and label ride along
        any_value(period_type) as period_type,
        any_value(period) as period,
        max(episode_order) as latest_episode_order,
        bool_or(coalesce(lives_with_children, false)) as lives_with_children,
        bool_or(coalesce(has_parental_responsibility, false)) as has_parental_responsibility
    from episodes_in_period
    group by start_index, end_index, person_number
),

people as (
    select
        p.period_type,
        p.period,
        p.start_index,
        p.end_index,
        latest.person_key,
        latest.la_code,
        latest.region_code,
        latest.sex,
        latest.ethnic_group,
        latest.age_at_triage as age,
        p.lives_with_children,
        p.has_parental_responsibility,
        cast(null as varchar) as prison_code,
        coalesce(m.had_peer_support, 0) = 1 as had_peer_support,
        coalesce(m.referred_family_support, 0) = 1 as referred_family_support,
        coalesce(m.started_family_support, 0) = 1 as started_family_support
    from people_in_period as p
    inner join community_episodes as latest
        on p.latest_episode_order = latest.episode_order
    left join modalities_in_period as m
        on p.start_index = m.start_index
            and p.end_index = m.end_index
            and p.person_number = m.person_number
    where {{ is_adult('latest.age_at_triage') }}
),

-- People with the same period, breakdown attributes and flags, counted once.
people_groups as (
    select
        period_type,
        period,
        start_index,
        end_index,
        prison_code,
        la_code,
        region_code,
        sex,
        ethnic_group,
        {{ age_band('age') }} as age_band,
        had_peer_support,
        referred_family_support,
        started_family_support,
        lives_with_children,
        has_parental_responsibility,
        count(*) as units
    from people
    group by all
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
