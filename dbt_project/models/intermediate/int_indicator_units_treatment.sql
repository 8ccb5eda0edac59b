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
-- active in a period, the latest is the one with the highest number. Periods are matched on month
-- indexes (a journey is active in months start_month..end_month) and every wide row below is keyed
-- by small integers: tens of millions of person-period rows are grouped and joined here. A
-- person's number is arbitrary (it only groups their rows), so it comes from an unsorted numbering
-- of the distinct keys, far cheaper than ranking the 64-character keys.
journey_people as (
    select
        person_key,
        row_number() over () as person_number
    from (select distinct person_key from {{ ref('int_treatment_journeys') }}) as people
),

numbered_journeys as (
    select
        j.*,
        people.person_number,
        row_number() over (order by j.journey_start, j.journey_seq) as journey_order,
        {{ month_index('j.journey_start') }} as start_month,
        coalesce({{ month_index('j.journey_end') }}, {{ open_month_index() }}) as end_month
    from {{ ref('int_treatment_journeys') }} as j
    inner join journey_people as people on j.person_key = people.person_key
),

-- Latest community journey of each person active in each rolling 12-month period.
latest_journeys as (
    select
        periods.start_index,
        periods.end_index,
        max(j.journey_order) as latest_journey_order
    from numbered_journeys as j
    inner join periods
        on periods.period_type = 'rolling_12m'
            and j.start_month <= periods.end_index
            and j.end_month >= periods.start_index
    group by periods.start_index, periods.end_index, j.person_number
),

journeys as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        periods.period_after,
        j.*,
        j.journey_end is null or j.journey_end >= periods.period_after as still_in_treatment,
        j.journey_end is not null
        and j.journey_end >= periods.period_start
        and j.journey_end < periods.period_after as ended_in_period
    from latest_journeys as latest
    inner join numbered_journeys as j
        on latest.latest_journey_order = j.journey_order
    inner join periods
        on periods.period_type = 'rolling_12m'
            and latest.start_index = periods.start_index
            and latest.end_index = periods.end_index
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

-- Community episodes numbered in triage order (then episode id), with their person and their
-- breakdown attributes as small integers (arbitrary numbers, as for journeys): of a person's
-- episodes open in a period, the latest (highest number) gives the person's attributes.
episode_rows as (
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
        {{ age_band('age_at_triage') }} as age_band,
        lives_with_children,
        has_parental_responsibility
    from {{ ref('int_treatment_episodes') }}
    where setting = 'COMMUNITY'
),

community_people as (
    select
        person_key,
        row_number() over () as person_number
    from (select distinct person_key from episode_rows) as people
),

profiles as (
    select
        *,
        row_number() over () as profile_number
    from (
        select distinct
            la_code,
            region_code,
            sex,
            ethnic_group,
            age_band
        from episode_rows
    ) as distinct_profiles
),

community_episodes as (
    select
        ep.episode_id,
        ep.age_at_triage,
        ep.lives_with_children,
        ep.has_parental_responsibility,
        people.person_number,
        profiles.profile_number,
        {{ month_index('ep.triage_date') }} as triage_month,
        coalesce({{ month_index('ep.discharge_date') }}, {{ open_month_index() }}) as discharge_month,
        row_number() over (order by ep.triage_date, ep.episode_id) as episode_order
    from episode_rows as ep
    inner join community_people as people on ep.person_key = people.person_key
    inner join profiles
        on ep.la_code is not distinct from profiles.la_code
            and ep.region_code is not distinct from profiles.region_code
            and ep.sex is not distinct from profiles.sex
            and ep.ethnic_group is not distinct from profiles.ethnic_group
            and ep.age_band is not distinct from profiles.age_band
),

-- Episodes open at some time in each month or rolling period (as in the treatment journeys, by
-- month index), and peer and family support interventions of community episodes by the period
-- they fell in: one narrow row per person, period and source, aggregated together below.
person_period_rows as (
    select
        periods.start_index,
        periods.end_index,
        ep.person_number,
        ep.episode_order,
        coalesce(ep.lives_with_children, false) as lives_with_children,
        coalesce(ep.has_parental_responsibility, false) as has_parental_responsibility,
        0 as had_peer_support,
        0 as referred_family_support,
        0 as started_family_support
    from community_episodes as ep
    inner join periods
        on periods.period_type in ('month', 'rolling_12m')
            and ep.triage_month <= periods.end_index
            and ep.discharge_month >= periods.start_index
    union all
    select
        periods.start_index,
        periods.end_index,
        people.person_number,
        null as episode_order,
        false as lives_with_children,
        false as has_parental_responsibility,
        case when m.modality in ('RECOV', 'MUTAID') and m.start_month between periods.start_index
                and periods.end_index then 1
            else 0
        end as had_peer_support,
        case when m.modality = 'FAMSUP' and m.referral_month between periods.start_index
                and periods.end_index then 1
            else 0
        end as referred_family_support,
        case when m.modality = 'FAMSUP' and m.start_month between periods.start_index
                and periods.end_index then 1
            else 0
        end as started_family_support
    from (
        select
            person_key,
            modality,
            {{ month_index('start_date') }} as start_month,
            {{ month_index('referral_date') }} as referral_month
        from {{ ref('int_treatment_modalities') }}
        where setting = 'COMMUNITY'
            and modality in ('RECOV', 'MUTAID', 'FAMSUP')
    ) as m
    inner join community_people as people on m.person_key = people.person_key
    inner join periods
        on
            periods.period_type in ('month', 'rolling_12m')
            and (
                m.start_month between periods.start_index and periods.end_index
                or m.referral_month between periods.start_index and periods.end_index
            )
),

-- Each person with an episode open in a period: their latest episode, whether any of their open
-- episodes recorded children living with them or parental responsibility, and their support.
people_in_period as (
    select
        start_index,
        end_index,
        max(episode_order) as latest_episode_order,
        bool_or(lives_with_children) as lives_with_children,
        bool_or(has_parental_responsibility) as has_parental_responsibility,
        max(had_peer_support) = 1 as had_peer_support,
        max(referred_family_support) = 1 as referred_family_support,
        max(started_family_support) = 1 as started_family_support
    from person_period_rows
    group by start_index, end_index, person_number
    having max(episode_order) is not null
),

-- People with the same period, attributes profile and flags, counted once.
profile_groups as (
    select
        p.start_index,
        p.end_index,
        latest.profile_number,
        p.had_peer_support,
        p.referred_family_support,
        p.started_family_support,
        p.lives_with_children,
        p.has_parental_responsibility,
        count(*) as units
    from people_in_period as p
    inner join community_episodes as latest
        on p.latest_episode_order = latest.episode_order
    where {{ is_adult('latest.age_at_triage') }}
    group by all
),

people_groups as (
    select
        periods.period_type,
        periods.period,
        g.start_index,
        g.end_index,
        cast(null as varchar) as prison_code,
        profiles.la_code,
        profiles.region_code,
        profiles.sex,
        profiles.ethnic_group,
        profiles.age_band,
        g.had_peer_support,
        g.referred_family_support,
        g.started_family_support,
        g.lives_with_children,
        g.has_parental_responsibility,
        g.units
    from profile_groups as g
    inner join profiles on g.profile_number = profiles.profile_number
    inner join periods
        on periods.period_type in ('month', 'rolling_12m')
            and g.start_index = periods.start_index
            and g.end_index = periods.end_index
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
