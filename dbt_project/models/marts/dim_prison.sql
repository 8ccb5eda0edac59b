-- Prisons with their type, population sex, region and local authority.
select
    cast(prison_code as varchar) as prison_code,
    cast(prison_name as varchar) as prison_name,
    cast(prison_type as varchar) as prison_type,
    cast(population_sex as varchar) as population_sex,
    cast(region_code as varchar) as region_code,
    cast(region_name as varchar) as region_name,
    cast(la_code as varchar) as la_code
from {{ ref('int_prisons') }}
