-- The person spine: which person each identity-bearing record belongs to.
select
    source as record_source,
    record_key,
    person_key,
    cluster_id,
    match_probability,
    match_rule
from {{ source('linkage', 'spine') }}
