-- PNC disposals (convictions and cautions), one row per DISPOSAL_ID (latest delivery).
{{ config(**staging_config('pnc_disposal', {'disposal_id_hash': 'disposal_id'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'pnc_disposal'), ['disposal_id_hash']) }}
)

select
    disposal_id_hash as disposal_id,
    record_key,
    pnc_id_hash,
    arrest_date,
    offence_date,
    {{ clean_code('cjs_code') }} as cjs_code,
    trim(ho_class) as ho_class,
    {{ clean_code('disposal_type') }} as disposal_type,
    disposal_date,
    court_code,
    {{ clean_code('result_code') }} as result_code,
    sentence_days,
    coalesce({{ clean_code('drr') }} = 'Y', false) as has_drr,
    _delivery_month as delivery_month
from delivered
