-- DIR custody release and referral records, one row per RELEASE_ID (latest delivery).
{{ config(**staging_config('dir_release', {'record_key': 'record_key'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'dir_release'), ['record_key']) }}
)

select
    record_key as release_id,
    record_key,
    dir_id_hash as dir_id,
    release_date,
    {{ clean_code('establishment') }} as prison_code,
    birth_year,
    birth_month,
    {{ clean_code('sex') }} as sex_code,
    {{ clean_code('release_type') }} as release_type,
    coalesce(in_treatment, false) as in_treatment,
    coalesce(referred, false) as referred,
    {{ clean_code('referral_la') }} as referral_la_code,
    _delivery_month as delivery_month
from delivered
