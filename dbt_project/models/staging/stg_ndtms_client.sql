-- NDTMS clients, latest delivered version of each CLIENTID.
{{ config(**staging_config('ndtms_client', {'record_key': 'record_key'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'ndtms_client'), ['record_key']) }}
)

select
    record_key,
    {{ clean_code('agncy') }} as agency_code,
    birth_year,
    birth_month,
    {{ clean_code('sex') }} as sex_code,
    {{ clean_code('ethnic') }} as ethnicity_code,
    {{ clean_code('la') }} as la_code,
    {{ clean_code('prntstat') }} as parental_status,
    childwth as children_living_with,
    _delivery_month as delivery_month
from delivered
