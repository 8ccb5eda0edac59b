-- Local authorities (seeds/local_authorities.csv, ONS codes) with their region.
select
    la_code,
    la_name,
    region_code,
    region_name
from {{ ref('local_authorities') }}
