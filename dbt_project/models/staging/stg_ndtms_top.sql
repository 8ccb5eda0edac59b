-- NDTMS Treatment Outcomes Profile forms, latest delivered version of each TOPID.
{{ config(**staging_config('ndtms_top', {'topid_hash': 'top_id'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'ndtms_top'), ['topid_hash']) }}
)

select
    topid_hash as top_id,
    episodid_hash as episode_id,
    topdate as top_date,
    {{ clean_code('trstage') }} as stage,
    opiuse as opiate_days,
    crause as crack_days,
    cocause as cocaine_days,
    ampuse as amphetamine_days,
    canuse as cannabis_days,
    alcuse as alcohol_days,
    ivdrguse as injecting_days,
    sharing,
    shotheft as shoplifting_days,
    drgsell as drug_selling_days,
    psyhstat as psychological_health,
    phstat as physical_health,
    quallife as quality_of_life,
    pwork as paid_work_days,
    educ as education_days,
    acuthpblm as acute_housing_problem,
    hrskevict as risk_of_eviction,
    _delivery_month as delivery_month
from delivered
