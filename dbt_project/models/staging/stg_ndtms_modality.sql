-- NDTMS interventions (modalities), latest delivered version of each MODID.
{{ config(**staging_config('ndtms_modality', {'modid_hash': 'modality_id'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'ndtms_modality'), ['modid_hash']) }}
)

select
    modid_hash as modality_id,
    episodid_hash as episode_id,
    {{ clean_code('modal') }} as modality,
    nullif(trim(intcode), '') as intervention_code,
    refmoddt as referral_date,
    modst as start_date,
    modend as end_date,
    {{ clean_code('modexit') }} as exit_reason,
    _delivery_month as delivery_month
from delivered
