-- Each adult's community treatment journey state in rolling 12-month periods, as spans of period
-- ends (span_start <= x < span_end, x a period's last month index) with the breakdown attributes
-- and outcome flags of their latest journey open in those periods (sub-outcome 7). Counted into
-- periods by int_indicator_units_treatment.
--
-- A journey open in months a..b is open in the rolling periods ending in a..b + 11, and a person's
-- state changes only where one of their journeys starts or stops being open, ends, or is retained
-- 84 days: each person's period ends are cut into spans at those points and the state is taken
-- once per span. Person numbers are arbitrary (they only group a person's rows): an unsorted
-- numbering of the distinct keys, far cheaper than ranking the 64-character keys. Patched per
-- build for the people it changed (macros/person_builds.sql): every row depends on its person's
-- journeys only.
{{ config(**person_config()) }}
with journey_people as (
    select
        person_key,
        row_number() over () as person_number
    from (
        select distinct person_key from {{ ref('int_treatment_journeys') }}
        where {{ changed_people_only('person_key') }}
    ) as people
),

-- Each person's community journeys numbered by start (then journey number): of a person's
-- journeys open in a period, the latest is the one with the highest number. retained_from: the first
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
            row_number() over (
                partition by people.person_number order by j.journey_start, j.journey_seq
            ) as journey_order,
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
        spans.person_number,
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
        on latest.person_number = j.person_number
            and latest.latest_journey_order = j.journey_order
    where {{ is_adult('j.age_at_start') }}
),

spans as (
    select
        person_key,
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
)

select * from spans
