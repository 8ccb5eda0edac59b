-- rMDT tests with their person, prison and result flags. Traditional drugs: opiates, cannabis,
-- cocaine, benzodiazepines, buprenorphine; psychoactive substances separately.
select
    t.test_id,
    coalesce(spine.person_key, t.record_key) as person_key,
    t.prison_code,
    prison.region_code,
    t.test_date,
    {{ month_index('t.test_date') }} as test_month_index,
    t.reason,
    t.reason = 'RANDOM' as is_random,
    t.sample_status,
    t.sample_status = 'TESTED' as is_tested,
    t.sample_status = 'REFUSED' as is_refused,
    t.sample_status = 'SPOILED' as is_spoiled,
    t.sample_status = 'TESTED' and (
        coalesce(t.opiates_positive, false)
        or coalesce(t.cannabis_positive, false)
        or coalesce(t.cocaine_positive, false)
        or coalesce(t.benzodiazepines_positive, false)
        or coalesce(t.buprenorphine_positive, false)
    ) as is_positive_traditional,
    t.sample_status = 'TESTED' and coalesce(t.psychoactive_positive, false) as is_positive_psychoactive,
    t.opiates_positive,
    t.cannabis_positive,
    t.cocaine_positive,
    t.benzodiazepines_positive,
    t.buprenorphine_positive,
    t.psychoactive_positive
from {{ ref('stg_rmdt_test') }} as t
left join {{ ref('stg_linkage_spine') }} as spine
    on spine.record_source = 'rmdt'
        and t.record_key = spine.record_key
left join {{ ref('int_prisons') }} as prison
    on t.prison_code = prison.prison_code
