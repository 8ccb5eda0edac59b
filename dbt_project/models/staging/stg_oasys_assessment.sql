-- OASys assessments, one row per assessment_id (latest delivery); need flags re-derived from
-- section scores with the brief's thresholds (the delivered flags are kept as *_need_recorded).
{{ config(**staging_config('oasys_assessment', {'record_key': 'record_key'})) }}

with delivered as (
    {{ latest_versions(source('raw', 'oasys_assessment'), ['record_key']) }}
)

select
    record_key as assessment_id,
    record_key,
    {{ clean_code('assessment_type') }} as assessment_type,
    assessment_date,
    {{ clean_code('establishment_code') }} as establishment_code,
    {{ clean_code('probation_region') }} as probation_region,
    birth_year,
    birth_month,
    {{ clean_code('sex') }} as sex_code,
    {{ clean_code('ethnicity') }} as ethnicity_code,
    trim(ho_class) as ho_class,
    lower(trim(ogrs3_category)) as ogrs3_category,
    accommodation_score,
    ete_score,
    finance_score,
    relationships_score,
    lifestyle_score,
    drugs_score,
    alcohol_score,
    emotional_wellbeing_score,
    thinking_behaviour_score,
    attitudes_score,
    accommodation_score >= 2 as accommodation_need,
    ete_score >= 3 as ete_need,
    finance_score >= 2 as finance_need,
    relationships_score >= 2 as relationships_need,
    lifestyle_score >= 2 as lifestyle_need,
    drugs_score >= 2 as drugs_need,
    alcohol_score >= 4 as alcohol_need,
    emotional_wellbeing_score >= 2 as emotional_wellbeing_need,
    thinking_behaviour_score >= 4 as thinking_behaviour_need,
    attitudes_score >= 2 as attitudes_need,
    accommodation_need as accommodation_need_recorded,
    drugs_need as drugs_need_recorded,
    ogrs3_p1 as ogrs3_p1_recorded,
    ogrs3_p2 as ogrs3_p2_recorded,
    _delivery_month as delivery_month
from delivered
