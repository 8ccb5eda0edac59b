-- PNC person names: latest delivery of each (PNC ID, name sequence).
with ranked as (
    select
        *,
        {{ version_rank(['record_key', 'name_seq']) }} as version_rank
    from {{ source('raw', 'pnc_person') }}
    {{ delivered_by_as_of() }}
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
from ranked
where version_rank = 1
