{{ config(materialized='view') }}

-- Value and 95% interval of each aggregated indicator row, by the catalogue unit:
-- proportion (Wilson score), rates per 100 / 1,000 and ratios (Byar's Poisson interval on the
-- observed count), means (normal approximation), medians (no interval).
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
            when unit = 'mean' and denominator > 1
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
            when 'rate_per_100' then 100 * {{ byar('numerator') }} / denominator
            when 'rate_per_1000' then 1000 * {{ byar('numerator') }} / denominator
            when 'ratio' then {{ byar('numerator') }} / denominator
            when 'mean' then numerator / denominator {{ sign }} 1.959963984540054 * standard_error
        end as ci_{{ bound }},
    {%- endfor %}
    unit_count
from mean_stats
