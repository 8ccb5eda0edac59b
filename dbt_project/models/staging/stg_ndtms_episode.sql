-- NDTMS treatment episodes, latest delivered version of each EPISODID.
{{ config(**staging_config('ndtms_episode', {'episodid_hash': 'episode_id'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'ndtms_episode'), ['episodid_hash']) }}
)

select
    episodid_hash as episode_id,
    record_key,
    {{ clean_code('agncy') }} as agency_code,
    {{ clean_code('setting') }} as setting,
    {{ clean_code('estab') }} as prison_code,
    {{ clean_code('rfls') }} as referral_source,
    triaged as triage_date,
    cplandt as care_plan_date,
    {{ clean_code('drug1') }} as drug_1,
    {{ clean_code('drug2') }} as drug_2,
    {{ clean_code('drug3') }} as drug_3,
    {{ clean_code('injstat') }} as injecting_status,
    disd as discharge_date,
    {{ clean_code('disrsn') }} as discharge_reason,
    coalesce({{ clean_code('submod') }} = 'Y', false) as on_substitute_medication_at_exit,
    _delivery_month as delivery_month
from delivered
