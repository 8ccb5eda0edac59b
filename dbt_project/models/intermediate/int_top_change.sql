-- TOP change between stages: each episode's first TOP at start (S) paired with its first review
-- (R) on or after it.
{{ config(**person_config()) }}
with tops as (
    select * from {{ ref('stg_ndtms_top') }}
    {%- if person_patching() %}
    where episode_id in (
        select ep.episode_id from {{ ref('int_treatment_episodes') }} as ep
        where {{ changed_people_only('ep.person_key') }}
    )
    {%- endif %}
),

starts as (
    select
        *,
        row_number() over (partition by episode_id order by top_date, top_id) as start_rank
    from tops
    where stage = 'S'
),

reviews as (
    select
        tops.*,
        row_number() over (partition by tops.episode_id order by tops.top_date, tops.top_id) as review_rank
    from tops
    inner join starts
        on tops.episode_id = starts.episode_id
            and starts.start_rank = 1
            and tops.top_date >= starts.top_date
    where tops.stage = 'R'
)

select
    ep.episode_id,
    ep.person_key,
    s.top_id as start_top_id,
    r.top_id as review_top_id,
    ep.setting,
    ep.la_code,
    ep.region_code,
    ep.sex,
    ep.ethnic_group,
    ep.age_at_triage,
    ep.discharge_date,
    s.top_date as start_date,
    r.top_date as review_date,
    {{ month_index('r.top_date') }} as review_month_index,
    s.opiate_days as start_opiate_days,
    r.opiate_days as review_opiate_days,
    s.crack_days as start_crack_days,
    r.crack_days as review_crack_days,
    s.injecting_days as start_injecting_days,
    r.injecting_days as review_injecting_days,
    s.sharing as start_sharing,
    r.sharing as review_sharing,
    s.acute_housing_problem as start_acute_housing_problem,
    r.acute_housing_problem as review_acute_housing_problem,
    s.quality_of_life as start_quality_of_life,
    r.quality_of_life as review_quality_of_life,
    s.paid_work_days as start_paid_work_days,
    r.paid_work_days as review_paid_work_days
from starts as s
inner join {{ ref('int_treatment_episodes') }} as ep
    on s.episode_id = ep.episode_id
left join reviews as r
    on s.episode_id = r.episode_id
        and r.review_rank = 1
where s.start_rank = 1
