{{ config(materialized='view') }}

-- Value and 95% interval of each aggregated indicator row, by the catalogue unit:
-- proportion (Wilson score), rates per 1,000 and ratios (Byar's Poisson interval on the observed
-- count), means (normal approximation), medians (no interval). A rate per 100 of events that one
-- person can have several of (re-offences per 100 released) carries the squares of each person's
-- count: its interval is the normal interval of the mean count per person with the sample variance
-- over people (clustered on people, the robust equivalent of a quasi-Poisson interval); Byar's
-- interval, which treats every event as independent, is kept only without the squares.
with rows_with_unit as (
    select
        agg.*,
        cat.unit
    from {{ ref('int_indicator_aggregates') }} as agg
    inner join {{ ref('indicator_catalogue') }} as cat
        on agg.indicator_id = cat.indicator_id
    where agg.denominator > 0
),

mean_stats as (
    select
        *,
        case
            when unit in ('mean', 'rate_per_100') and denominator > 1 and numerator_squares is not null
                then sqrt(
                        greatest(numerator_squares - numerator * numerator / denominator, 0) / (denominator - 1)
                    ) / sqrt(denominator)
        end as standard_error
    from rows_with_unit
)

select
    indicator_id,
    period_type,
    period,
    start_index,
    end_index,
    geography_type,
    geography_code,
    breakdown,
    breakdown_value,
    unit,
    case when unit = 'median_days' then null else numerator end as numerator,
    denominator,
    case unit
        when 'proportion' then numerator / denominator
        when 'rate_per_100' then 100 * numerator / denominator
        when 'rate_per_1000' then 1000 * numerator / denominator
        when 'mean' then numerator / denominator
        when 'ratio' then numerator / denominator
        when 'median_days' then median_value
    end as value,
    {%- for bound, wilson, byar, sign in [('low', wilson_low, byar_low, '-'), ('high', wilson_high, byar_high, '+')] %}
        case unit
            when 'proportion' then {{ wilson('numerator', 'denominator') }}
            when 'rate_per_100'
                then 100 * coalesce(
                        {{ 'greatest(0, ' if sign == '-' else '(' }}numerator / denominator {{ sign }} 1.959963984540054 * standard_error),
                        {{ byar('numerator') }} / denominator
                    )
            when 'rate_per_1000' then 1000 * {{ byar('numerator') }} / denominator
            when 'ratio' then {{ byar('numerator') }} / denominator
            when 'mean' then numerator / denominator {{ sign }} 1.959963984540054 * standard_error
        end as ci_{{ bound }},
    {%- endfor %}
    unit_count
from mean_stats
