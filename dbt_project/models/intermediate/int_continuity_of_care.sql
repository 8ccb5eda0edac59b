-- Releases to the community with a treatment need (in secure treatment at release, or a triage
-- need). Continuity of care (PHOF C20) applies to those in treatment at release:
-- engaged in community structured treatment (an NDTMS community episode triaged) from the release
-- day to day {{ var('continuity_window_days') }} after it, or already engaged (a community episode
-- open on the release day). Exclusions (OHID C20): deportation and death within the window
-- (transfers are not releases to the community). Deaths are those NDTMS records (discharge
-- reason 87): the warehouse has no mortality feed, so a death outside treatment is not excluded
-- (docs/definitions.md measures the effect). Also deaths within 28 days and 12 months of release.
with releases as (
    select *
    from {{ ref('int_releases') }}
    where is_release_to_community
        and has_treatment_need
),

community as (
    select
        person_key,
        triage_date,
        discharge_date
    from {{ ref('int_treatment_episodes') }}
    where setting = 'COMMUNITY'
),

engagement as (
    select
        releases.release_id,
        min(
            case
                when community.triage_date >= releases.release_date
                    and {{ dbt.datediff('releases.release_date', 'community.triage_date', 'day') }}
                    <= {{ var('continuity_window_days') }}
                    then {{ dbt.datediff('releases.release_date', 'community.triage_date', 'day') }}
            end
        ) as days_to_engagement,
        max(
            case
                when community.triage_date < releases.release_date
                    and (community.discharge_date is null or community.discharge_date >= releases.release_date)
                    then 1
                else 0
            end
        ) = 1 as already_engaged
    from releases
    inner join community
        on releases.person_key = community.person_key
    group by releases.release_id
),

outcomes as (
    select
        releases.*,
        engagement.days_to_engagement,
        coalesce(engagement.already_engaged, false) as already_engaged,
        deaths.death_date,
        {{ dbt.datediff('releases.release_date', 'deaths.death_date', 'day') }} as days_to_death,
        coalesce(deaths.death_date < {{ dbt.dateadd('month', 12, 'releases.release_date') }}, false)
            as died_within_12_months
    from releases
    left join engagement
        on releases.release_id = engagement.release_id
    left join {{ ref('int_deaths') }} as deaths
        on releases.person_key = deaths.person_key
            and releases.release_date <= deaths.death_date
)

select
    release_id,
    person_key,
    release_date,
    release_month_index,
    prison_code,
    la_code,
    region_code,
    sex,
    ethnic_group,
    age_at_release,
    is_deported,
    in_treatment,
    days_to_engagement,
    already_engaged,
    days_to_engagement is not null{% if rule_on('already_engaged') %} or already_engaged{% endif %} as engaged_within_window,
    coalesce(days_to_death between 0 and {{ var('continuity_window_days') }}, false) as died_within_window,
    case
        when is_deported then 'deported'
        when coalesce(days_to_death between 0 and {{ var('continuity_window_days') }}, false)
            {{- '' if rule_on('deaths_in_window') else ' and false' }} then 'died'
    end as exclusion_reason,
    death_date,
    coalesce(days_to_death between 0 and 28, false) as died_within_28_days,
    died_within_12_months
from outcomes
