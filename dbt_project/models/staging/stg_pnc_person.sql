-- PNC person names: latest delivery of each (PNC ID, name sequence).
{{ config(**staging_config('pnc_person', {'record_key': 'record_key', 'name_seq': 'name_seq'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'pnc_person'), ['record_key', 'name_seq']) }}
)

select
    record_key,
    pnc_id_hash,
    name_seq,
    birth_year,
    birth_month,
    {{ clean_code('sex') }} as sex_code,
    {{ clean_code('ethnicity') }} as ethnicity_code,
    _delivery_month as delivery_month
from delivered
