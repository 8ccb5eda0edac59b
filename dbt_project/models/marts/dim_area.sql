-- Local authorities (ONS codes) with their region.
select
    cast(la_code as varchar) as la_code,
    cast(la_name as varchar) as la_name,
    cast(region_code as varchar) as region_code,
    cast(region_name as varchar) as region_name
from {{ ref('int_local_authorities') }}
