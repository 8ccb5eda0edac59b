-- rMDT tests, one row per TEST_ID (latest delivery), with result flags.
{{ config(**staging_config('rmdt_test', {'record_key': 'record_key'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'rmdt_test'), ['record_key']) }}
)

select
    record_key as test_id,
    record_key,
    {{ clean_code('establishment') }} as prison_code,
    test_date,
    {{ clean_code('reason') }} as reason,
    {{ clean_code('sample_status') }} as sample_status,
    {{ clean_code('opiates') }} = 'POS' as opiates_positive,
    {{ clean_code('cannabis') }} = 'POS' as cannabis_positive,
    {{ clean_code('cocaine') }} = 'POS' as cocaine_positive,
    {{ clean_code('benzodiazepines') }} = 'POS' as benzodiazepines_positive,
    {{ clean_code('buprenorphine') }} = 'POS' as buprenorphine_positive,
    {{ clean_code('psychoactive') }} = 'POS' as psychoactive_positive,
    _delivery_month as delivery_month
from delivered
