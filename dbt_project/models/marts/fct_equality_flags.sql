-- Equality of access (sub-outcome 3): every group's published access ratio with its flag. A
-- group is flagged when its ratio is outside the band
-- ({{ var('equality_band_low') }}-{{ var('equality_band_high') }}) and its 95% interval
-- excludes parity (1). Every assessed group has a row, so "nothing flagged" reads as
-- flagged = false on every row, not as an empty table.
with ratios as (
    select
        indicator_id,
        period,
        period_type,
        geography_type,
        geography_code,
        geography_name,
        breakdown,
        breakdown_value,
        numerator,
        denominator,
        value,
        ci_low,
        ci_high,
        case
            when value < {{ var('equality_band_low') }} and ci_high < 1 then 'below'
            when value > {{ var('equality_band_high') }} and ci_low > 1 then 'above'
        end as direction
    from {{ ref('fct_indicators') }}
    where indicator_id = 'so03_treatment_access_ratio'
        and breakdown <> 'none'
        and status = 'published'
)

select
    cast(indicator_id as varchar) as indicator_id,
    cast(period as varchar) as period,
    cast(period_type as varchar) as period_type,
    cast(geography_type as varchar) as geography_type,
    cast(geography_code as varchar) as geography_code,
    cast(geography_name as varchar) as geography_name,
    cast(breakdown as varchar) as breakdown,
    cast(breakdown_value as varchar) as breakdown_value,
    cast(numerator as double) as observed,
    cast(denominator as double) as expected,
    cast(value as double) as ratio,
    cast(ci_low as double) as ci_low,
    cast(ci_high as double) as ci_high,
    cast(direction is not null as boolean) as flagged,
    cast(direction as varchar) as direction
from ratios
