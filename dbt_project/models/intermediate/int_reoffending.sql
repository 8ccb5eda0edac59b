-- One row per release to the community: proven re-offending outcomes, OGRS3 prediction and the
-- index offence's seriousness.
with reoffences as (
    select
        release_id,
        count(*) as reoffence_count,
        min(offence_date) as first_reoffence_date,
        min(days_to_offence) as days_to_first_reoffence,
        max(case when is_serious then 1 else 0 end) = 1 as has_serious_reoffence,
        max(seriousness_score) as max_reoffence_seriousness
    from {{ ref('int_proven_reoffences') }}
    group by release_id
)

select
    rel.release_id,
    rel.person_key,
    rel.release_date,
    rel.release_month_index,
    rel.prison_code,
    rel.la_code,
    rel.region_code,
    rel.sex,
    rel.ethnic_group,
    rel.age_at_release,
    rel.is_deported,
    rel.has_treatment_need,
    coalesce(reoffences.reoffence_count, 0) as reoffence_count,
    coalesce(reoffences.reoffence_count, 0) > 0 as is_reoffender,
    reoffences.first_reoffence_date,
    reoffences.days_to_first_reoffence,
    coalesce(reoffences.has_serious_reoffence, false) as has_serious_reoffence,
    reoffences.max_reoffence_seriousness,
    inputs.index_ho_class,
    inputs.index_seriousness_score,
    reoffences.max_reoffence_seriousness - inputs.index_seriousness_score as seriousness_change,
    pred.ogrs3_p1,
    pred.ogrs3_p2
from {{ ref('int_releases') }} as rel
left join reoffences
    on rel.release_id = reoffences.release_id
left join {{ ref('int_ogrs3_inputs') }} as inputs
    on rel.release_id = inputs.release_id
left join {{ ref('int_ogrs3_predictions') }} as pred
    on rel.release_id = pred.release_id
where rel.is_release_to_community
