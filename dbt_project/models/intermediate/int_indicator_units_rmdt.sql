-- Indicator units from rMDT random tests (sub-outcome 2), one per test.
with base as (
    select
        periods.period_type,
        periods.period,
        periods.start_index,
        periods.end_index,
        tests.prison_code,
        cast(null as varchar) as la_code,
        tests.region_code,
        cast(null as varchar) as sex,
        cast(null as varchar) as ethnic_group,
        cast(null as integer) as age,
        tests.is_tested,
        tests.is_refused,
        tests.is_positive_traditional,
        tests.is_positive_psychoactive
    from {{ ref('int_rmdt_tests') }} as tests
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type in ('month', 'rolling_12m')
            and tests.test_month_index between periods.start_index and periods.end_index
    where tests.is_random
)

{{ indicator_units('base', 'so02_rmdt_positive_traditional', flag('is_positive_traditional'), where='is_tested') }}
union all
{{ indicator_units('base', 'so02_rmdt_positive_psychoactive', flag('is_positive_psychoactive'), where='is_tested') }}
union all
{{ indicator_units('base', 'so02_rmdt_positive_or_refused_traditional',
    flag('is_positive_traditional or is_refused'), where='is_tested or is_refused') }}
union all
{{ indicator_units('base', 'so02_rmdt_refusal_rate', flag('is_refused')) }}
