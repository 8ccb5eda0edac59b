-- DIR custody triage at reception, one row per DIR_ID (latest delivery).
{{ config(**staging_config('dir_triage', {'record_key': 'record_key'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'dir_triage'), ['record_key']) }}
)

select
    record_key as dir_id,
    record_key,
    triage_date,
    {{ clean_code('establishment') }} as prison_code,
    birth_year,
    birth_month,
    {{ clean_code('sex') }} as sex_code,
    {{ clean_code('ethnicity') }} as ethnicity_code,
    {{ clean_code('substance_1') }} as substance_1,
    {{ clean_code('route_1') }} as route_1,
    {{ clean_code('frequency_1') }} as frequency_1,
    {{ clean_code('substance_2') }} as substance_2,
    {{ clean_code('route_2') }} as route_2,
    {{ clean_code('frequency_2') }} as frequency_2,
    {{ clean_code('substance_3') }} as substance_3,
    {{ clean_code('route_3') }} as route_3,
    {{ clean_code('frequency_3') }} as frequency_3,
    {{ clean_code('injecting_status') }} as injecting_status,
    coalesce(treatment_need, false) as treatment_need,
    coalesce(care_planned, false) as care_planned,
    {{ clean_code('prison_modality') }} as prison_modality,
    planned_release_date,
    _delivery_month as delivery_month
from delivered
