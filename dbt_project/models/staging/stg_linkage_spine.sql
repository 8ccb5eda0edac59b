-- The person spine: which person each identity-bearing record belongs to.
-- A view: a renaming of linkage.spine, which linkage keeps current (a table copied 4.4M rows,
-- 8 s at national scale, at the head of every build's longest chain of models).
{{ config(materialized='view') }}
select
    source as record_source,
    record_key,
    person_key,
    cluster_id,
    match_probability,
    match_rule
from {{ source('linkage', 'spine') }}
