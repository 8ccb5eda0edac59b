-- Every identity-bearing record with its person (via linkage.spine) and the person attributes
-- it states. A record missing from the spine stands alone (its record_key as person_key).
{{ config(**person_config()) }}
with records as (
    select
        'pnc' as record_source,
        1 as source_priority,
        record_key,
        birth_year,
        birth_month,
        sex_code,
        ethnicity_code,
        'pnc' as ethnicity_scheme,
        delivery_month
    from {{ ref('stg_pnc_person') }}
    union all
    select
        'oasys',
        2,
        record_key,
        birth_year,
        birth_month,
        sex_code,
        ethnicity_code,
        'pnc',
        delivery_month
    from {{ ref('stg_oasys_assessment') }}
    union all
    select
        'dir_triage',
        3,
        record_key,
        birth_year,
        birth_month,
        sex_code,
        ethnicity_code,
        'pnc',
        delivery_month
    from {{ ref('stg_dir_triage') }}
    union all
    select
        'dir_release',
        4,
        record_key,
        birth_year,
        birth_month,
        sex_code,
        null,
        'pnc',
        delivery_month
    from {{ ref('stg_dir_release') }}
    union all
    select
        'ndtms',
        5,
        record_key,
        birth_year,
        birth_month,
        sex_code,
        ethnicity_code,
        'ndtms',
        delivery_month
    from {{ ref('stg_ndtms_client') }}
    union all
    select
        'rmdt',
        6,
        record_key,
        null,
        null,
        null,
        null,
        'pnc',
        delivery_month
    from {{ ref('stg_rmdt_test') }}
)

select
    records.record_source,
    records.record_key,
    coalesce(spine.person_key, records.record_key) as person_key,
    spine.person_key is not null as is_linked,
    records.source_priority,
    records.birth_year,
    records.birth_month,
    records.sex_code,
    records.ethnicity_code,
    eth.ethnic_group,
    records.delivery_month
from records
left join {{ ref('stg_linkage_spine') }} as spine
    on records.record_source = spine.record_source
        and records.record_key = spine.record_key
left join {{ ref('ethnic_groups') }} as eth
    on records.ethnicity_scheme = eth.source
        and records.ethnicity_code = eth.code
where {{ changed_people_only('coalesce(spine.person_key, records.record_key)') }}
