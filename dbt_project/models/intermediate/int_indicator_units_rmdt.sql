{{ config(materialized='view') }}

-- Indicator units from rMDT random tests (sub-outcome 2), one per test, placed in its month only
-- (int_indicator_cells rolls months up into rolling 12-month windows).
with base as (
    {{ units_in_periods(ref('int_rmdt_tests'), 'test_month_index',
        absent=['la_code', 'sex', 'ethnic_group'], where='is_random',
        columns=['is_tested', 'is_refused', 'is_positive_traditional', 'is_positive_psychoactive'], period_types=['month']) }}
)

{{ indicator_units('base', 'so02_rmdt_positive_traditional', flag('is_positive_traditional'), where='is_tested') }}
union all
{{ indicator_units('base', 'so02_rmdt_positive_psychoactive', flag('is_positive_psychoactive'), where='is_tested') }}
union all
{{ indicator_units('base', 'so02_rmdt_positive_or_refused_traditional',
    flag('is_positive_traditional or is_refused'), where='is_tested or is_refused') }}
union all
{{ indicator_units('base', 'so02_rmdt_refusal_rate', flag('is_refused')) }}
