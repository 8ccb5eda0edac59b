-- Proven offences with the person and the offence classification (OGRS3 category, serious flag,
-- seriousness score; unknown classes count as 'other'). Only disposals that prove an offence
-- (MoJ proven re-offending: convictions, cautions, reprimands and final warnings; var
-- qualifying_disposal_types) count: penalty notices and acquittals on the PNC do not. Breach
-- offences are flagged: they count as sanctions (OGRS3) but not as re-offences.
{{ config(**person_config()) }}
select
    d.disposal_id,
    coalesce(spine.person_key, d.record_key) as person_key,
    d.offence_date,
    d.disposal_date,
    d.disposal_type,
    d.result_code,
    d.result_code = '1002' as is_custodial,
    d.sentence_days,
    d.ho_class,
    coalesce(oc.ogrs3_category, 'other') as ogrs3_category,
    coalesce(oc.serious, false) as is_serious,
    coalesce(oc.seriousness_score, 1) as seriousness_score,
    d.ho_class in ('{{ var("breach_ho_classes") | join("', '") }}') as is_breach
from {{ ref('stg_pnc_disposal') }} as d
left join {{ ref('stg_linkage_spine') }} as spine
    on spine.record_source = 'pnc'
        and d.record_key = spine.record_key
left join {{ ref('offence_classification') }} as oc
    on d.ho_class = oc.ho_class
where
    {{ changed_people_only('coalesce(spine.person_key, d.record_key)') }}
    and {{ "d.disposal_type in ('" ~ (var('qualifying_disposal_types') | join("', '")) ~ "')"
        if rule_on('qualifying_disposals') else 'true' }}
