-- Community treatment journeys: a person's community episodes joined when the gap between a
-- discharge and the next triage is {{ var('journey_gap_days') }} days or less, both dates counted.
-- Each journey carries its end state and whether the person re-presented within
-- {{ var('representation_months') }} months of a successful completion.
{{ config(**person_config()) }}
with episodes as (
    select
        *,
        max(coalesce(discharge_date, cast('9999-12-31' as date))) over (
            partition by person_key
            order by triage_date, episode_id
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from {{ ref('int_treatment_episodes') }}
    where setting = 'COMMUNITY' and {{ changed_people_only('person_key') }}
),

flagged as (
    select
        *,
        case
            when previous_end is null then 1
            when {{ dbt.datediff('previous_end', 'triage_date', 'day') }} + 1 > {{ var('journey_gap_days') }} then 1
            else 0
        end as starts_journey
    from episodes
),

numbered as (
    select
        *,
        sum(starts_journey) over (
            partition by person_key
            order by triage_date, episode_id
            rows between unbounded preceding and current row
        ) as journey_seq
    from flagged
),

last_in_journey as (
    select
        *,
        row_number() over (
            partition by person_key, journey_seq
            order by coalesce(discharge_date, cast('9999-12-31' as date)) desc, triage_date desc, episode_id desc
        ) as end_rank
    from numbered
),

journeys as (
    select
        person_key,
        journey_seq,
        min(triage_date) as journey_start,
        case when count(discharge_date) = count(*) then max(discharge_date) end as journey_end,
        max(case when end_rank = 1 then discharge_reason end) as end_reason,
        max(case when end_rank = 1 and on_substitute_medication_at_exit then 1 else 0 end) = 1
            as on_substitute_medication_at_exit,
        max(case when is_opiate then 1 else 0 end) = 1 as is_opiate,
        max(case when is_crack then 1 else 0 end) = 1 as is_crack,
        max(case when has_non_opiate_drug then 1 else 0 end) = 1 as has_non_opiate_drug,
        max(case when end_rank = 1 then la_code end) as la_code,
        max(case when end_rank = 1 then region_code end) as region_code,
        max(case when end_rank = 1 then sex end) as sex,
        max(case when end_rank = 1 then ethnic_group end) as ethnic_group,
        min(age_at_triage) as age_at_start,
        count(*) as episode_count
    from last_in_journey
    group by person_key, journey_seq
),

with_next as (
    select
        *,
        lead(journey_start) over (partition by person_key order by journey_seq) as next_journey_start
    from journeys
)

select
    person_key || '-' || cast(journey_seq as varchar) as journey_id,
    person_key,
    journey_seq,
    journey_start,
    journey_end,
    end_reason,
    on_substitute_medication_at_exit,
    is_opiate,
    is_crack,
    is_opiate or is_crack as is_opiate_or_crack,
    not is_opiate and has_non_opiate_drug as is_non_opiate,
    la_code,
    region_code,
    sex,
    ethnic_group,
    age_at_start,
    episode_count,
    {{ dbt.datediff('journey_start', 'journey_end', 'day') }} as days_in_treatment,
    journey_end is not null
    and end_reason in ('80', '81')
    and not (is_opiate and on_substitute_medication_at_exit) as completed_successfully,
    next_journey_start,
    next_journey_start is not null
    and next_journey_start
    < {{ dbt.dateadd('month', var('representation_months'), 'journey_end') }} as represented_within_window
from with_next
