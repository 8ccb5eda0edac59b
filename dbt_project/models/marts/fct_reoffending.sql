-- Proven re-offending outcome of each release to the community (12-month follow-up, 6-month
-- waiting period), with the OGRS3 prediction.
select
    cast(release_id as varchar) as release_id,
    cast(person_key as varchar) as person_key,
    cast(release_date as date) as release_date,
    cast({{ month_label('release_month_index') }} as varchar) as release_month,
    cast(prison_code as varchar) as prison_code,
    cast(la_code as varchar) as la_code,
    cast(is_deported as boolean) as is_deported,
    cast(age_at_release as integer) as age_at_release,
    cast(is_reoffender as boolean) as is_reoffender,
    cast(reoffence_count as integer) as reoffence_count,
    cast(first_reoffence_date as date) as first_reoffence_date,
    cast(days_to_first_reoffence as integer) as days_to_first_reoffence,
    cast(has_serious_reoffence as boolean) as has_serious_reoffence,
    cast(index_ho_class as varchar) as index_ho_class,
    cast(index_seriousness_score as integer) as index_seriousness_score,
    cast(max_reoffence_seriousness as integer) as max_reoffence_seriousness,
    cast(ogrs3_p1 as double) as ogrs3_p1,
    cast(ogrs3_p2 as double) as ogrs3_p2
from {{ ref('int_reoffending') }}
