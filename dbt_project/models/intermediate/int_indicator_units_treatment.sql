{{ config(materialized='view') }}

-- Indicator units from NDTMS community treatment (sub-outcomes 7, 9, 11, 12).
with periods as (
    select
        *,
        {{ month_start('start_index') }} as period_start,
        {{ month_start('end_index + 1') }} as period_after
    from {{ ref('int_periods') }}
),

-- Latest community journey of each person active in each rolling 12-month period.
journeys_in_period as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        periods.period_start,
        periods.period_after,
        j.*,
        row_number() over (
            partition by periods.period, j.person_key
            order by j.journey_start desc, j.journey_seq desc
        ) as journey_rank
    from {{ ref('int_treatment_journeys') }} as j
    inner join periods
        on periods.period_type = 'rolling_12m'
            and j.journey_start < periods.period_after
            and (j.journey_end is null or j.journey_end >= periods.period_start)
),

journeys as (
    select
        *,
        cast(null as varchar) as prison_code,
        age_at_start as age,
        journey_end is null or journey_end >= period_after as still_in_treatment,
        journey_end is not null and journey_end >= period_start and journey_end < period_after
            as ended_in_period
    from journeys_in_period
    where journey_rank = 1
        and {{ is_adult('age_at_start') }}
),

-- People with a community episode open at some time in each month or rolling period.
episodes_in_period as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        periods.period_start,
        periods.period_after,
        ep.episode_id,
        ep.person_key,
        ep.triage_date,
        ep.la_code,
        ep.region_code,
        ep.sex,
        ep.ethnic_group,
        ep.age_at_triage,
        ep.lives_with_children,
        ep.has_parental_responsibility
    from {{ ref('int_treatment_episodes') }} as ep
    inner join periods
        on periods.period_type in ('month', 'rolling_12m')
            and ep.triage_date < periods.period_after
            and (ep.discharge_date is null or ep.discharge_date >= periods.period_start)
    where ep.setting = 'COMMUNITY'
),

-- Peer and family support interventions of community episodes, by the period they fell in.
modalities_in_period as (
    select
        periods.period_type,
        periods.period,
        m.person_key,
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
    inner join periods
        on
            periods.period_type in ('month', 'rolling_12m')
            and (
                (m.start_date >= periods.period_start and m.start_date < periods.period_after)
                or (m.referral_date >= periods.period_start and m.referral_date < periods.period_after)
            )
    where m.setting = 'COMMUNITY'
        and m.modality in ('RECOV', 'MUTAID', 'FAMSUP')
    group by periods.period_type, periods.period, m.person_key
),

people_in_period as (
    select
        period_type,
        period,
        start_index,
        end_index,
        person_key,
        max(case when latest_rank = 1 then la_code end) as la_code,
        max(case when latest_rank = 1 then region_code end) as region_code,
        max(case when latest_rank = 1 then sex end) as sex,
        max(case when latest_rank = 1 then ethnic_group end) as ethnic_group,
        max(case when latest_rank = 1 then age_at_triage end) as age,
        max(case when lives_with_children then 1 else 0 end) = 1 as lives_with_children,
        max(case when has_parental_responsibility then 1 else 0 end) = 1 as has_parental_responsibility
    from (
        select
            *,
            row_number() over (
                partition by period_type, period, person_key
                order by triage_date desc, episode_id desc
            ) as latest_rank
        from episodes_in_period
    ) as ranked
    group by period_type, period, start_index, end_index, person_key
),

people as (
    select
        p.*,
        cast(null as varchar) as prison_code,
        coalesce(m.had_peer_support, 0) = 1 as had_peer_support,
        coalesce(m.referred_family_support, 0) = 1 as referred_family_support,
        coalesce(m.started_family_support, 0) = 1 as started_family_support
    from people_in_period as p
    left join modalities_in_period as m
        on p.period_type = m.period_type
            and p.period = m.period
            and p.person_key = m.person_key
    where {{ is_adult('p.age') }}
),

modalities as (
    {{ units_in_periods(ref('int_treatment_modalities'), 'start_month_index', age='age_at_triage',
        absent=['prison_code'], columns=['evidence_value']) }}
),

-- Community TOP episodes by the month their 7-month review fell due.
tops_due as (
    select
        *,
        {{ dbt.dateadd('month', 7, 'start_date') }} as due_date
    from {{ ref('int_top_change') }}
    where setting = 'COMMUNITY'
),

reviews_due as (
    {{ units_in_periods('tops_due', month_index('due_date'), age='age_at_triage', absent=['prison_code'],
        columns=['review_date is not null and review_date <= due_date as reviewed_by_due_date'],
        where='discharge_date is null or discharge_date >= due_date') }}
)

{{ indicator_units('journeys', 'so07_ni40_effective_treatment',
    flag("still_in_treatment or " ~ dbt.datediff('journey_start', 'journey_end', 'day')
        ~ " >= " ~ var('effective_treatment_days') ~ " or end_reason in ('80', '81', '82', '83')"),
    where='is_opiate_or_crack') }}
union all
{{ indicator_units('journeys', 'so07_c19a_completion_opiate',
    flag('ended_in_period and completed_successfully and not represented_within_window'),
    where='is_opiate') }}
union all
{{ indicator_units('journeys', 'so07_c19b_completion_non_opiate',
    flag('ended_in_period and completed_successfully and not represented_within_window'),
    where='is_non_opiate') }}
union all
{{ indicator_units('reviews_due', 'so07_top_review_completion', flag('reviewed_by_due_date')) }}
union all
{{ indicator_units('modalities', 'so07_mean_evidence_value', 'evidence_value',
    num_sq='evidence_value * evidence_value') }}
union all
{{ indicator_units('people', 'so09_peer_support_access', flag('had_peer_support')) }}
union all
{{ indicator_units('people', 'so11_family_referral_children_at_home', flag('referred_family_support'),
    where='lives_with_children') }}
union all
{{ indicator_units('people', 'so12_family_support_parents', flag('started_family_support'),
    where='has_parental_responsibility') }}
