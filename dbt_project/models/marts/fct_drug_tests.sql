-- rMDT tests (all reasons) with status and results.
select
    cast(test_id as varchar) as test_id,
    cast(person_key as varchar) as person_key,
    cast(prison_code as varchar) as prison_code,
    cast(test_date as date) as test_date,
    cast({{ month_label('test_month_index') }} as varchar) as test_month,
    cast(reason as varchar) as reason,
    cast(sample_status as varchar) as sample_status,
    cast(is_positive_traditional as boolean) as is_positive_traditional,
    cast(is_positive_psychoactive as boolean) as is_positive_psychoactive
from {{ ref('int_rmdt_tests') }}
