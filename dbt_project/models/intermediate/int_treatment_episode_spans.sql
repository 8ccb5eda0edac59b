-- Each adult's community treatment episodes and support in months and rolling 12-month periods
-- (sub-outcomes 9, 11, 12), as spans of period ends (span_start <= x < span_end, x a period's
-- last month index): the breakdown attributes of their latest episode open in those periods,
-- whether any open episode recorded children living with them or parental responsibility, and
-- their peer and family support there. Counted into periods by int_indicator_units_treatment.
--
-- An episode open in months a..b, or a support event in month a, reaches the periods ending in
-- a..b (months) or a..b + 11 (rolling); each person's period ends are cut into spans where that
-- changes and the state is taken once per span. Patched per build for the people it changed
-- (macros/person_builds.sql): every row depends on its person's episodes and interventions only.
{{ config(**person_config()) }}
with episode_rows as (
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
    where setting = 'COMMUNITY' and {{ changed_people_only('person_key') }}
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

-- Each person's community episodes numbered in triage order (then episode id), with their
-- breakdown attributes as a small integer (an arbitrary number): of a person's episodes open in a
-- period, the latest (highest number) gives the person's attributes.
community_episodes as (
    select
        ep.episode_id,
        ep.person_key,
        ep.age_at_triage,
        ep.lives_with_children,
        ep.has_parental_responsibility,
        people.person_number,
        profiles.profile_number,
        {{ month_index('ep.triage_date') }} as triage_month,
        coalesce({{ month_index('ep.discharge_date') }}, {{ open_month_index() }}) as discharge_month,
        row_number() over (
            partition by people.person_number order by ep.triage_date, ep.episode_id
        ) as episode_order
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
    where setting = 'COMMUNITY' and {{ changed_people_only('person_key') }}
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
        spans.person_number,
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

spans as (
    select
        latest.person_key,
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
        on p.person_number = latest.person_number
            and p.latest_episode_order = latest.episode_order
    inner join profiles on latest.profile_number = profiles.profile_number
    where {{ is_adult('latest.age_at_triage') }}
)

select * from spans
