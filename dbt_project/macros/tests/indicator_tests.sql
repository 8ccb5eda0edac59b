{#- Each breakdown's categories sum to the `none` row of the same indicator, period and geography
    (denominators always; numerators except where the unit has none). Ratio denominators are
    expected counts, so they are compared with a tolerance. -#}
{% test breakdowns_sum_to_total(model) %}
with totals as (
    select indicator_id, period, geography_type, geography_code, numerator, denominator
    from {{ model }}
    where breakdown = 'none'
),

sums as (
    select
        indicator_id,
        period,
        geography_type,
        geography_code,
        breakdown,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from {{ model }}
    where breakdown <> 'none'
    group by indicator_id, period, geography_type, geography_code, breakdown
)

select sums.*, totals.numerator as total_numerator, totals.denominator as total_denominator
from sums
left join totals
    on sums.indicator_id = totals.indicator_id
    and sums.period = totals.period
    and sums.geography_type = totals.geography_type
    and sums.geography_code = totals.geography_code
where totals.denominator is null
    or abs(sums.denominator - totals.denominator) > 1e-6 * greatest(1, abs(totals.denominator))
    or abs(coalesce(sums.numerator, 0) - coalesce(totals.numerator, 0))
    > 1e-6 * greatest(1, abs(coalesce(totals.numerator, 0)))
{% endtest %}

{#- maturity_period is the same on every row of an indicator and period type. -#}
{% test maturity_period_consistent(model) %}
select indicator_id, period_type, count(distinct maturity_period) as n_maturity_periods
from {{ model }}
group by indicator_id, period_type
having count(distinct maturity_period) > 1
{% endtest %}

{#- Where an interval is given it contains the value. -#}
{% test ci_contains_value(model) %}
select *
from {{ model }}
where ci_low is not null and ci_high is not null and value is not null
    and (ci_low > value + 1e-9 or ci_high < value - 1e-9)
{% endtest %}

{#- Every catalogue indicator has at least one row (needs enough months of data). -#}
{% test every_catalogue_indicator_present(model) %}
select cat.indicator_id
from {{ ref('indicator_catalogue') }} as cat
left join (select distinct indicator_id from {{ model }}) as present
    on cat.indicator_id = present.indicator_id
where present.indicator_id is null
{% endtest %}
