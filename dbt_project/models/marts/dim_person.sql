-- People (one per person_key from the linkage spine): no identifiers, only the attributes used for
-- breakdowns.
select
    cast(person_key as varchar) as person_key,
    cast(sex as varchar) as sex,
    cast(ethnic_group as varchar) as ethnic_group,
    cast(birth_year as integer) as birth_year
from {{ ref('int_person') }}
