-- Prisons (seeds/prisons.csv) with their region.
select
    prison_code,
    prison_name,
    prison_type,
    population_sex,
    region_code,
    region_name,
    la_code
from {{ ref('prisons') }}
