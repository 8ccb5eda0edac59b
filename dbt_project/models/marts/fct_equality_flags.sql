-- Groups whose equality-of-access ratio (sub-outcome 3) falls outside the stated band
-- ({{ var('equality_band_low') }}-{{ var('equality_band_high') }}) with a 95% interval that
-- excludes 1: published, mature rows only.
select
    cast(indicator_id as varchar) as indicator_id,
    cast(period as varchar) as period,
    cast(geography_type as varchar) as geography_type,
    cast(geography_code as varchar) as geography_code,
    cast(breakdown as varchar) as breakdown,
    cast(breakdown_value as varchar) as breakdown_value,
    cast(value as double) as ratio,
    cast(ci_low as double) as ci_low,
    cast(ci_high as double) as ci_high,
    cast(case when value < {{ var('equality_band_low') }} then 'below' else 'above' end as varchar)
        as direction
from {{ ref('fct_indicators') }}
where indicator_id = 'so03_treatment_access_ratio'
    and breakdown <> 'none'
    and status = 'published'
    and (value < {{ var('equality_band_low') }} or value > {{ var('equality_band_high') }})
    and (ci_high < 1 or ci_low > 1)
