{{ config(materialized='view') }}

-- Indicator units from NDTMS community treatment journeys and people (sub-outcomes 7, 9, 11, 12):
-- one unit per person per period, so every period is placed here (no roll-up from months).
--
-- Periods are identified by their last month x (a month index): a calendar month is x itself, a
-- rolling 12-month period x - 11..x. A journey or episode open in months a..b is then open in the
-- periods ending in a..b + 11 (rolling) or a..b (months), and a person's state in a period (their
-- latest journey or episode open in it, and its flags) changes only where one of theirs starts or
-- stops being open, ends, or is retained 84 days: each person's period ends are cut into spans at
-- those points, the state is taken once per span, and spans are counted into periods by running
-- sums of +1 at each span's start and -1 at its end (macro spans_in_periods). The counts are those
-- of placing every person in every period, without the tens of millions of person-period rows.
-- Person numbers are arbitrary (they only group a person's rows): an unsorted numbering of the
-- distinct keys, far cheaper than ranking the 64-character keys.
with journey_people as (
    select
        person_key,
        row_number() over () as person_number
    from (select distinct person_key from {{ ref('int_treatment_journeys') }}) as people
),

-- Community journeys numbered by start (then the person's journey number): of a person's journeys
-- open in a period, the latest is the one with the highest number. retained_from: the first
-- period end whose next month starts 84 or more days after triage (an open journey counts as
-- retained 12 weeks from that period on).
numbered_journeys as (
    select
        *,
        {{ month_index('retained_on') }}
        - case when extract(day from retained_on) = 1 then 1 else 0 end as retained_from
    from (
        select
            j.*,
            people.person_number,
            row_number() over (order by j.journey_start, j.journey_seq) as journey_order,
            {{ month_index('j.journey_start') }} as start_month,
            coalesce({{ month_index('j.journey_end') }}, {{ open_month_index() }}) as end_month,
            cast({{ dbt.dateadd('day', var('effective_treatment_days'), 'j.journey_start') }} as date)
                as retained_on
        from {{ ref('int_treatment_journeys') }} as j
        inner join journey_people as people on j.person_key = people.person_key
    ) as journeys
),

-- Where a person's state in rolling periods can change: a journey starts, ends (no longer in
-- treatment), is retained, or stops being open in the rolling period (12 months after its end).
journey_spans as (
    select
        person_number,
        cut as span_start,
        lead(cut) over (partition by person_number order by cut) as span_end
    from (
        select
            person_number,
            start_month as cut
        from numbered_journeys
        union
        select
            person_number,
            end_month + 12 as cut
        from numbered_journeys
        union
        select
            person_number,
            end_month as cut
        from numbered_journeys
        where journey_end is not null
        union
        select
            person_number,
            retained_from as cut
        from numbered_journeys
    ) as cuts
    where cut is not null
),

latest_journeys as (
    select
        spans.span_start,
        spans.span_end,
        max(j.journey_order) as latest_journey_order
    from journey_spans as spans
    inner join numbered_journeys as j
        on spans.person_number = j.person_number
            and spans.span_start >= j.start_month
            and spans.span_start < j.end_month + 12
    group by spans.person_number, spans.span_start, spans.span_end
),

journeys as (
    select
        latest.span_start,
        latest.span_end,
        j.*,
        -- a journey is latest only in periods ending up to 11 months after its end, so one no
        -- longer in treatment ended in the period
        j.journey_end is null or latest.span_start < j.end_month as still_in_treatment
    from latest_journeys as latest
    inner join numbered_journeys as j
        on latest.latest_journey_order = j.journey_order
    where {{ is_adult('j.age_at_start') }}
),

journey_spans_by_group as (
    select
        'rolling_12m' as period_type,
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
                then {{ 'span_start >= retained_from' if rule_on('ni40_retention') else 'true' }}
            else {{ dbt.datediff('journey_start', 'journey_end', 'day') }} >= {{ var('effective_treatment_days') }}
                or end_reason in ('80', '81', '82', '83')
        end as is_effective,
        not still_in_treatment and completed_successfully and not represented_within_window as is_completed,
        span_start,
        span_end
    from journeys
),

-- Journeys with the same period, breakdown attributes and outcome flags, counted once (every
-- indicator below then reads one row per group instead of one per person).
journey_groups as (
    {{ spans_in_periods('journey_spans_by_group', 'period_type, la_code, region_code, sex,
        ethnic_group, age_band, is_opiate, is_non_opiate, is_opiate_or_crack, is_effective,
        is_completed') }}
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

-- How far past its last month a month or event reaches in each period type's period ends.
period_reach as (
    select
        'month' as period_type,
        0 as reach
    union all
    select
        'rolling_12m' as period_type,
        11 as reach
),

modalities as (
    select
        person_key,
        modality,
        {{ month_index('start_date') }} as start_month,
        {{ month_index('referral_date') }} as referral_month
    from {{ ref('int_treatment_modalities') }}
    where setting = 'COMMUNITY'
        and modality in ('RECOV', 'MUTAID', 'FAMSUP')
),

-- Community peer and family support interventions, one row per event that flags a period.
support_events as (
    select
        person_key,
        start_month as event_month,
        'peer' as support_kind
    from modalities
    where modality in ('RECOV', 'MUTAID')
    union all
    select
        person_key,
        referral_month as event_month,
        'family_referral' as support_kind
    from modalities
    where modality = 'FAMSUP'
    union all
    select
        person_key,
        start_month as event_month,
        'family_start' as support_kind
    from modalities
    where modality = 'FAMSUP'
),

-- The period ends (open_from <= x < open_until) in which an episode is open, or a support event
-- falls, per person and period type.
person_reach as (
    select
        ep.person_number,
        reach.period_type,
        ep.triage_month as open_from,
        ep.discharge_month + reach.reach + 1 as open_until,
        ep.episode_order,
        coalesce(ep.lives_with_children, false) as lives_with_children,
        coalesce(ep.has_parental_responsibility, false) as has_parental_responsibility,
        false as had_peer_support,
        false as referred_family_support,
        false as started_family_support
    from community_episodes as ep
    cross join period_reach as reach
    where ep.triage_month is not null
    union all
    select
        people.person_number,
        reach.period_type,
        events.event_month as open_from,
        events.event_month + reach.reach + 1 as open_until,
        null as episode_order,
        false as lives_with_children,
        false as has_parental_responsibility,
        events.support_kind = 'peer' as had_peer_support,
        events.support_kind = 'family_referral' as referred_family_support,
        events.support_kind = 'family_start' as started_family_support
    from support_events as events
    inner join community_people as people on events.person_key = people.person_key
    cross join period_reach as reach
    where events.event_month is not null
),

person_spans as (
    select
        person_number,
        period_type,
        cut as span_start,
        lead(cut) over (partition by person_number, period_type order by cut) as span_end
    from (
        select
            person_number,
            period_type,
            open_from as cut
        from person_reach
        union
        select
            person_number,
            period_type,
            open_until as cut
        from person_reach
    ) as cuts
),

-- Each person with an episode open in a span: their latest episode, whether any of their open
-- episodes recorded children living with them or parental responsibility, and their support.
people_in_spans as (
    select
        spans.period_type,
        spans.span_start,
        spans.span_end,
        max(r.episode_order) as latest_episode_order,
        bool_or(r.lives_with_children) as lives_with_children,
        bool_or(r.has_parental_responsibility) as has_parental_responsibility,
        bool_or(r.had_peer_support) as had_peer_support,
        bool_or(r.referred_family_support) as referred_family_support,
        bool_or(r.started_family_support) as started_family_support
    from person_spans as spans
    inner join person_reach as r
        on spans.person_number = r.person_number
            and spans.period_type = r.period_type
            and spans.span_start >= r.open_from
            and spans.span_start < r.open_until
    group by spans.person_number, spans.period_type, spans.span_start, spans.span_end
    having max(r.episode_order) is not null
),

people_spans_by_group as (
    select
        p.period_type,
        profiles.la_code,
        profiles.region_code,
        profiles.sex,
        profiles.ethnic_group,
        profiles.age_band,
        p.had_peer_support,
        p.referred_family_support,
        p.started_family_support,
        p.lives_with_children,
        p.has_parental_responsibility,
        p.span_start,
        p.span_end
    from people_in_spans as p
    inner join community_episodes as latest
        on p.latest_episode_order = latest.episode_order
    inner join profiles on latest.profile_number = profiles.profile_number
    where {{ is_adult('latest.age_at_triage') }}
),

-- People with the same period, attributes and flags, counted once.
people_groups as (
    {{ spans_in_periods('people_spans_by_group', 'period_type, la_code, region_code, sex,
        ethnic_group, age_band, had_peer_support, referred_family_support, started_family_support,
        lives_with_children, has_parental_responsibility') }}
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
