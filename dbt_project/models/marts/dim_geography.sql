-- Geographies and their parents (England > region > local authority / prison), for names,
-- cross-area secondary suppression and Fingertips parent columns.
with regions as (
    select
        region_code,
        region_name
    from {{ ref('regions') }}
)

select
    cast('england' as varchar) as geography_type,
    cast('E92000001' as varchar) as geography_code,
    cast('England' as varchar) as geography_name,
    cast(null as varchar) as parent_type,
    cast(null as varchar) as parent_code,
    cast(null as varchar) as parent_name
union all
select
    'region',
    region_code,
    region_name,
    'england',
    'E92000001',
    'England'
from regions
union all
select
    'local_authority',
    la.la_code,
    la.la_name,
    'region',
    la.region_code,
    regions.region_name
from {{ ref('local_authorities') }} as la
left join regions
    on la.region_code = regions.region_code
union all
select
    'prison',
    p.prison_code,
    p.prison_name,
    'region',
    p.region_code,
    regions.region_name
from {{ ref('prisons') }} as p
left join regions
    on p.region_code = regions.region_code
