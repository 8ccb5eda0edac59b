-- The long indicator table (contract: docs/indicator-table.md). One row per indicator x period x
-- geography x breakdown value, unsuppressed; periods after the indicator's maturity period are
-- 'not_yet_mature'. Disclosure control is applied at publication.
with ctx as (
    select * from {{ ref('int_run_context') }}
),

catalogue as (
    select
        indicator_id,
        maturity_lag_months
    from {{ ref('indicator_catalogue') }}
),

geography_names as (
    select
        geography_type,
        geography_code,
        geography_name
    from {{ ref('dim_geography') }}
),

valued as (
    select
        v.*,
        ctx.as_of_month_index - catalogue.maturity_lag_months as mature_end_index
    from {{ ref('int_indicator_values') }} as v
    inner join catalogue
        on v.indicator_id = catalogue.indicator_id
    cross join ctx
)

select
    cast(valued.indicator_id as varchar) as indicator_id,
    cast(valued.period as varchar) as period,
    cast(valued.period_type as varchar) as period_type,
    cast(valued.geography_type as varchar) as geography_type,
    cast(valued.geography_code as varchar) as geography_code,
    cast(coalesce(names.geography_name, valued.geography_code) as varchar) as geography_name,
    cast(valued.breakdown as varchar) as breakdown,
    cast(valued.breakdown_value as varchar) as breakdown_value,
    cast(valued.numerator as double) as numerator,
    cast(valued.denominator as double) as denominator,
    cast(valued.value as double) as value,
    cast(valued.ci_low as double) as ci_low,
    cast(valued.ci_high as double) as ci_high,
    cast(
        {{ period_label(
            'valued.period_type',
            "case when valued.period_type = 'rolling_12m' then valued.mature_end_index - 11 else valued.mature_end_index end",
            'valued.mature_end_index'
        ) }} as varchar
    ) as maturity_period,
    cast(case when valued.end_index <= valued.mature_end_index then 'published' else 'not_yet_mature' end as varchar)
        as status
from valued
left join geography_names as names
    on valued.geography_type = names.geography_type
        and valued.geography_code = names.geography_code
